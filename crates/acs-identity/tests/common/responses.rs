//! The `*_with_response` methods and per-call options of both clients, against the embedded emulator.
//!
//! Included, like `scenarios.rs`, by `tests/emulator.rs` of both clients, which define the seam (`sdk`, `Env`,
//! `scenario!`, `aw!`). Written once.

use std::time::{Duration, Instant};

use acs_identity_emulator::{Emulator, EntraUser, Fault, FaultRule, Operation, RetryAfter};
use uuid::Uuid;

use crate::Env;
use crate::proxy::Proxy;
use crate::sdk::{
    CallOptions, ClientOptions, CommunicationIdentityClient, CreateUserAndTokenOptions,
    CreateUserOptions, CustomId, Endpoint, EntraAssignmentSettings, EntraPrincipalType, ErrorKind,
    ExchangeTeamsUserToken, Response, RetryOptions, TeamsExtensionPrincipalType, TokenOptions,
    TokenScope, UpsertTeamsExtensionAssignment,
};

/// Call options with a client request id of our own, unique to the call.
fn ticket(n: &mut u32) -> (String, CallOptions) {
    *n += 1;
    let id = format!("ticket-{n}-{}", Uuid::new_v4());
    (id.clone(), CallOptions::default().client_request_id(id))
}

/// The response shows the emulator's `MS-CV` and the echo of our id, and the emulator logged the id.
fn exposes<T>(env: &Env, response: &Response<T>, id: &str) {
    let ms_cv = response.ms_cv().expect("MS-CV");
    assert!(ms_cv.ends_with(".0") && ms_cv.len() == 24, "{ms_cv}");
    assert_eq!(
        response.header("Ms-Cv"),
        Some(ms_cv),
        "case-insensitive lookup"
    );
    assert_eq!(
        response.header("X-MS-Client-Request-Id"),
        Some(id),
        "the echo"
    );
    assert_eq!(response.client_request_id(), Some(id));
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(response.attempts(), 1);
    assert!(response.elapsed() < Duration::from_secs(30));
    let last = env.emulator.requests().records().pop().expect("a request");
    assert_eq!(last.client_request_id.as_deref(), Some(id), "{last:?}");
}

scenario!(every_operation_exposes_its_response(env = Emulator::builder().entra_assignments_page_size(2)) {
    let client = &env.client;
    let n = &mut 0;

    let (id, options) = ticket(n);
    let created = aw!(client.create_user_with_response(CreateUserOptions::default(), &options)).unwrap();
    exposes(&env, &created, &id);
    assert_eq!(created.status(), 201);
    let user = created.into_body();

    let (id, options) = ticket(n);
    let custom_id = CustomId::new(format!("user-{}", Uuid::new_v4())).unwrap();
    let both = CreateUserAndTokenOptions::default().custom_id(custom_id);
    let response = aw!(client.create_user_and_token_with_response(&[TokenScope::Chat], both, &options)).unwrap();
    exposes(&env, &response, &id);

    let (id, options) = ticket(n);
    let response = aw!(client.get_user_detail_with_response(&user, &options)).unwrap();
    exposes(&env, &response, &id);
    assert_eq!(response.body().user, user);

    let (id, options) = ticket(n);
    let response = aw!(client.get_token_with_response(&user, &[TokenScope::Chat], TokenOptions::default(), &options)).unwrap();
    exposes(&env, &response, &id);

    let (id, options) = ticket(n);
    exposes(&env, &aw!(client.revoke_tokens_with_response(&user, &options)).unwrap(), &id);

    let (object_id, app_id) = (Uuid::new_v4(), Uuid::new_v4());
    let entra = env.emulator.issue_entra_user_token(&EntraUser::teams_user(object_id, app_id));
    let exchange = ExchangeTeamsUserToken::new(entra.secret(), app_id.to_string(), object_id.to_string());
    let (id, options) = ticket(n);
    exposes(&env, &aw!(client.get_token_for_teams_user_with_response(exchange, &options)).unwrap(), &id);

    let tenant_id = env.emulator.entra_tenant_id().to_string();
    let mut upsert = UpsertTeamsExtensionAssignment::new(&tenant_id, object_id.to_string(), TeamsExtensionPrincipalType::User);
    upsert.client_ids = vec![app_id.to_string()];
    let (id, options) = ticket(n);
    let response = aw!(client.upsert_teams_extension_assignment_with_response(upsert, &options)).unwrap();
    exposes(&env, &response, &id);
    assert!(response.body().created);

    let (id, options) = ticket(n);
    let object = object_id.to_string();
    exposes(&env, &aw!(client.get_teams_extension_assignment_with_response(&tenant_id, &object, &options)).unwrap(), &id);

    let (id, options) = ticket(n);
    exposes(&env, &aw!(client.exchange_teams_extension_token_with_response(entra.secret(), &options)).unwrap(), &id);

    let (id, options) = ticket(n);
    exposes(&env, &aw!(client.delete_teams_extension_assignment_with_response(&tenant_id, &object, &options)).unwrap(), &id);

    let settings = EntraAssignmentSettings::new(tenant_id.clone(), EntraPrincipalType::User, vec![app_id.to_string()]);
    let object_ids: Vec<String> = (0..3).map(|_| Uuid::new_v4().to_string()).collect();
    for object_id in &object_ids {
        let (id, options) = ticket(n);
        exposes(&env, &aw!(client.upsert_entra_assignment_with_response(object_id, settings.clone(), &options)).unwrap(), &id);
    }

    let (id, options) = ticket(n);
    exposes(&env, &aw!(client.get_entra_assignment_with_response(&object_ids[0], &options)).unwrap(), &id);

    let (id, options) = ticket(n);
    let first = aw!(client.list_entra_assignments_with_response(&options)).unwrap();
    exposes(&env, &first, &id);
    let next_link = first.into_body().next_link.expect("a second page");

    let (id, options) = ticket(n);
    exposes(&env, &aw!(client.list_entra_assignments_next_page_with_response(&next_link, &options)).unwrap(), &id);

    let (id, options) = ticket(n);
    let changes = [(object_ids[2].clone(), None)];
    exposes(&env, &aw!(client.update_entra_assignments_with_response(changes, &options)).unwrap(), &id);

    let entra = env.emulator.issue_entra_user_token(&EntraUser::for_entra_exchange(Uuid::parse_str(&object_ids[0]).unwrap(), app_id));
    let (id, options) = ticket(n);
    exposes(&env, &aw!(client.exchange_entra_token_with_response(entra.secret(), &options)).unwrap(), &id);

    let (id, options) = ticket(n);
    exposes(&env, &aw!(client.delete_entra_assignment_with_response(&object_ids[0], &options)).unwrap(), &id);

    let (id, options) = ticket(n);
    exposes(&env, &aw!(client.delete_user_with_response(&user, &options)).unwrap(), &id);
    assert_eq!(*n, 20, "the 18 operations, the Entra upsert thrice");
});

scenario!(errors_expose_what_responses_do(env) {
    let stranger = crate::sdk::CommunicationUserIdentifier::new(format!("8:acs:{}_{}", Uuid::new_v4(), Uuid::new_v4()));
    let options = CallOptions::default().client_request_id("ticket-error");
    let error = aw!(env.client.revoke_tokens_with_response(&stranger, &options)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service);
    assert_eq!(error.client_request_id(), Some("ticket-error"));
    let ms_cv = error.ms_cv().expect("MS-CV");
    assert_eq!(Some(ms_cv), error.service_error().unwrap().ms_cv());
    assert_eq!(error.attempts(), 1);
    assert!(error.elapsed().is_some());

    // Without a chosen id, the random one the call sent is reported, and is the one the service saw.
    let error = aw!(env.client.revoke_tokens(&stranger)).unwrap_err();
    let logged = env.emulator.requests().records().pop().unwrap().client_request_id;
    assert_eq!(error.client_request_id(), logged.as_deref());
    assert!(Uuid::parse_str(error.client_request_id().unwrap()).is_ok());
});

scenario!(a_call_deadline_beats_the_clients(env) {
    // A client allowing 10 s per call; the call allows 300 ms.
    let patient = env.client_with(ClientOptions::default().attempt_timeout(None).timeout(Duration::from_secs(10)));
    env.emulator.faults().push(FaultRule::next(1, Fault::Latency(Duration::from_secs(3))).only(Operation::CreateIdentity));
    let started = Instant::now();
    let options = CallOptions::default().timeout(Duration::from_millis(300));
    let error = aw!(patient.create_user_with_response(CreateUserOptions::default(), &options)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert!(error.to_string().contains("300ms"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    assert_eq!(error.attempts(), 1);
    assert!(error.client_request_id().is_some());

    // A client allowing 200 ms; the call allows 5 s and outlasts a 500 ms answer.
    let hasty = env.client_with(ClientOptions::default().timeout(Duration::from_millis(200)));
    env.emulator.faults().push(FaultRule::next(1, Fault::Latency(Duration::from_millis(500))).only(Operation::CreateIdentity));
    let options = CallOptions::default().timeout(Duration::from_secs(5));
    let response = aw!(hasty.create_user_with_response(CreateUserOptions::default(), &options)).unwrap();
    assert!(response.elapsed() >= Duration::from_millis(500), "{:?}", response.elapsed());
    // The client's own limit still holds for its other calls.
    env.emulator.faults().push(FaultRule::next(1, Fault::Latency(Duration::from_millis(500))).only(Operation::CreateIdentity));
    assert_eq!(aw!(hasty.create_user()).unwrap_err().kind(), ErrorKind::Timeout);
});

scenario!(a_call_retry_policy_replaces_the_clients(env) {
    let retrying = RetryOptions::default().max_retries(3).initial_delay(Duration::from_millis(5));
    let client = env.client_with(ClientOptions::default().retry(retrying));
    let user = aw!(client.create_user()).unwrap();
    let unavailable = Fault::Status { status: 503, retry_after: Some(RetryAfter::Milliseconds(5)) };

    env.emulator.faults().push(FaultRule::next(1, unavailable.clone()).only(Operation::RevokeAccessTokens));
    let response = aw!(client.revoke_tokens_with_response(&user, &CallOptions::default())).unwrap();
    assert_eq!(response.attempts(), 2, "the client's policy retries");

    env.emulator.requests().reset();
    env.emulator.faults().push(FaultRule::next(1, unavailable).only(Operation::RevokeAccessTokens));
    let once = CallOptions::default().retry(retrying.max_retries(0));
    let error = aw!(client.revoke_tokens_with_response(&user, &once)).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.attempts(), 1);
    assert_eq!(env.emulator.requests().count(Operation::RevokeAccessTokens), 1);
});

scenario!(forbidden_headers_are_refused_before_any_io(env) {
    let entra = env.entra_client(env.app_credential(), ClientOptions::default());
    let user = crate::sdk::CommunicationUserIdentifier::new("8:acs:someone");
    for client in [&env.client, &entra] {
        for name in ["Authorization", "x-ms-date", "Host", "X-MS-Content-SHA256", "x-ms-client-request-id", "Content-Length"] {
            let options = CallOptions::default().header(name, "forged-value");
            let error = aw!(client.get_user_detail_with_response(&user, &options)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{name}: {error:?}");
            let message = error.to_string();
            assert!(message.contains(&name.to_ascii_lowercase()), "{message}");
            assert!(!message.contains("forged-value") && !format!("{error:?}").contains("forged-value"), "{message}");
            assert_eq!(error.attempts(), 0);
        }
        let options = CallOptions::default().client_request_id("has spaces");
        let error = aw!(client.create_user_with_response(CreateUserOptions::default(), &options)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        let options = CallOptions::default().header("x-custom", "line\r\nbreak");
        assert_eq!(aw!(client.delete_user_with_response(&user, &options)).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
    // Neither the service nor the Entra token endpoint saw a request.
    assert_eq!(env.emulator.requests().total(), 0, "{:?}", env.emulator.requests().counts());
});

scenario!(extra_headers_go_on_every_attempt(env) {
    let proxy = Proxy::start(env.emulator.local_addr());
    let client = CommunicationIdentityClient::with_access_key(
        Endpoint::parse(&proxy.url).unwrap(),
        env.emulator.access_key().clone(),
        ClientOptions::default().retry(RetryOptions::default().initial_delay(Duration::from_millis(5))),
    );
    let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let options = CallOptions::default().header("traceparent", traceparent).header("X-Contoso-Tenant", "fabrikam");
    env.emulator.faults().push(FaultRule::next(1, Fault::Status { status: 429, retry_after: Some(RetryAfter::Milliseconds(5)) }).only(Operation::CreateIdentity));
    let response = aw!(client.create_user_with_response(CreateUserOptions::default(), &options)).unwrap();
    assert_eq!(response.attempts(), 2);
    let wire = proxy.wire.text().to_ascii_lowercase();
    assert_eq!(wire.matches(&format!("traceparent: {traceparent}")).count(), 2, "{wire}");
    assert_eq!(wire.matches("x-contoso-tenant: fabrikam").count(), 2, "{wire}");
});
