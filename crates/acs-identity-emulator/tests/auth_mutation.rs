//! HMAC authentication under mutation: every byte of what the signature covers (path, query, date, host,
//! body), the signature itself, a wrong key, a replay after the clock-skew window and each missing header
//! are refused with 401 and an ACS error body; every genuine request passes, ours and the official Python
//! SDK's (replayed from its signed vectors). `cargo xtask interop` shows the live Python and JS SDKs
//! accepted as well.

mod common;

use std::time::{Duration, SystemTime};

use acs_auth::{AccessKey, sign_request};
use acs_identity_emulator::{Emulator, RunningEmulator};
use common::{Client, PREVIEW, Reply};
use http::{HeaderValue, Request};
use serde_json::Value;
use uuid::Uuid;

/// 401 `Denied` with the service's message and an `InvalidHmacSignature` inner error.
fn assert_refused(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 401, "{what}: {}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{what}"
    );
    let json = reply.json();
    assert_eq!(json["error"]["code"], "Denied", "{what}: {json}");
    assert_eq!(json["error"]["message"], "Denied by the resource provider.");
    assert_eq!(
        json["error"]["innererror"]["code"], "InvalidHmacSignature",
        "{what}"
    );
}

/// Another byte for `byte`, one that keeps the request well-formed HTTP: the neighbour with the lowest
/// bit flipped when that is a plain URI character, else `x` (or `y` for an `x`).
fn flip(byte: u8) -> u8 {
    let flipped = byte ^ 1;
    if flipped.is_ascii_alphanumeric() || b"-._~:/=&,".contains(&flipped) {
        flipped
    } else if byte == b'x' {
        b'y'
    } else {
        b'x'
    }
}

/// `text` with the byte at `index` flipped.
fn flipped(text: &str, index: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[index] = flip(bytes[index]);
    String::from_utf8(bytes).expect("flip keeps ASCII")
}

/// One genuine request and every single-byte mutation of its signed parts.
struct Case {
    method: &'static str,
    path: String,
    query: &'static str,
    body: Vec<u8>,
    /// The status of the genuine request.
    accepted: u16,
}

impl Case {
    fn target(&self) -> String {
        format!("{}?{}", self.path, self.query)
    }

    fn signed(&self, client: &Client, key: &AccessKey, at: SystemTime) -> Request<Vec<u8>> {
        let mut request = client.request(self.method, &self.target(), self.body.clone());
        sign_request(&mut request, key, at);
        request
    }

    /// Every mutation: `(what, request)`, built from one request signed at `at`.
    fn mutations(
        &self,
        client: &Client,
        key: &AccessKey,
        at: SystemTime,
    ) -> Vec<(String, Request<Vec<u8>>)> {
        let genuine = self.signed(client, key, at);
        let mut out = Vec::new();
        // The leading `/` stays: without it the request-target is not origin-form.
        for i in 1..self.path.len() {
            let target = format!("{}?{}", flipped(&self.path, i), self.query);
            out.push((format!("path byte {i}"), with_target(&genuine, &target)));
        }
        for i in 0..self.query.len() {
            let target = format!("{}?{}", self.path, flipped(self.query, i));
            out.push((format!("query byte {i}"), with_target(&genuine, &target)));
        }
        for header in ["x-ms-date", "host"] {
            let value = genuine.headers()[header].to_str().unwrap().to_owned();
            for i in 0..value.len() {
                let mut request = genuine.clone();
                request
                    .headers_mut()
                    .insert(header, flipped(&value, i).parse().unwrap());
                out.push((format!("{header} byte {i}"), request));
            }
        }
        for i in 0..self.body.len() {
            let mut request = genuine.clone();
            request.body_mut()[i] = flip(request.body()[i]);
            out.push((format!("body byte {i}"), request));
        }
        let authorization = genuine.headers()["authorization"]
            .to_str()
            .unwrap()
            .to_owned();
        let signature_at = authorization.find("Signature=").unwrap() + "Signature=".len();
        for i in signature_at..authorization.len() {
            let mut request = genuine.clone();
            request
                .headers_mut()
                .insert("authorization", flipped(&authorization, i).parse().unwrap());
            out.push((format!("signature byte {i}"), request));
        }
        for header in ["authorization", "x-ms-date", "x-ms-content-sha256", "host"] {
            let mut request = genuine.clone();
            request.headers_mut().remove(header);
            out.push((format!("no {header}"), request));
        }
        out
    }
}

fn with_target(request: &Request<Vec<u8>>, target: &str) -> Request<Vec<u8>> {
    let mut request = request.clone();
    *request.uri_mut() = target.parse().unwrap_or_else(|e| panic!("{target}: {e}"));
    request
}

async fn cases(client: &Client) -> Vec<Case> {
    let id = common::create_identity(client, PREVIEW).await;
    vec![
        Case {
            method: "POST",
            path: "/identities".to_owned(),
            query: "api-version=2025-03-02-preview",
            body: br#"{"customId":"alice","createTokenWithScopes":["chat"]}"#.to_vec(),
            accepted: 201,
        },
        Case {
            method: "POST",
            path: format!("/identities/{}/:issueAccessToken", common::encoded(&id)),
            query: "api-version=2023-10-01",
            body: br#"{"scopes":["voip"],"expiresInMinutes":60}"#.to_vec(),
            accepted: 200,
        },
        Case {
            method: "GET",
            path: format!("/identities/{id}"),
            query: "api-version=2025-03-02-preview",
            body: Vec::new(),
            accepted: 200,
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_single_byte_mutation_is_refused() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let key = emulator.access_key().clone();
    let before = emulator.identity_count().unwrap();
    let mut refused = 0;
    for case in cases(&client).await {
        let now = SystemTime::now();
        for (what, request) in case.mutations(&client, &key, now) {
            let reply = client.send(request).await.unwrap();
            assert_refused(&reply, &format!("{} {}: {what}", case.method, case.path));
            refused += 1;
        }
        let reply = client.send(case.signed(&client, &key, now)).await.unwrap();
        assert_eq!(reply.status, case.accepted, "{}", reply.text());
    }
    assert!(refused > 400, "{refused} mutations");
    eprintln!("auth mutation: {refused} single-byte mutations and dropped headers, all refused");
    // The identity `cases` made and alice, created by the genuine request only.
    assert_eq!(emulator.identity_count().unwrap(), before + 2);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_and_dates_outside_the_window_are_refused() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let key = emulator.access_key().clone();
    let case = cases(&client).await.remove(0);
    let now = SystemTime::now();

    let mut other = key.to_base64().into_bytes();
    // Another base64 letter (`flip` may leave the alphabet: `/` becomes `.`): a key one bit-group away.
    other[0] = if other[0] == b'A' { b'B' } else { b'A' };
    let near_key = AccessKey::from_base64(std::str::from_utf8(&other).unwrap()).unwrap();
    for (what, wrong) in [
        (
            "random key",
            AccessKey::from_bytes(Uuid::new_v4().as_bytes().to_vec()),
        ),
        ("key one bit away", near_key),
    ] {
        let reply = client
            .send(case.signed(&client, &wrong, now))
            .await
            .unwrap();
        assert_refused(&reply, what);
    }
    let window = Duration::from_secs(15 * 60);
    for at in [
        now - window - Duration::from_secs(5),
        now + window + Duration::from_secs(5),
    ] {
        let reply = client.send(case.signed(&client, &key, at)).await.unwrap();
        assert_refused(&reply, "date outside the window");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_replay_after_the_window_is_refused() {
    let skew = Duration::from_secs(1);
    let emulator = Emulator::builder()
        .max_clock_skew(skew)
        .start()
        .await
        .unwrap();
    let client = Client::new(&emulator);
    let request = client.signed("POST", "/identities?api-version=2023-10-01", "{}");
    assert_eq!(client.send(request.clone()).await.unwrap().status, 201);
    // HTTP dates have whole seconds: wait past the window plus that rounding.
    tokio::time::sleep(skew * 2 + Duration::from_millis(100)).await;
    assert_refused(&client.send(request).await.unwrap(), "replay");
    assert_eq!(emulator.identity_count().unwrap(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn genuine_requests_of_every_shape_pass() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let id = common::create_identity(&client, PREVIEW).await;
    let shapes: [(&str, String, &str); 8] = [
        ("POST", format!("/identities?api-version={PREVIEW}"), ""),
        (
            "POST",
            format!("/identities?api-version={PREVIEW}"),
            r#"{"customId":"😀 ünïcode \"quoted\"","createTokenWithScopes":["chat"]}"#,
        ),
        // Parameters in another order, an unknown one, percent-encoding in the query.
        (
            "POST",
            "/identities?x=%2F%3F&api-version=2023-10-01&y=".to_owned(),
            "{}",
        ),
        ("GET", format!("/identities/{id}?api-version={PREVIEW}"), ""),
        (
            "GET",
            format!("/identities/{}?api-version={PREVIEW}", common::encoded(&id)),
            "",
        ),
        (
            "POST",
            format!(
                "/IDENTITIES/{}/:issueAccessToken?api-version=2023-10-01",
                common::encoded(&id)
            ),
            r#"{"scopes":["chat.join","voip.join"]}"#,
        ),
        (
            "POST",
            format!("/identities/{id}/:revokeAccessTokens?api-version=2021-03-07"),
            "",
        ),
        (
            "DELETE",
            format!("/identities/{id}?api-version=2025-06-30"),
            "",
        ),
    ];
    for (method, target, body) in shapes {
        let reply = client.call(method, &target, body).await;
        assert!(
            (200..300).contains(&reply.status),
            "{method} {target}: {} {}",
            reply.status,
            reply.text()
        );
    }
    emulator.shutdown().await;
}

/// The Python SDK's resource: its vectors' identities belong to it.
const VECTOR_RESOURCE: &str = "1b5cc06b-f352-4571-b1e6-d9b259b7c776";

async fn emulator_with_key(key: &str) -> RunningEmulator {
    Emulator::builder()
        .access_key(AccessKey::from_base64(key).unwrap())
        .resource_id(VECTOR_RESOURCE.parse().unwrap())
        // The vectors were signed once, at a fixed time.
        .max_clock_skew(Duration::from_secs(100 * 365 * 24 * 3600))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_python_sdks_signed_requests_pass_byte_for_byte() {
    let vectors: Vec<Value> = include_str!("data/hmac.jsonl")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(vectors.len(), 24);
    for vector in &vectors {
        let field = |name: &str| vector[name].as_str().unwrap();
        let emulator = emulator_with_key(field("key")).await;
        let client = Client::new(&emulator);
        let mut request = Request::builder()
            .method(field("method"))
            .uri(field("target"))
            .header("host", field("host"))
            .header("x-ms-date", field("x_ms_date"))
            .header("x-ms-content-sha256", field("content_sha256"))
            .header("authorization", field("authorization"))
            .body(field("body").as_bytes().to_vec())
            .unwrap();
        if !request.body().is_empty() {
            request
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
        }
        let reply = client.send(request.clone()).await.unwrap();
        let denied = reply.status == 401 && reply.json()["error"]["code"] == "Denied";
        assert!(!denied, "{}: {}", field("id"), reply.text());

        // And the same request with its body changed is refused.
        request.body_mut().push(b' ');
        assert_refused(&client.send(request).await.unwrap(), field("id"));
        emulator.shutdown().await;
    }
}
