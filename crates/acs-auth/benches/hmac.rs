//! HMAC-SHA256 signing and verification of a typical request: an issue-token `POST` to a local endpoint.
//!
//! Run with `cargo bench -p acs-auth`. The same verification runs in the emulator for every request.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acs_auth::{AccessKey, HmacVerification, compute_signature, sign_request, string_to_sign};
use criterion::{Criterion, criterion_main};
use http::header::{ACCEPT, CONTENT_TYPE, HOST, USER_AGENT};

const URI: &str = "http://127.0.0.1:47123/identities/\
    8%3Aacs%3A2dee53b4-368b-45b4-ab52-8493fb117652_00000005-14a2-493b-8a72-5a3a0d000081\
    /:issueAccessToken?api-version=2023-10-01";
const BODY: &[u8] = br#"{"scopes":["chat"]}"#;
/// Wed, 13 Apr 2022 18:09:12 GMT.
const SIGNED_AT: Duration = Duration::from_secs(1_649_873_352);

/// A 64-byte key, the size of the service's keys.
fn key() -> AccessKey {
    AccessKey::from_bytes((0u8..64).collect::<Vec<u8>>())
}

fn unsigned_request() -> http::Request<Vec<u8>> {
    http::Request::post(URI)
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .header(
            USER_AGENT,
            "azsdk-rust-acs-identity/0.1.0 (rustc-1.88.0; linux; x86_64)",
        )
        .header(
            "x-ms-client-request-id",
            "0f4e4a1c-5a64-4a5b-9d3e-2b8f1c9d7e60",
        )
        .body(BODY.to_vec())
        .expect("a valid request")
}

fn signing(c: &mut Criterion) {
    let key = key();
    let now = UNIX_EPOCH + SIGNED_AT;
    let request = unsigned_request();

    c.bench_function("sign_request/issue_token", |b| {
        b.iter_batched_ref(
            || request.clone(),
            |request| sign_request(request, &key, black_box(now)),
            criterion::BatchSize::SmallInput,
        );
    });

    let string = string_to_sign(
        "POST",
        request.uri().path_and_query().map_or("/", |pq| pq.as_str()),
        "Wed, 13 Apr 2022 18:09:12 GMT",
        "127.0.0.1:47123",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    );
    c.bench_function("compute_signature/issue_token", |b| {
        b.iter(|| compute_signature(&key, black_box(&string)));
    });
}

fn verification(c: &mut Criterion) {
    let key = key();
    let signed_at = UNIX_EPOCH + SIGNED_AT;
    let mut request = unsigned_request();
    sign_request(&mut request, &key, signed_at);
    // A server sees the Host header the client derived from the URI.
    request
        .headers_mut()
        .insert(HOST, "127.0.0.1:47123".parse().expect("a valid host"));
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let received_at: SystemTime = signed_at + Duration::from_secs(2);
    let verification = HmacVerification::default();
    verification
        .verify(
            request.method(),
            &target,
            request.headers(),
            request.body(),
            &key,
            received_at,
        )
        .expect("the signed request verifies");

    c.bench_function("verify/issue_token", |b| {
        b.iter(|| {
            verification.verify(
                request.method(),
                black_box(&target),
                request.headers(),
                request.body(),
                &key,
                received_at,
            )
        });
    });
}

/// Every benchmark of this file, configured from the command line (`cargo bench -- <filter>`).
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    signing(&mut criterion);
    verification(&mut criterion);
}
criterion_main!(benches);
