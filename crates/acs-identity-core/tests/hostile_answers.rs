//! A hostile or broken server, sans-IO: a frontend's loop driven by hand through the public API (start the
//! call, sign each attempt as the clients do, decide, complete) against answers that are huge, echo what the
//! call sent, or ask to wait for an hour. The error a call ends with is bounded, shows no secret in any
//! encoding, and comes at once instead of after a useless wait.

use std::time::{Duration, SystemTime};

use acs_auth::{AccessKey, Endpoint};
use acs_identity_core::{
    Authorization, Call, CallDecision, CallOptions, ClientConfig, ClientOptions, CreateUser, Error,
    ErrorKind, ExchangeTeamsUserToken, Operation, ServiceError,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::header::AUTHORIZATION;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// Sun, 06 Nov 1994 08:49:37 GMT.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777)
}

fn config() -> ClientConfig {
    let endpoint = Endpoint::parse("https://contoso.communication.azure.com").unwrap();
    ClientConfig::new(endpoint, ClientOptions::default(), "0.1.0", "rustc-1.88.0")
}

/// Every form of `secret` the error must not show.
fn forms(secret: &str) -> Vec<String> {
    vec![
        secret.to_owned(),
        STANDARD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
    ]
}

/// Everything an error lets a user see: `Display`, `Debug` and every accessor of its service error.
fn shown(error: &Error) -> String {
    let mut text = format!("{error}\n{error:?}\n");
    if let Some(service) = error.service_error() {
        let fields = [
            service.code(),
            service.message(),
            service.target(),
            service.body_excerpt(),
            service.ms_cv(),
            service.client_request_id(),
            service.request_id(),
        ];
        for field in fields.into_iter().flatten() {
            text.push_str(field);
            text.push('\n');
        }
        text.push_str(&format!("{:?}", service.details()));
    }
    text
}

fn assert_hidden(error: &Error, secrets: &[&str]) {
    let text = shown(error);
    for secret in secrets {
        for form in forms(secret) {
            assert!(
                !text.contains(&form),
                "{form} shown:\n{}",
                text.chars().take(2000).collect::<String>()
            );
        }
    }
}

/// One attempt of `call`: its request signed at `now` with `key` (as a frontend does), started.
fn attempt<O: Operation>(
    config: &ClientConfig,
    operation: &O,
    call: &mut Call,
    key: &AccessKey,
) -> String {
    let mut request = config.rebuild(operation, call).unwrap();
    if operation.authorization() == Authorization::Credential {
        acs_auth::sign_request(&mut request, key, now());
    }
    call.start_attempt(&request, Duration::ZERO).unwrap();
    request.headers()[AUTHORIZATION]
        .to_str()
        .unwrap()
        .to_owned()
}

fn signature(authorization: &str) -> &str {
    authorization.split_once("Signature=").unwrap().1
}

/// A 3 MB ACS error whose message echoes `echo` (raw, base64, percent-encoded) at its start.
fn huge_echo(echo: &str) -> Vec<u8> {
    let echoed = forms(echo).join(" | ");
    let message = format!("You sent {echoed}. {}", "ü".repeat(1_500_000));
    serde_json::json!({"error": {"code": "ServiceUnavailable", "message": message}})
        .to_string()
        .into_bytes()
}

#[test]
fn a_huge_echo_with_an_hour_long_retry_after_ends_at_once_bounded_and_redacted() {
    let config = config();
    let key = AccessKey::from_bytes((0..32).collect());
    let operation = CreateUser::with_custom_id(acs_identity_types::CustomId::new("alice").unwrap());
    let (_, mut call) = config
        .start_call(&operation, 7, &CallOptions::default())
        .unwrap();
    let authorization = attempt(&config, &operation, &mut call, &key);
    let answer = http::Response::builder()
        .status(503)
        .header("retry-after", "3600")
        .header("ms-cv", format!("cv-{}", signature(&authorization)))
        .header("x-ms-client-request-id", &authorization)
        .body(huge_echo(&authorization))
        .unwrap();
    let decision = call.decide(Ok(answer), Duration::from_millis(20), 0.5, now());
    let CallDecision::Finish(result) = decision else {
        panic!("the call waits: {decision:?}")
    };
    let error = call
        .complete(&operation, result, Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service);
    assert_eq!(error.attempts(), 1);
    let service = error.service_error().unwrap();
    assert_eq!(
        service.retry_after_beyond_budget(),
        Some(Duration::from_secs(3600))
    );
    assert!(service.is_truncated());
    assert!(service.message().unwrap().len() <= ServiceError::MESSAGE_LIMIT);
    assert!(service.message().unwrap().ends_with("ü...[truncated]"));
    assert!(
        error.to_string().len() < 6 * 1024,
        "{}",
        error.to_string().len()
    );
    assert_eq!(service.ms_cv(), Some("cv-[redacted]"));
    assert_eq!(service.client_request_id(), Some("[redacted]"));
    assert_hidden(&error, &[&authorization, signature(&authorization)]);
    let message = service.message().unwrap();
    assert!(
        message.starts_with("You sent [redacted] | [redacted] | [redacted] | [redacted]. ü"),
        "{}",
        message.chars().take(80).collect::<String>()
    );
}

#[test]
fn every_attempt_and_the_operations_own_secret_are_redacted() {
    let config = config();
    let key = AccessKey::from_bytes(vec![42; 64]);
    let teams_token = "eyJ0eXAiOiJKV1QifQ.eyJvaWQiOiJ0ZWFtcy11c2VyIn0.dGVhbXMtc2lnbmF0dXJl";
    let operation = ExchangeTeamsUserToken::new(teams_token, "app-id", "user-id");
    let (_, mut call) = config
        .start_call(&operation, 7, &CallOptions::default())
        .unwrap();
    let mut sent = Vec::new();
    // Three attempts, each signed afresh a second apart, as a frontend does: three signatures.
    for attempt_number in 0..3u64 {
        let mut request = config.rebuild(&operation, &call).unwrap();
        acs_auth::sign_request(
            &mut request,
            &key,
            now() + Duration::from_secs(attempt_number),
        );
        call.start_attempt(&request, Duration::ZERO).unwrap();
        sent.push(
            request.headers()[AUTHORIZATION]
                .to_str()
                .unwrap()
                .to_owned(),
        );
        let busy = http::Response::builder()
            .status(429)
            .header("retry-after-ms", "5")
            .body(Vec::new())
            .unwrap();
        if attempt_number < 2 {
            let decision = call.decide(Ok(busy), Duration::ZERO, 0.5, now());
            assert!(matches!(decision, CallDecision::Retry(_)), "{decision:?}");
        }
    }
    assert_ne!(sent[0], sent[2], "each attempt has its own signature");
    // The last answer echoes the first attempt's signature and the Teams user's token.
    let body = format!(
        r#"{{"error":{{"code":"InvalidAccessToken","message":"Provided access token is not valid: {teams_token}","details":[{{"code":"Sig","message":"{}"}}]}}}}"#,
        signature(&sent[0]).replace('/', "\\/")
    );
    let answer = http::Response::builder()
        .status(401)
        .body(body.into_bytes())
        .unwrap();
    let error = call
        .complete(&operation, Ok(answer), Duration::ZERO)
        .unwrap_err();
    assert_eq!(error.attempts(), 3);
    let secrets: Vec<&str> = sent
        .iter()
        .map(|s| signature(s))
        .chain([teams_token])
        .collect();
    assert_hidden(&error, &secrets);
    let service = error.service_error().unwrap();
    assert_eq!(
        service.message(),
        Some("Provided access token is not valid: [redacted]")
    );
    assert_eq!(service.details()[0].message, "[redacted]");
}

#[test]
fn a_bearer_token_echoed_in_an_html_page_is_redacted() {
    let config = config();
    let operation = CreateUser::default();
    let (_, mut call) = config
        .start_call(&operation, 7, &CallOptions::default())
        .unwrap();
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2NvbW11bmljYXRpb24uYXp1cmUuY29tIn0.c2ln";
    let mut request = config.rebuild(&operation, &call).unwrap();
    request
        .headers_mut()
        .insert(AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    call.start_attempt(&request, Duration::ZERO).unwrap();
    let page = format!(
        "<html><body>Bad gateway. Your request: Authorization=Bearer%20{token} ({})</body></html>",
        STANDARD.encode(token)
    );
    let answer = http::Response::builder()
        .status(502)
        .body(page.into_bytes())
        .unwrap();
    let error = call
        .complete(&operation, Ok(answer), Duration::ZERO)
        .unwrap_err();
    assert_hidden(&error, &[token, &format!("Bearer {token}")]);
    assert_eq!(
        error.service_error().unwrap().body_excerpt(),
        Some(
            "<html><body>Bad gateway. Your request: Authorization=[redacted] ([redacted])</body></html>"
        )
    );
}
