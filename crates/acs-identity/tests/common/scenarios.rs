//! The scenario suite both clients run against the embedded emulator, over real loopback HTTP.
//!
//! Included by `acs-identity/tests/emulator.rs` and `acs-identity-blocking/tests/emulator.rs`, which define
//! the seam: `sdk` (the client crate), `Env` (emulator + client), `scenario!` (one test per scenario, `async`
//! or not) and `aw!` (`.await` or nothing). Everything below is written once.

use std::time::{Duration, Instant, SystemTime};

use acs_identity_emulator::{
    Emulator, EntraUser, Fault, FaultRule, Operation, RetryAfter, TokenStatus,
};
use uuid::Uuid;

use crate::sdk::{
    ApiVersion, ClientOptions, ClientSecretCredential, CommunicationUserIdentifier,
    CreateUserAndTokenOptions, CreateUserOptions, CustomId, EntraAssignmentSettings,
    EntraPrincipalType, ErrorKind, ExchangeTeamsUserToken, RetryOptions,
    TeamsExtensionPrincipalType, TokenLifetime, TokenOptions, TokenScope,
    UpsertTeamsExtensionAssignment,
};

/// Retries fast enough for tests: the delays come from the injected `retry-after-ms` or are a few ms.
fn quick_retries(max_retries: u32) -> ClientOptions {
    ClientOptions::default().retry(
        RetryOptions::default()
            .max_retries(max_retries)
            .initial_delay(Duration::from_millis(5))
            .max_delay(Duration::from_secs(2))
            .max_total(Duration::from_secs(10)),
    )
}

fn throttle_ms(ms: u64) -> Fault {
    Fault::Status {
        status: 429,
        retry_after: Some(RetryAfter::Milliseconds(ms)),
    }
}

fn unavailable_ms(ms: u64) -> Fault {
    Fault::Status {
        status: 503,
        retry_after: Some(RetryAfter::Milliseconds(ms)),
    }
}

fn unique_custom_id() -> CustomId {
    CustomId::new(format!("user-{}@contoso.example", Uuid::new_v4())).unwrap()
}

fn seconds_until(at: impl Into<SystemTime>) -> u64 {
    at.into()
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .as_secs()
}

scenario!(create_user_then_issue_tokens(env) {
    let user = aw!(env.client.create_user()).unwrap();
    assert!(user.id().starts_with("8:acs:"), "{}", user.id());

    let token = aw!(env.client.get_token(&user, &[TokenScope::Chat, TokenScope::Voip], TokenOptions::default())).unwrap();
    let lifetime = seconds_until(token.expires_on());
    assert!((24 * 3600 - 120..=24 * 3600).contains(&lifetime), "default lifetime is 24 h, got {lifetime} s");
    match env.emulator.check_access_token(token.token()) {
        TokenStatus::Valid { identity, scopes, .. } => {
            assert_eq!(identity, user.id());
            assert_eq!(scopes, ["chat", "voip"]);
        }
        other => panic!("the issued token is not valid: {other:?}"),
    }

    let one_hour = TokenOptions::default().lifetime(TokenLifetime::from_minutes(60).unwrap());
    let token = aw!(env.client.get_token(&user, &[TokenScope::ChatJoin], one_hour)).unwrap();
    assert!((3600 - 120..=3600).contains(&seconds_until(token.expires_on())));
    assert_eq!(env.emulator.requests().count(Operation::IssueAccessToken), 2);
});

scenario!(custom_id_is_idempotent(env) {
    let custom_id = unique_custom_id();
    let options = CreateUserOptions::default().custom_id(custom_id.clone());
    let first = aw!(env.client.create_user_with_options(options.clone())).unwrap();
    let second = aw!(env.client.create_user_with_options(options)).unwrap();
    assert_eq!(first, second);
    assert_eq!(env.emulator.identity_count().unwrap(), 1);
    assert_eq!(env.emulator.requests().count(Operation::CreateIdentity), 2);

    let detail = aw!(env.client.get_user_detail(&first)).unwrap();
    assert_eq!(detail.user, first);
    assert_eq!(detail.custom_id.as_deref(), Some(custom_id.as_str()));
});

scenario!(user_detail_records_the_last_token(env) {
    let user = aw!(env.client.create_user()).unwrap();
    let detail = aw!(env.client.get_user_detail(&user)).unwrap();
    assert_eq!(detail.last_token_issued_at, None);
    assert_eq!(detail.custom_id, None);

    aw!(env.client.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap();
    let detail = aw!(env.client.get_user_detail(&user)).unwrap();
    let issued_at = SystemTime::from(detail.last_token_issued_at.expect("lastTokenIssuedAt after a token"));
    let age = SystemTime::now().duration_since(issued_at).unwrap_or_default();
    assert!(age < Duration::from_secs(120), "lastTokenIssuedAt is {age:?} old");
});

scenario!(create_user_and_token_in_one_call(env) {
    let custom_id = unique_custom_id();
    let options = CreateUserAndTokenOptions::default().lifetime(TokenLifetime::from_minutes(120).unwrap()).custom_id(custom_id.clone());
    let created = aw!(env.client.create_user_and_token(&[TokenScope::VoipJoin], options.clone())).unwrap();
    assert!((7200 - 120..=7200).contains(&seconds_until(created.access_token.expires_on())));
    assert_eq!(created.custom_id.as_deref(), Some(custom_id.as_str()));
    assert!(matches!(env.emulator.check_access_token(created.access_token.token()), TokenStatus::Valid { .. }));

    let again = aw!(env.client.create_user_and_token(&[TokenScope::VoipJoin], options)).unwrap();
    assert_eq!(again.user, created.user);
    assert!(again.last_token_issued_at.is_some());
});

scenario!(revoke_then_delete(env) {
    let user = aw!(env.client.create_user()).unwrap();
    let token = aw!(env.client.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap();
    aw!(env.client.revoke_tokens(&user)).unwrap();
    assert_eq!(env.emulator.check_access_token(token.token()), TokenStatus::Revoked);

    let fresh = aw!(env.client.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap();
    assert!(matches!(env.emulator.check_access_token(fresh.token()), TokenStatus::Valid { .. }));

    aw!(env.client.delete_user(&user)).unwrap();
    assert_eq!(env.emulator.identity_count().unwrap(), 0);
    let error = aw!(env.client.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
});

scenario!(teams_user_token_exchange(env) {
    let (object_id, app_id) = (Uuid::new_v4(), Uuid::new_v4());
    let entra = env.emulator.issue_entra_user_token(&EntraUser::teams_user(object_id, app_id));
    let exchange = ExchangeTeamsUserToken::new(entra.secret(), app_id.to_string(), object_id.to_string());
    let token = aw!(env.client.get_token_for_teams_user(exchange)).unwrap();
    match env.emulator.check_access_token(token.token()) {
        TokenStatus::Valid { identity, .. } => assert_eq!(identity, format!("8:orgid:{object_id}")),
        other => panic!("the exchanged token is not valid: {other:?}"),
    }
});

scenario!(teams_extension_assignments_and_exchange(env) {
    let tenant_id = env.emulator.entra_tenant_id().to_string();
    let (object_id, app_id) = (Uuid::new_v4(), Uuid::new_v4());
    let mut upsert =
        UpsertTeamsExtensionAssignment::new(&tenant_id, object_id.to_string(), TeamsExtensionPrincipalType::User);
    upsert.client_ids = vec![app_id.to_string()];

    let created = aw!(env.client.upsert_teams_extension_assignment(upsert.clone())).unwrap();
    assert!(created.created);
    assert_eq!(created.assignment.object_id, object_id.to_string());
    let replaced = aw!(env.client.upsert_teams_extension_assignment(upsert)).unwrap();
    assert!(!replaced.created);

    let fetched = aw!(env.client.get_teams_extension_assignment(&tenant_id, &object_id.to_string())).unwrap();
    assert_eq!(fetched.principal_type, TeamsExtensionPrincipalType::User);
    assert_eq!(fetched.client_ids, [app_id.to_string()]);

    let entra = env.emulator.issue_entra_user_token(&EntraUser::teams_user(object_id, app_id));
    let exchanged = aw!(env.client.exchange_teams_extension_token(entra.secret())).unwrap();
    assert!(exchanged.user.id().contains(&object_id.to_string()), "{}", exchanged.user.id());
    assert!(matches!(env.emulator.check_access_token(exchanged.access_token.token()), TokenStatus::Valid { .. }));

    aw!(env.client.delete_teams_extension_assignment(&tenant_id, &object_id.to_string())).unwrap();
    let error = aw!(env.client.get_teams_extension_assignment(&tenant_id, &object_id.to_string())).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
});

scenario!(entra_assignments_and_exchange(env = Emulator::builder().entra_assignments_page_size(2)) {
    let tenant_id = env.emulator.entra_tenant_id().to_string();
    let app_id = Uuid::new_v4();
    let settings = EntraAssignmentSettings::new(tenant_id.clone(), EntraPrincipalType::User, vec![app_id.to_string()]);
    let mut object_ids: Vec<String> = (0..3).map(|_| Uuid::new_v4().to_string()).collect();
    object_ids.sort();
    for object_id in &object_ids {
        let upserted = aw!(env.client.upsert_entra_assignment(object_id, settings.clone())).unwrap();
        assert!(upserted.created);
    }
    let fetched = aw!(env.client.get_entra_assignment(&object_ids[0])).unwrap();
    assert_eq!(fetched.client_ids, [app_id.to_string()]);

    let first = aw!(env.client.list_entra_assignments()).unwrap();
    assert_eq!(first.assignments.len(), 2);
    let next_link = first.next_link.expect("a second page");
    let second = aw!(env.client.list_entra_assignments_next_page(&next_link)).unwrap();
    assert_eq!(second.assignments.len(), 1);
    assert_eq!(second.next_link, None);

    let removed = object_ids.pop().unwrap();
    let changes = [(removed.clone(), None), (object_ids[1].clone(), Some(settings.clone()))];
    aw!(env.client.update_entra_assignments(changes)).unwrap();
    let error = aw!(env.client.get_entra_assignment(&removed)).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));

    let user = Uuid::parse_str(&object_ids[0]).unwrap();
    let entra = env.emulator.issue_entra_user_token(&EntraUser::for_entra_exchange(user, app_id));
    let exchanged = aw!(env.client.exchange_entra_token(entra.secret())).unwrap();
    assert!(matches!(env.emulator.check_access_token(exchanged.access_token.token()), TokenStatus::Valid { .. }));

    aw!(env.client.delete_entra_assignment(&object_ids[0])).unwrap();
    let error = aw!(env.client.exchange_entra_token(entra.secret())).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403));
});

scenario!(service_errors_carry_every_field(env) {
    let exchange = ExchangeTeamsUserToken::new("not-a-token", "not-a-guid", Uuid::new_v4().to_string());
    let error = aw!(env.client.get_token_for_teams_user(exchange)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service);
    let service = error.service_error().unwrap();
    assert_eq!(service.status().as_u16(), 400);
    assert_eq!(service.code(), Some("ValidationError"));
    assert_eq!(service.message(), Some("Provided AppId has invalid format."));
    assert_eq!(service.target(), Some("appId"));
    let ms_cv = service.ms_cv().expect("MS-CV");
    assert!(ms_cv.ends_with(".0"), "{ms_cv}");
    let records = env.emulator.requests().records_of(Operation::ExchangeTeamsUserAccessToken);
    assert_eq!(records.len(), 1);
    assert_eq!(service.client_request_id(), records[0].client_request_id.as_deref());
    assert!(service.client_request_id().is_some());

    let stranger = CommunicationUserIdentifier::new(format!("8:acs:{}_{}", Uuid::new_v4(), Uuid::new_v4()));
    let error = aw!(env.client.revoke_tokens(&stranger)).unwrap_err();
    let service = error.service_error().unwrap();
    assert_eq!((service.status().as_u16(), service.code()), (401, Some("IdentityNotOwned")));
});

scenario!(invalid_input_fails_before_any_request(env) {
    let stable = env.client_with(ClientOptions::default().api_version(ApiVersion::V2023_10_01));
    let options = CreateUserOptions::default().custom_id(unique_custom_id());
    let error = aw!(stable.create_user_with_options(options)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("2025-03-02-preview"), "{error}");
    let user = CommunicationUserIdentifier::new("8:acs:someone");
    assert_eq!(aw!(stable.get_user_detail(&user)).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(aw!(env.client.get_token(&user, &[], TokenOptions::default())).unwrap_err().kind(), ErrorKind::InvalidInput);

    let bad_app_id = env.client_with(ClientOptions::default().application_id("has spaces"));
    assert_eq!(aw!(bad_app_id.create_user()).unwrap_err().kind(), ErrorKind::InvalidInput);

    assert_eq!(env.emulator.requests().total(), 0, "{:?}", env.emulator.requests().counts());
    assert_eq!(stable.api_version(), ApiVersion::V2023_10_01);
});

scenario!(requests_carry_ids_and_user_agent(env) {
    let client = env.client_with(ClientOptions::default().application_id("scenario-app"));
    env.emulator.faults().push(FaultRule::next(1, throttle_ms(10)).only(Operation::CreateIdentity));
    aw!(client.create_user()).unwrap();
    aw!(client.create_user()).unwrap();
    let records = env.emulator.requests().records_of(Operation::CreateIdentity);
    assert_eq!(records.len(), 3);
    let ids: Vec<_> = records.iter().map(|r| r.client_request_id.clone().expect("x-ms-client-request-id")).collect();
    assert_eq!(ids[0], ids[1], "a retry keeps the call's request id");
    assert_ne!(ids[1], ids[2], "each call has its own request id");
    assert!(Uuid::parse_str(&ids[0]).is_ok());
});

scenario!(throttling_is_retried_with_retry_after(env) {
    let client = env.client_with(quick_retries(3));
    let user = aw!(client.create_user()).unwrap();
    env.emulator.requests().reset();
    env.emulator.faults().push(FaultRule::next(2, throttle_ms(30)).only(Operation::IssueAccessToken));
    let started = Instant::now();
    aw!(client.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(60), "Retry-After was not honoured");
    let records = env.emulator.requests().records_of(Operation::IssueAccessToken);
    let statuses: Vec<_> = records.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(429), Some(429), Some(200)]);
});

scenario!(every_retry_is_signed_afresh(env) {
    // x-ms-date has one-second resolution: a one-second Retry-After makes the second date differ.
    let user = aw!(env.client.create_user()).unwrap();
    env.emulator.requests().reset();
    env.emulator.faults().push(FaultRule::next(1, Fault::unavailable(1)).only(Operation::GetIdentity));
    aw!(env.client.get_user_detail(&user)).unwrap();
    let records = env.emulator.requests().records_of(Operation::GetIdentity);
    assert_eq!(records.len(), 2);
    assert_ne!(records[0].x_ms_date, records[1].x_ms_date);
    assert!(records[1].x_ms_date.is_some());
    assert_ne!(records[0].authorization_fingerprint, records[1].authorization_fingerprint);
    assert_eq!(records[0].client_request_id, records[1].client_request_id);
});

scenario!(retries_stop_after_max_retries(env) {
    let client = env.client_with(quick_retries(2));
    let user = aw!(client.create_user()).unwrap();
    env.emulator.faults().push(FaultRule::next(10, unavailable_ms(5)).only(Operation::RevokeAccessTokens));
    let error = aw!(client.revoke_tokens(&user)).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(env.emulator.requests().count(Operation::RevokeAccessTokens), 3);
});

scenario!(create_without_custom_id_is_not_retried_after_503(env) {
    let client = env.client_with(quick_retries(3));
    env.emulator.faults().push(FaultRule::next(1, unavailable_ms(5)).only(Operation::CreateIdentity));
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(env.emulator.requests().count(Operation::CreateIdentity), 1);

    // With a custom id a repeat is harmless, so it is retried.
    env.emulator.faults().push(FaultRule::next(1, unavailable_ms(5)).only(Operation::CreateIdentity));
    let options = CreateUserOptions::default().custom_id(unique_custom_id());
    aw!(client.create_user_with_options(options)).unwrap();
    assert_eq!(env.emulator.requests().count(Operation::CreateIdentity), 3);

    // A 429 means the service did nothing: retried even without a custom id.
    env.emulator.faults().push(FaultRule::next(1, throttle_ms(5)).only(Operation::CreateIdentity));
    aw!(client.create_user()).unwrap();
    assert_eq!(env.emulator.requests().count(Operation::CreateIdentity), 5);
});

scenario!(dropped_connections(env) {
    let client = env.client_with(quick_retries(2));
    let user = aw!(client.create_user()).unwrap();
    env.emulator.faults().push(FaultRule::next(1, Fault::DropConnection).only(Operation::GetIdentity));
    aw!(client.get_user_detail(&user)).unwrap();
    assert_eq!(env.emulator.requests().count(Operation::GetIdentity), 2);

    env.emulator.faults().push(FaultRule::next(1, Fault::DropConnection).only(Operation::CreateIdentity));
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(error.may_have_been_sent());
    assert_eq!(env.emulator.requests().count(Operation::CreateIdentity), 2);
});

scenario!(attempt_timeout(env) {
    let client = env.client_with(quick_retries(0).attempt_timeout(Duration::from_millis(200)));
    env.emulator.faults().push(FaultRule::next(1, Fault::Latency(Duration::from_secs(3))).only(Operation::CreateIdentity));
    let started = Instant::now();
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
});

scenario!(overall_timeout_covers_retries(env) {
    let client = env.client_with(quick_retries(5).attempt_timeout(None).timeout(Duration::from_millis(400)));
    env.emulator.faults().push(FaultRule::next(10, Fault::Latency(Duration::from_secs(3))).only(Operation::CreateIdentity));
    let started = Instant::now();
    let error = aw!(client.create_user_with_options(CreateUserOptions::default().custom_id(unique_custom_id()))).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert!(error.to_string().contains("400ms"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
});

scenario!(connection_refused(env) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = env.client_at(&endpoint, quick_retries(2));
    let started = Instant::now();
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(!error.may_have_been_sent());
    assert!(started.elapsed() < Duration::from_secs(5));
});

scenario!(entra_client_secret_credential(env) {
    let client = env.entra_client(env.app_credential(), ClientOptions::default());
    let user = aw!(client.create_user()).unwrap();
    let token = aw!(client.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap();
    assert!(matches!(env.emulator.check_access_token(token.token()), TokenStatus::Valid { .. }));
    aw!(client.clone().delete_user(&user)).unwrap();
    assert_eq!(env.emulator.requests().count(Operation::EntraTokenRequest), 1, "the token is cached");
    assert!(format!("{client:?}").contains("Entra"));
});

scenario!(entra_wrong_secret_is_a_credential_error(env) {
    let credential = ClientSecretCredential::new(
        env.emulator.entra_tenant_id().to_string(),
        env.emulator.entra_app().client_id().to_string(),
        "not-the-secret",
    )
    .with_authority(env.emulator.entra_authority())
    .unwrap();
    let client = env.entra_client(credential, ClientOptions::default());
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
    assert!(!format!("{error:?}").contains("not-the-secret"));
    assert_eq!(env.emulator.requests().count(Operation::CreateIdentity), 0);
});

scenario!(entra_token_endpoint_unreachable_is_a_credential_error(env) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let authority = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let credential = ClientSecretCredential::new("tenant", "client", "secret").with_authority(&authority).unwrap();
    let client = env.entra_client(credential, ClientOptions::default());
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
});

client_test!(the_client_is_shareable_and_its_debug_shows_no_key {
    fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
    assert_shareable::<crate::sdk::CommunicationIdentityClient>();

    let connection_string = "endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0";
    let client =
        crate::sdk::CommunicationIdentityClient::from_connection_string(connection_string).unwrap();
    let debug = format!("{client:?}");
    assert!(
        debug.contains("contoso") && debug.contains("api_version") && debug.contains("access key"),
        "{debug}"
    );
    assert!(!debug.contains("c2VjcmV0"), "{debug}");
});
