//! Regressions found by the `response` fuzz target (`fuzz/`): a malformed success body must not show
//! any of its values in the decode error's `Display` or `Debug`, since success bodies carry tokens.

use acs_identity_core::{CreateUserAndToken, ErrorKind, IssueToken, Operation};
use acs_identity_types::{CommunicationUserIdentifier, TokenScope};

const SECRET: &str = "SECRET";

fn assert_redacted<O: Operation>(operation: &O, body: &str) {
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap();
    let Err(error) = operation.parse_response(response) else {
        panic!("{body} decoded");
    };
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains(SECRET), "{shown}");
    }
    let decode = error.decode_error().unwrap();
    assert!(
        decode.message().contains("[redacted]"),
        "{}",
        decode.message()
    );
    assert_eq!(
        decode.raw_body(),
        body,
        "the body stays available on purpose"
    );
}

#[test]
fn a_malformed_timestamp_is_not_echoed() {
    // The timestamp parser quoted the bad value in backticks, which the redaction did not remove.
    let issue = IssueToken::new(
        CommunicationUserIdentifier::new("8:acs:r_u"),
        [TokenScope::Chat],
    );
    assert_redacted(&issue, r#"{"token":"t","expiresOn":"2025-07SECRET-token"}"#);
    assert_redacted(
        &issue,
        r#"{"token":"t","expiresOn":"2025-07\"SECRET-token"}"#,
    );
}

#[test]
fn an_escaped_quote_does_not_end_the_redaction() {
    // serde quotes the offending string with `{:?}`: an escaped `\"` inside it is not its end.
    let create = CreateUserAndToken::new([TokenScope::Chat]);
    assert_redacted(
        &create,
        r#"{"identity":{"id":"8:acs:r_u"},"accessToken":"eyJ\"SECRET\\\"SECRET"}"#,
    );
    assert_redacted(&create, r#"{"identity":"a\"b\"SECRET"}"#);
}
