//! `HmacVerification::verify` and `verify_headers`, the emulator's request authentication (the head
//! alone before the body is read, then the whole request), on any method, target, headers and body.
//!
//! Input (text): the access key in base64 on the first line, then `METHOD target`, header lines
//! (`name: value`) up to an empty line, and the body. The verifier's clock is the request's own
//! `x-ms-date` (or `Date`), so that signed seeds pass and the fuzzer reaches the signature check.
//!
//! Checks, besides "never panics": a request is accepted only if its content hash is the body's and its
//! `Authorization` carries the HMAC of exactly what was received; an accepted request is refused once
//! its body, its target or its clock moves. The head check is a prefix of the whole one: a request whose
//! head is refused is refused whole, and an accepted request's head passes, also with another body.

#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acs_auth::{AccessKey, HmacVerification, compute_signature, content_sha256, string_to_sign};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(request) = Request::parse(data) else {
        return;
    };
    let verification = HmacVerification::default();
    let verify = |target: &str, body: &[u8], now: SystemTime| {
        verification.verify(
            &request.method,
            target,
            &request.headers,
            body,
            &request.key,
            now,
        )
    };
    let verify_head = |target: &str, now: SystemTime| {
        verification.verify_headers(&request.method, target, &request.headers, &request.key, now)
    };
    let head = verify_head(&request.target, request.now);
    let accepted = verify(&request.target, &request.body, request.now);
    if let Err(error) = &head {
        assert!(error.to_string().len() < 200);
        assert!(accepted.is_err(), "a refused head passes whole");
    }
    if let Err(error) = accepted {
        assert!(error.to_string().len() < 200);
        return;
    }
    assert!(head.is_ok(), "an accepted request's head is refused");

    let header = |name: &str| request.headers.get(name).map(HeaderValue::as_bytes);
    let content_hash = header("x-ms-content-sha256").expect("accepted with a content hash");
    assert_eq!(content_hash, content_sha256(&request.body).as_bytes());
    let text =
        |bytes: Option<&[u8]>| String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned();
    let date = text(header("x-ms-date").or_else(|| header("date")));
    let expected = compute_signature(
        &request.key,
        &string_to_sign(
            request.method.as_str(),
            &request.target,
            &date,
            &text(header("host")),
            &text(Some(content_hash)),
        ),
    );
    let authorization = text(header("authorization"));
    assert!(
        authorization.contains(&expected),
        "accepted a wrong signature"
    );

    let mut body = request.body.clone();
    match body.first_mut() {
        Some(first) => *first ^= 1,
        None => body.push(b'x'),
    }
    assert!(
        verify(&request.target, &body, request.now).is_err(),
        "a changed body passes"
    );
    assert!(
        verify_head(&request.target, request.now).is_ok(),
        "the head check reads the body"
    );
    let mut target = request.target.clone();
    target.push('x');
    assert!(
        verify(&target, &request.body, request.now).is_err(),
        "a changed target passes"
    );
    assert!(
        verify_head(&target, request.now).is_err(),
        "a changed target passes the head check"
    );
    let late = request.now + verification.max_clock_skew + Duration::from_secs(1);
    assert!(
        verify(&request.target, &request.body, late).is_err(),
        "a stale date passes"
    );
    assert!(
        verify_head(&request.target, late).is_err(),
        "a stale date passes the head check"
    );
});

struct Request {
    key: AccessKey,
    method: Method,
    target: String,
    headers: HeaderMap,
    body: Vec<u8>,
    now: SystemTime,
}

impl Request {
    fn parse(data: &[u8]) -> Option<Self> {
        let (key_line, rest) = split_at(data, b"\n")?;
        let key = std::str::from_utf8(key_line)
            .ok()
            .and_then(|k| AccessKey::from_base64(k.trim()).ok())
            .unwrap_or_else(|| AccessKey::from_bytes(key_line.to_vec()));
        let (request_line, rest) = split_at(rest, b"\n")?;
        let request_line = std::str::from_utf8(request_line).ok()?;
        let (method, target) = request_line.split_once(' ')?;
        let method = Method::from_bytes(method.as_bytes()).ok()?;
        let (head, body) = split_at(rest, b"\n\n").unwrap_or((rest, &[]));
        let mut headers = HeaderMap::new();
        for line in head.split(|b| *b == b'\n') {
            let Some((name, value)) = split_at(line, b":") else {
                continue;
            };
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.trim_ascii()),
                HeaderValue::from_bytes(value.trim_ascii()),
            ) {
                headers.append(name, value);
            }
        }
        let now = ["x-ms-date", "date"]
            .iter()
            .find_map(|name| headers.get(*name))
            .and_then(|value| value.to_str().ok())
            .and_then(|value| httpdate::parse_http_date(value).ok())
            .unwrap_or(UNIX_EPOCH + Duration::from_secs(1_649_873_352));
        Some(Self {
            key,
            method,
            target: target.to_owned(),
            headers,
            body: body.to_vec(),
            now,
        })
    }
}

fn split_at<'a>(data: &'a [u8], separator: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = data.windows(separator.len()).position(|w| w == separator)?;
    Some((&data[..at], &data[at + separator.len()..]))
}
