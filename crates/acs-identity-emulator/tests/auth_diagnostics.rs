//! Rejected requests explain themselves: each reason (missing header, date skew, body hash, signature
//! mismatch with the string-to-sign) and each known client quirk (trailing `/` in the signed host, a
//! default port signed but not sent, the path signed decoded or encoded) is in `x-emulator-auth-error` and
//! in the request log, while the answer stays the service's 401. The bad requests are built by hand with
//! acs-auth's signing pieces; the signature and the key are never shown.

mod common;

use std::time::{Duration, SystemTime};

use acs_auth::{AccessKey, compute_signature, content_sha256, sign_request, string_to_sign};
use acs_identity_emulator::{Emulator, Operation, RunningEmulator};
use common::{Client, PREVIEW, Reply};
use http::Request;

const QUERY: &str = "api-version=2023-10-01";
const BODY: &[u8] = br#"{"scopes":["chat"]}"#;

/// A request signed by hand: `signed_host` and `signed_target` are what the string-to-sign says, `host` and
/// `target` what is sent.
struct HandSigned<'a> {
    key: &'a AccessKey,
    method: &'a str,
    target: &'a str,
    signed_target: &'a str,
    host: &'a str,
    signed_host: &'a str,
    body: &'a [u8],
    at: SystemTime,
}

impl HandSigned<'_> {
    fn build(&self) -> (Request<Vec<u8>>, String) {
        let date = httpdate::fmt_http_date(self.at);
        let hash = content_sha256(self.body);
        let to_sign = string_to_sign(
            self.method,
            self.signed_target,
            &date,
            self.signed_host,
            &hash,
        );
        let signature = compute_signature(self.key, &to_sign);
        let request = Request::builder()
            .method(self.method)
            .uri(self.target)
            .header("host", self.host)
            .header("content-type", "application/json")
            .header("x-ms-date", date)
            .header("x-ms-content-sha256", hash)
            .header(
                "authorization",
                format!(
                    "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"
                ),
            )
            .body(self.body.to_vec())
            .unwrap();
        (request, signature)
    }
}

/// 401 `Denied` as the service answers it, and the emulator's reason.
fn reason(reply: &Reply) -> String {
    assert_eq!(reply.status, 401, "{}", reply.text());
    let json = reply.json();
    assert_eq!(json["error"]["code"], "Denied", "{json}");
    assert_eq!(json["error"]["message"], "Denied by the resource provider.");
    reply
        .header("x-emulator-auth-error")
        .unwrap_or_else(|| panic!("no x-emulator-auth-error: {:?}", reply.headers))
        .to_owned()
}

/// The reason the request log kept for the latest request of `operation`.
fn logged(emulator: &RunningEmulator, operation: Operation) -> Option<String> {
    emulator
        .requests()
        .records_of(operation)
        .last()
        .and_then(|r| r.auth_error.clone())
}

async fn issue_target(client: &Client) -> (String, String) {
    let id = common::create_identity(client, PREVIEW).await;
    let encoded = format!(
        "/identities/{}/:issueAccessToken?{QUERY}",
        common::encoded(&id)
    );
    let raw = format!("/identities/{id}/:issueAccessToken?{QUERY}");
    (encoded, raw)
}

#[tokio::test]
async fn each_missing_header_is_named() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let (target, _) = issue_target(&client).await;
    for (header, expected) in [
        ("authorization", "the authorization header is missing"),
        (
            "x-ms-date",
            "the x-ms-date header is missing (and there is no Date header)",
        ),
        (
            "x-ms-content-sha256",
            "the x-ms-content-sha256 header is missing",
        ),
    ] {
        let mut request = client.signed("POST", &target, BODY);
        request.headers_mut().remove(header);
        let reply = client.send(request).await.unwrap();
        assert_eq!(reason(&reply), expected);
        assert_eq!(
            logged(&emulator, Operation::IssueAccessToken).as_deref(),
            Some(expected)
        );
    }
    let mut request = client.signed("POST", &target, BODY);
    request.headers_mut().insert(
        "authorization",
        "HMAC-SHA256 Signature=abc".parse().unwrap(),
    );
    let reply = client.send(request).await.unwrap();
    assert!(reason(&reply).starts_with("the Authorization header is not 'HMAC-SHA256"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn date_skew_says_by_how_much() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let (target, _) = issue_target(&client).await;
    for (offset, direction) in [(-1200_i64, "behind"), (1800, "ahead of")] {
        let at = if offset < 0 {
            SystemTime::now() - Duration::from_secs(offset.unsigned_abs())
        } else {
            SystemTime::now() + Duration::from_secs(offset.unsigned_abs())
        };
        let mut request = client.request("POST", &target, BODY);
        sign_request(&mut request, emulator.access_key(), at);
        let reply = client.send(request).await.unwrap();
        let reason = reason(&reply);
        // Whole seconds, give or take the second the request takes.
        let seconds: u64 = reason
            .strip_prefix("the request date is ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{reason}"));
        assert!(
            seconds.abs_diff(offset.unsigned_abs()) <= 2,
            "{seconds} vs {offset}: {reason}"
        );
        assert!(
            reason.ends_with(&format!(
                "s {direction} the server's clock, more than the 900 s allowed"
            )),
            "{reason}"
        );
    }
    let mut request = client.signed("POST", &target, BODY);
    request
        .headers_mut()
        .insert("x-ms-date", "yesterday".parse().unwrap());
    let reply = client.send(request).await.unwrap();
    assert!(reason(&reply).starts_with("the x-ms-date header is not an RFC 1123 date"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_body_hash_mismatch_gives_the_hash_of_the_body_received() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let (target, _) = issue_target(&client).await;
    let mut request = client.signed("POST", &target, BODY);
    let sent = br#"{"scopes":["voip"]}"#;
    *request.body_mut() = sent.to_vec();
    let reply = client.send(request).await.unwrap();
    assert_eq!(
        reason(&reply),
        format!(
            "x-ms-content-sha256 is not the SHA-256 of the {}-byte body received, which is {}",
            sent.len(),
            content_sha256(sent)
        )
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_signature_mismatch_shows_the_expected_string_to_sign_but_never_the_signature() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let (target, _) = issue_target(&client).await;
    let wrong_key = AccessKey::from_base64("d3Jvbmcga2V5").unwrap();
    let at = SystemTime::now();
    let (request, signature) = HandSigned {
        key: &wrong_key,
        method: "POST",
        target: &target,
        signed_target: &target,
        host: client.authority(),
        signed_host: client.authority(),
        body: BODY,
        at,
    }
    .build();
    let reply = client.send(request).await.unwrap();
    let reason = reason(&reply);
    let expected = string_to_sign(
        "POST",
        &target,
        &httpdate::fmt_http_date(at),
        client.authority(),
        &content_sha256(BODY),
    );
    assert_eq!(
        reason,
        format!(
            "the signature does not match the string-to-sign {expected:?} (wrong key, or a signed part differs from what was sent)"
        )
    );
    assert!(!reason.contains(&signature));
    assert!(!reply.text().contains(&signature));
    let key = emulator.access_key().to_base64();
    assert!(!reason.contains(&key) && !reply.text().contains(&key));
    let log = logged(&emulator, Operation::IssueAccessToken).unwrap();
    assert_eq!(log, reason);
    assert!(!log.contains(&signature));
    emulator.shutdown().await;
}

#[tokio::test]
async fn each_known_quirk_is_named_and_still_refused() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let (encoded, raw) = issue_target(&client).await;
    let key = emulator.access_key().clone();
    let authority = client.authority().to_owned();
    let with_slash = format!("{authority}/");
    let cases: [(&str, &str, &str, &str, &str, &str); 6] = [
        (
            "trailing slash",
            &encoded,
            &encoded,
            &authority,
            &with_slash,
            "it matches when the host is signed with the endpoint's trailing '/'",
        ),
        (
            ":443 signed, not sent",
            &encoded,
            &encoded,
            "localhost",
            "localhost:443",
            "it matches when the host is signed with :443, which the Host header leaves out",
        ),
        (
            ":80 signed, not sent",
            &encoded,
            &encoded,
            "localhost",
            "localhost:80",
            "it matches when the host is signed with :80, which the Host header leaves out",
        ),
        (
            "path signed decoded, sent encoded",
            &encoded,
            &raw,
            &authority,
            &authority,
            "it matches when the path is signed percent-decoded",
        ),
        (
            "path signed encoded, sent raw",
            &raw,
            &encoded,
            &authority,
            &authority,
            "it matches when the path is signed percent-encoded",
        ),
        (
            "path signed with every ':' encoded, sent raw",
            &raw,
            &raw.replace(':', "%3A"),
            &authority,
            &authority,
            "it matches when the path is signed percent-encoded",
        ),
    ];
    for (what, target, signed_target, host, signed_host, quirk) in cases {
        let (request, signature) = HandSigned {
            key: &key,
            method: "POST",
            target,
            signed_target,
            host,
            signed_host,
            body: BODY,
            at: SystemTime::now(),
        }
        .build();
        let reply = client.send(request).await.unwrap();
        let reason = reason(&reply);
        assert!(reason.contains(quirk), "{what}: {reason}");
        assert!(!reason.contains(&signature), "{what}");
        let log = logged(&emulator, Operation::IssueAccessToken).unwrap();
        assert!(log.contains(quirk), "{what}: {log}");

        // The same request signed over what is sent passes: the quirk is the only difference.
        let (request, _) = HandSigned {
            key: &key,
            method: "POST",
            target,
            signed_target: target,
            host,
            signed_host: host,
            body: BODY,
            at: SystemTime::now(),
        }
        .build();
        let reply = client.send(request).await.unwrap();
        assert_eq!(reply.status, 200, "{what}: {}", reply.text());
        assert_eq!(reply.header("x-emulator-auth-error"), None);
        assert_eq!(logged(&emulator, Operation::IssueAccessToken), None);
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_bad_bearer_token_is_explained_too() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let (target, _) = issue_target(&client).await;
    let reply = client
        .send(client.bearer("POST", &target, BODY, "not.a.token"))
        .await
        .unwrap();
    assert!(reason(&reply).starts_with("the bearer token is not a valid"));
    emulator.shutdown().await;
}
