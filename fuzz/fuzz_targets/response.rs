//! Every response parser of the core (`Operation::parse_response` of each operation), the Entra token
//! response parser, the ACS token parser and the retry policy's reading of retry hints, on any response.
//!
//! Input: byte 0 picks the parser; then a status line (`201`), header lines (`name: value`) up to an
//! empty line, and the body. Without an empty line the rest is all body.
//!
//! Checks, besides "never panics": a success is never an error of kind `Service`; an undecodable success
//! body never shows a string value of the body in the error's `Display` or `Debug` (values carrying the
//! marker `SECRET` are tracked: ACS tokens travel in success bodies); the retry policy never asks for a
//! delay above its cap and never retries a success.

#![no_main]

use std::fmt::Debug;
use std::time::{Duration, UNIX_EPOCH};

use acs_identity_core::{
    CreateUser, CreateUserAndToken, DeleteEntraAssignment, DeleteTeamsExtensionAssignment,
    DeleteUser, EntraAssignmentSettings, EntraPrincipalType, ErrorKind, ExchangeEntraToken,
    ExchangeTeamsExtensionToken, ExchangeTeamsUserToken, GetEntraAssignment,
    GetTeamsExtensionAssignment, GetUser, IssueToken, ListEntraAssignments, Operation, Outcome,
    RetryDecision, RetryPolicy, RevokeTokens, TeamsExtensionPrincipalType, UpdateEntraAssignments,
    UpsertEntraAssignment, UpsertTeamsExtensionAssignment, parse_access_token,
};
use acs_identity_types::{CommunicationUserIdentifier, CustomId, TokenScope};
use http::{HeaderName, HeaderValue, Response, StatusCode};
use libfuzzer_sys::fuzz_target;

/// A string value holding this is treated as a secret (seeds put it in their tokens).
const MARKER: &str = "SECRET";
const USER: &str =
    "8:acs:bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd_45ab2481-1c1c-4005-be24-0ffb879b1130";
const TENANT: &str = "00000000-0000-0000-0000-000000000001";
const OBJECT: &str = "00000000-0000-0000-0000-000000000002";
/// The parsers byte 0 chooses from.
const PARSERS: u8 = 20;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let response = response(rest);
    check_retry_policy(&response);
    let user = || CommunicationUserIdentifier::new(USER);
    match selector % PARSERS {
        0 => check(&CreateUser::default(), response),
        1 => check(
            &CreateUser::with_custom_id(CustomId::new("alice").expect("a valid custom id")),
            response,
        ),
        2 => check(&CreateUserAndToken::new([TokenScope::Chat]), response),
        3 => check(&GetUser::new(user()), response),
        4 => check(&DeleteUser::new(user()), response),
        5 => check(&IssueToken::new(user(), [TokenScope::Voip]), response),
        6 => check(&RevokeTokens::new(user()), response),
        7 => check(&ExchangeTeamsUserToken::new("t", "app", "user"), response),
        8 => check(&ExchangeTeamsExtensionToken::new("t"), response),
        9 => check(&GetTeamsExtensionAssignment::new(TENANT, OBJECT), response),
        10 => check(
            &UpsertTeamsExtensionAssignment::new(TENANT, OBJECT, TeamsExtensionPrincipalType::User),
            response,
        ),
        11 => check(
            &DeleteTeamsExtensionAssignment::new(TENANT, OBJECT),
            response,
        ),
        12 => check(&ExchangeEntraToken::new("t"), response),
        13 => check(&ListEntraAssignments::first_page(), response),
        14 => check(&UpdateEntraAssignments::default(), response),
        15 => check(&GetEntraAssignment::new(OBJECT), response),
        16 => check(
            &UpsertEntraAssignment {
                object_id: OBJECT.to_owned(),
                settings: EntraAssignmentSettings {
                    tenant_id: TENANT.to_owned(),
                    principal_type: EntraPrincipalType::User,
                    client_ids: Vec::new(),
                },
            },
            response,
        ),
        17 => check(&DeleteEntraAssignment::new(OBJECT), response),
        18 => {
            let now = UNIX_EPOCH + Duration::from_secs(1_744_644_747);
            let shown =
                match acs_auth::parse_token_response(response.status(), response.body(), now) {
                    Ok(token) => format!("{token:?}"),
                    Err(error) => format!("{error} {error:?}"),
                };
            // An error answer's description is Entra's text; a success holds the token.
            if response.status().is_success()
                && let Ok(json) = serde_json::from_slice(response.body())
            {
                assert_no_secret(&json, &shown);
            }
        }
        _ => {
            let text = String::from_utf8_lossy(response.body()).into_owned();
            let shown = match parse_access_token(text) {
                Ok(token) => format!("{token:?}"),
                Err(error) => format!("{error} {error:?}"),
            };
            assert!(!shown.contains(MARKER), "a token shows: {shown}");
        }
    }
});

/// Builds the response from `<status>\n<name: value>\n...\n\n<body>`; bad parts are dropped.
fn response(data: &[u8]) -> Response<Vec<u8>> {
    let (status_line, rest) = split_at(data, b"\n").unwrap_or((data, &[]));
    let status = std::str::from_utf8(status_line)
        .ok()
        .and_then(|s| s.trim().parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let (head, body) = split_at(rest, b"\n\n").unwrap_or((&[], rest));
    let mut response = Response::new(body.to_vec());
    *response.status_mut() = status;
    for line in head.split(|b| *b == b'\n') {
        let Some((name, value)) = split_at(line, b":") else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim_ascii()),
            HeaderValue::from_bytes(value.trim_ascii()),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

fn split_at<'a>(data: &'a [u8], separator: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = data.windows(separator.len()).position(|w| w == separator)?;
    Some((&data[..at], &data[at + separator.len()..]))
}

fn check<O>(operation: &O, response: Response<Vec<u8>>)
where
    O: Operation,
    O::Output: Debug,
{
    let success = response.status().is_success();
    let body = response.body().clone();
    match operation.parse_response(response) {
        Ok(output) => {
            assert!(success, "a {} answer parsed as a success", O::NAME);
            let _ = format!("{output:?}");
        }
        Err(error) => {
            if success {
                assert_ne!(
                    error.kind(),
                    ErrorKind::Service,
                    "a success read as a service error"
                );
            } else {
                assert_eq!(error.kind(), ErrorKind::Service);
                assert!(error.service_error().is_some());
            }
            let shown = format!("{error} {error:?}");
            if let Some(decode) = error.decode_error() {
                assert_eq!(decode.body_len(), body.len());
                match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(json) => assert_no_secret(&json, &shown),
                    // Not JSON: what looks like a value may be read as a key (and keys show in the
                    // path); the message itself has a position, never a value.
                    Err(_) => assert!(!decode.message().contains(MARKER), "{shown}"),
                }
            }
        }
    }
}

/// When a string value of `json` holds the marker, `shown` holds no part of it: not the value, not the
/// marker (object keys are names, not values, and may show in a JSON path).
fn assert_no_secret(json: &serde_json::Value, shown: &str) {
    let mut values = Vec::new();
    let mut keys = Vec::new();
    collect_strings(json, &mut values, &mut keys);
    if keys.iter().any(|key| key.contains(MARKER)) {
        return;
    }
    if values.iter().any(|value| value.contains(MARKER)) {
        assert!(!shown.contains(MARKER), "a body value shows: {shown}");
    }
}

fn collect_strings<'a>(
    value: &'a serde_json::Value,
    values: &mut Vec<&'a String>,
    keys: &mut Vec<&'a String>,
) {
    match value {
        serde_json::Value::String(s) => values.push(s),
        serde_json::Value::Array(items) => {
            for item in items {
                collect_strings(item, values, keys);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                keys.push(key);
                collect_strings(item, values, keys);
            }
        }
        _ => {}
    }
}

/// The policy's delay never exceeds its cap, and a success or a client error is never retried.
fn check_retry_policy(response: &Response<Vec<u8>>) {
    let policy = RetryPolicy::default();
    let outcome = Outcome::Response {
        status: response.status(),
        headers: response.headers(),
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_744_644_747);
    for (attempt, idempotent) in [(1, true), (3, false), (4, true)] {
        let decision = policy.decide(attempt, Duration::ZERO, &outcome, idempotent, 0.5, now);
        match decision {
            RetryDecision::RetryAfter(delay) => {
                assert!(delay <= policy.options().max_delay, "{delay:?}");
                assert!(attempt <= policy.options().max_retries);
                assert!(matches!(
                    response.status().as_u16(),
                    408 | 429 | 500 | 502 | 503 | 504
                ));
            }
            RetryDecision::Stop => {}
        }
    }
}
