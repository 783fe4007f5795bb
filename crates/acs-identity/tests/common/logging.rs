//! TRACE-level logs of whole sessions (access key and Entra ID) never contain a secret.
//!
//! Included by `tests/logging.rs` of both clients, each its own test binary: it installs the global
//! subscriber (and the `log` bridge, for ureq), so it holds this one test only.

use std::time::{Duration, SystemTime};

use acs_identity_emulator::{EntraUser, Fault, FaultRule, Operation, RetryAfter};
use tracing_subscriber::fmt::format::FmtSpan;
use uuid::Uuid;

use crate::proxy::Buffer;
use crate::sdk::{
    ClientOptions, CreateUserAndTokenOptions, CreateUserOptions, CustomId, EntraToken,
    ExchangeTeamsUserToken, TokenOptions, TokenScope,
};
use crate::support::Recording;

/// Records every event and span at TRACE, filtered by the client's [`LOG_FILTER`](crate::support::LOG_FILTER).
fn capture() -> Buffer {
    Buffer::capture(crate::support::LOG_FILTER, FmtSpan::NEW | FmtSpan::CLOSE)
}

scenario!(no_secret_reaches_the_logs(env) {
    let logs = capture();
    let mut secrets = vec![env.emulator.access_key().to_base64(), env.emulator.entra_app().client_secret().to_owned()];

    // Access key: every kind of call, a retry, a service error.
    let user = aw!(env.client.create_user()).unwrap();
    let throttle = Fault::Status { status: 429, retry_after: Some(RetryAfter::Milliseconds(10)) };
    env.emulator.faults().push(FaultRule::next(1, throttle).only(Operation::IssueAccessToken));
    secrets.push(aw!(env.client.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap().into_token());
    let custom_id = CustomId::new("logged-user").unwrap();
    let options = CreateUserAndTokenOptions::default().custom_id(custom_id.clone());
    let created = aw!(env.client.create_user_and_token(&[TokenScope::Voip], options)).unwrap();
    secrets.push(created.access_token.token().to_owned());
    aw!(env.client.create_user_with_options(CreateUserOptions::default().custom_id(custom_id))).unwrap();
    aw!(env.client.get_user_detail(&user)).unwrap();
    let (object_id, app_id) = (Uuid::new_v4(), Uuid::new_v4());
    let teams_token = env.emulator.issue_entra_user_token(&EntraUser::teams_user(object_id, app_id));
    secrets.push(teams_token.secret().to_owned());
    let exchange = ExchangeTeamsUserToken::new(teams_token.secret(), app_id.to_string(), object_id.to_string());
    secrets.push(aw!(env.client.get_token_for_teams_user(exchange)).unwrap().into_token());
    let extension_token = env.emulator.issue_entra_user_token(&EntraUser::teams_user(Uuid::new_v4(), app_id));
    secrets.push(extension_token.secret().to_owned());
    assert!(aw!(env.client.exchange_teams_extension_token(extension_token.secret())).is_err());
    aw!(env.client.revoke_tokens(&user)).unwrap();
    aw!(env.client.delete_user(&user)).unwrap();

    // Entra ID: a client secret credential, then a fixed token.
    let (credential, bearers) = Recording::new(env.app_credential());
    let entra = env.entra_client(credential, ClientOptions::default());
    let user = aw!(entra.create_user()).unwrap();
    secrets.push(aw!(entra.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap().into_token());
    let bearer = bearers.lock().unwrap().first().cloned().expect("a bearer token");
    secrets.push(bearer.clone());
    let fixed = EntraToken::new(bearer, SystemTime::now() + Duration::from_secs(3000));
    let entra = env.entra_client(fixed, ClientOptions::default());
    aw!(entra.delete_user(&user)).unwrap();

    let text = logs.text();
    for expected in [
        "CommunicationIdentityClient.create_user",
        "CommunicationIdentityClient.get_token_for_teams_user",
        "sending request",
        "received response",
        "retrying",
        "x-ms-client-request-id",
        r#""authorization": [redacted]"#,
    ] {
        assert!(text.contains(expected), "the logs lack {expected:?}:\n{text}");
    }
    for (n, secret) in secrets.iter().enumerate() {
        assert!(secret.len() >= 20, "secret {n} is too short to search for");
        assert!(!text.contains(secret.as_str()), "secret {n} is in the logs");
    }
    for marker in ["Signature=", "HMAC-SHA256", "Bearer", "client_secret", "accesskey="] {
        assert!(!text.contains(marker), "{marker:?} is in the logs: {}", text.lines().filter(|l| l.contains(marker)).collect::<Vec<_>>().join("\n"));
    }
});
