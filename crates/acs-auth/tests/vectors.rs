//! Every request in `tests/data/hmac.jsonl`, signed by the official Python SDK, reproduced byte for byte.

use std::time::SystemTime;

use acs_auth::{
    AccessKey, HmacVerification, VerifyError, compute_signature, content_sha256, sign_request,
    string_to_sign,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, HOST};
use http::{HeaderValue, Method, Request};
use serde::Deserialize;

const VECTORS: &str = include_str!("data/hmac.jsonl");

#[derive(Deserialize)]
struct Vector {
    id: String,
    key: String,
    method: String,
    target: String,
    host: String,
    x_ms_date: String,
    body: String,
    content_sha256: String,
    string_to_sign: String,
    authorization: String,
    signature: String,
}

fn vectors() -> Vec<Vector> {
    VECTORS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn signed_request(v: &Vector, key: &AccessKey, now: SystemTime) -> Request<Vec<u8>> {
    let mut request = Request::builder()
        .method(v.method.as_str())
        .uri(format!("https://{}{}", v.host, v.target))
        .body(v.body.clone().into_bytes())
        .unwrap();
    sign_request(&mut request, key, now);
    request
}

#[test]
fn every_vector_signs_byte_for_byte() {
    let mut checked = 0;
    for v in vectors() {
        let id = &v.id;
        let key = AccessKey::from_base64(&v.key).unwrap();
        let now = httpdate::parse_http_date(&v.x_ms_date).unwrap();

        assert_eq!(
            content_sha256(v.body.as_bytes()),
            v.content_sha256,
            "{id}: content hash"
        );
        let sts = string_to_sign(
            &v.method,
            &v.target,
            &v.x_ms_date,
            &v.host,
            &v.content_sha256,
        );
        assert_eq!(sts, v.string_to_sign, "{id}: string to sign");
        assert_eq!(
            compute_signature(&key, &sts),
            v.signature,
            "{id}: signature"
        );
        assert_eq!(
            format!(
                "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={}",
                v.signature
            ),
            v.authorization,
            "{id}: authorization layout"
        );

        let request = signed_request(&v, &key, now);
        let headers = request.headers();
        assert_eq!(
            headers.len(),
            3,
            "{id}: sign_request adds exactly three headers"
        );
        assert_eq!(
            headers["x-ms-date"].as_bytes(),
            v.x_ms_date.as_bytes(),
            "{id}"
        );
        assert_eq!(
            headers["x-ms-content-sha256"].as_bytes(),
            v.content_sha256.as_bytes(),
            "{id}"
        );
        assert_eq!(
            headers[AUTHORIZATION].as_bytes(),
            v.authorization.as_bytes(),
            "{id}"
        );
        assert!(headers[AUTHORIZATION].is_sensitive(), "{id}");
        checked += 1;
    }
    assert_eq!(checked, 24, "every line of hmac.jsonl ran");
}

#[test]
fn every_vector_verifies_and_fails_with_a_flipped_signature_byte() {
    let verification = HmacVerification::default();
    let mut checked = 0;
    for v in vectors() {
        let id = &v.id;
        let key = AccessKey::from_base64(&v.key).unwrap();
        let now = httpdate::parse_http_date(&v.x_ms_date).unwrap();
        let method = Method::from_bytes(v.method.as_bytes()).unwrap();

        let mut headers = http::HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(&v.host).unwrap());
        headers.insert("x-ms-date", HeaderValue::from_str(&v.x_ms_date).unwrap());
        headers.insert(
            "x-ms-content-sha256",
            HeaderValue::from_str(&v.content_sha256).unwrap(),
        );
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&v.authorization).unwrap(),
        );
        verification
            .verify(&method, &v.target, &headers, v.body.as_bytes(), &key, now)
            .unwrap_or_else(|e| {
                panic!("{id}: {e}");
            });

        // The request as this crate signs it, verified whole (host from the URI authority).
        verification
            .verify_request(&signed_request(&v, &key, now), &key, now)
            .unwrap();

        let mut signature = STANDARD.decode(&v.signature).unwrap();
        signature[0] ^= 0x01;
        let tampered = format!(
            "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={}",
            STANDARD.encode(&signature)
        );
        headers.insert(AUTHORIZATION, HeaderValue::from_str(&tampered).unwrap());
        assert_eq!(
            verification.verify(&method, &v.target, &headers, v.body.as_bytes(), &key, now),
            Err(VerifyError::SignatureMismatch),
            "{id}"
        );
        checked += 1;
    }
    assert_eq!(checked, 24, "every line of hmac.jsonl ran");
}
