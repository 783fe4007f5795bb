//! HMAC verification: every way a request can fail, and the ones that must pass.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acs_auth::{AccessKey, HmacVerification, VerifyError, sign_request};
use http::header::{AUTHORIZATION, DATE, HOST};
use http::{HeaderMap, HeaderValue, Method, Request};

const TARGET: &str = "/identities/8%3Aacs%3Aabc/:issueAccessToken?api-version=2023-10-01";
const BODY: &[u8] = br#"{"scopes": ["chat"]}"#;

fn signed_at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_228_969) // Sat, 21 Nov 2026 02:42:49 GMT
}

fn key() -> AccessKey {
    AccessKey::from_base64("pw==").unwrap()
}

/// Headers of a request signed at `signed_at()`, as the server receives them.
fn signed_headers() -> HeaderMap {
    let mut request = Request::post(format!("http://127.0.0.1:47123{TARGET}"))
        .body(BODY.to_vec())
        .unwrap();
    sign_request(&mut request, &key(), signed_at());
    let mut headers = request.headers().clone();
    headers.insert(HOST, HeaderValue::from_static("127.0.0.1:47123"));
    headers
}

fn verify(
    headers: &HeaderMap,
    target: &str,
    body: &[u8],
    key: &AccessKey,
    now: SystemTime,
) -> Result<(), VerifyError> {
    HmacVerification::default().verify(&Method::POST, target, headers, body, key, now)
}

#[test]
fn accepts_a_signed_request_and_its_replays_within_the_window() {
    let headers = signed_headers();
    for offset in [0, 1, 60, 14 * 60, 15 * 60] {
        let later = signed_at() + Duration::from_secs(offset);
        assert_eq!(
            verify(&headers, TARGET, BODY, &key(), later),
            Ok(()),
            "{offset}s later"
        );
        let earlier = signed_at() - Duration::from_secs(offset);
        assert_eq!(
            verify(&headers, TARGET, BODY, &key(), earlier),
            Ok(()),
            "{offset}s ahead"
        );
    }
}

#[test]
fn rejects_dates_beyond_the_skew_either_way() {
    let headers = signed_headers();
    let stale = signed_at() + Duration::from_secs(15 * 60 + 1);
    assert_eq!(
        verify(&headers, TARGET, BODY, &key(), stale),
        Err(VerifyError::DateOutOfWindow)
    );
    let from_the_future = signed_at() - Duration::from_secs(15 * 60 + 1);
    assert_eq!(
        verify(&headers, TARGET, BODY, &key(), from_the_future),
        Err(VerifyError::DateOutOfWindow)
    );

    let strict = HmacVerification::default().max_clock_skew(Duration::from_secs(5));
    let now = signed_at() + Duration::from_secs(6);
    assert_eq!(
        strict.verify(&Method::POST, TARGET, &headers, BODY, &key(), now),
        Err(VerifyError::DateOutOfWindow)
    );
    assert_eq!(
        HmacVerification::default().max_clock_skew,
        Duration::from_secs(900)
    );
}

#[test]
fn falls_back_to_the_date_header() {
    let mut headers = signed_headers();
    let date = headers.remove("x-ms-date").unwrap();
    headers.insert(DATE, date);
    assert_eq!(verify(&headers, TARGET, BODY, &key(), signed_at()), Ok(()));

    // x-ms-date wins when both are present.
    let mut headers = signed_headers();
    headers.insert(
        DATE,
        HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
    );
    assert_eq!(verify(&headers, TARGET, BODY, &key(), signed_at()), Ok(()));
}

#[test]
fn names_each_missing_header() {
    for (name, reported) in [
        ("authorization", "authorization"),
        ("x-ms-date", "x-ms-date"),
        ("host", "host"),
        ("x-ms-content-sha256", "x-ms-content-sha256"),
    ] {
        let mut headers = signed_headers();
        headers.remove(name);
        let err = verify(&headers, TARGET, BODY, &key(), signed_at()).unwrap_err();
        assert_eq!(err, VerifyError::MissingHeader(reported));
        assert!(err.to_string().to_ascii_lowercase().contains(name), "{err}");
    }
}

#[test]
fn tampering_is_detected() {
    let headers = signed_headers();
    let wrong_key = AccessKey::from_base64("cHc=").unwrap();
    assert_eq!(
        verify(&headers, TARGET, BODY, &wrong_key, signed_at()),
        Err(VerifyError::SignatureMismatch)
    );
    assert_eq!(
        verify(
            &headers,
            TARGET,
            br#"{"scopes": ["voip"]}"#,
            &key(),
            signed_at()
        ),
        Err(VerifyError::ContentHashMismatch)
    );
    // The same path decoded is another path: the signature covers the bytes as sent.
    let decoded = "/identities/8:acs:abc/:issueAccessToken?api-version=2023-10-01";
    assert_eq!(
        verify(&headers, decoded, BODY, &key(), signed_at()),
        Err(VerifyError::SignatureMismatch)
    );
    let other_version = TARGET.replace("2023-10-01", "2025-06-30");
    assert_eq!(
        verify(&headers, &other_version, BODY, &key(), signed_at()),
        Err(VerifyError::SignatureMismatch)
    );
    assert_eq!(
        HmacVerification::default().verify(
            &Method::PUT,
            TARGET,
            &headers,
            BODY,
            &key(),
            signed_at()
        ),
        Err(VerifyError::SignatureMismatch)
    );
    let mut other_host = headers.clone();
    other_host.insert(HOST, HeaderValue::from_static("127.0.0.1:47124"));
    assert_eq!(
        verify(&other_host, TARGET, BODY, &key(), signed_at()),
        Err(VerifyError::SignatureMismatch)
    );
    let mut body_and_hash = headers.clone();
    body_and_hash.insert(
        "x-ms-content-sha256",
        acs_auth::content_sha256(b"{}").parse().unwrap(),
    );
    assert_eq!(
        verify(&body_and_hash, TARGET, b"{}", &key(), signed_at()),
        Err(VerifyError::SignatureMismatch)
    );
}

#[test]
fn malformed_headers_are_reported() {
    let signature = signed_headers()[AUTHORIZATION]
        .to_str()
        .unwrap()
        .rsplit_once("Signature=")
        .unwrap()
        .1
        .to_owned();
    let cases = [
        (
            format!("Bearer {signature}"),
            Err(VerifyError::MalformedAuthorization),
        ),
        (
            "HMAC-SHA256".to_owned(),
            Err(VerifyError::MalformedAuthorization),
        ),
        (
            "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256".to_owned(),
            Err(VerifyError::MalformedAuthorization),
        ),
        (
            format!("HMAC-SHA256 Signature={signature}"),
            Err(VerifyError::MalformedAuthorization),
        ),
        (
            "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=!!!".to_owned(),
            Err(VerifyError::MalformedAuthorization),
        ),
        (
            format!(
                "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}&Signature={signature}"
            ),
            Err(VerifyError::MalformedAuthorization),
        ),
        (
            format!(
                "HMAC-SHA256 SignedHeaders=host;x-ms-date;x-ms-content-sha256&Signature={signature}"
            ),
            Err(VerifyError::UnsupportedSignedHeaders),
        ),
        (
            format!("HMAC-SHA256 SignedHeaders=x-ms-date;host&Signature={signature}"),
            Err(VerifyError::UnsupportedSignedHeaders),
        ),
        (
            format!(
                "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256;content-type&Signature={signature}"
            ),
            Err(VerifyError::UnsupportedSignedHeaders),
        ),
        (
            format!(
                "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={}",
                &signature[4..]
            ),
            Err(VerifyError::SignatureMismatch),
        ),
        // Case-insensitive names and extra parameters are fine.
        (
            format!(
                "hmac-sha256 signedheaders=X-MS-Date;Host;X-MS-Content-SHA256&Credential=id&signature={signature}"
            ),
            Ok(()),
        ),
    ];
    for (authorization, expected) in cases {
        let mut headers = signed_headers();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&authorization).unwrap(),
        );
        assert_eq!(
            verify(&headers, TARGET, BODY, &key(), signed_at()),
            expected,
            "{authorization}"
        );
    }

    let mut headers = signed_headers();
    headers.insert(
        "x-ms-date",
        HeaderValue::from_static("2026-11-21T02:42:49Z"),
    );
    assert_eq!(
        verify(&headers, TARGET, BODY, &key(), signed_at()),
        Err(VerifyError::MalformedDate)
    );
    headers.insert(
        "x-ms-date",
        HeaderValue::from_bytes(b"Sat, 21 Nov 2026 02:42:49 GMT\xff").unwrap(),
    );
    assert_eq!(
        verify(&headers, TARGET, BODY, &key(), signed_at()),
        Err(VerifyError::MalformedDate)
    );
}

#[test]
fn verify_request_takes_the_host_from_the_uri_without_a_host_header() {
    let mut request = Request::post(format!("http://127.0.0.1:47123{TARGET}"))
        .body(BODY.to_vec())
        .unwrap();
    sign_request(&mut request, &key(), signed_at());
    let verification = HmacVerification::default();
    assert_eq!(
        verification.verify_request(&request, &key(), signed_at()),
        Ok(())
    );
    request
        .headers_mut()
        .insert(HOST, HeaderValue::from_static("elsewhere:1"));
    assert_eq!(
        verification.verify_request(&request, &key(), signed_at()),
        Err(VerifyError::SignatureMismatch)
    );

    let mut origin_form = Request::post(TARGET).body(BODY.to_vec()).unwrap();
    origin_form.headers_mut().extend(signed_headers());
    assert_eq!(
        verification.verify_request(&origin_form, &key(), signed_at()),
        Ok(())
    );
    origin_form.headers_mut().remove(HOST);
    assert_eq!(
        verification.verify_request(&origin_form, &key(), signed_at()),
        Err(VerifyError::MissingHeader("host"))
    );
}

#[test]
fn re_signing_replaces_the_previous_headers() {
    let mut request = Request::post(format!("http://127.0.0.1:47123{TARGET}"))
        .body(BODY.to_vec())
        .unwrap();
    sign_request(&mut request, &key(), signed_at());
    let retry_at = signed_at() + Duration::from_secs(3600);
    sign_request(&mut request, &key(), retry_at);
    assert_eq!(request.headers().len(), 3);
    assert_eq!(request.headers().get_all("authorization").iter().count(), 1);
    assert_eq!(
        request.headers()["x-ms-date"],
        "Sat, 21 Nov 2026 03:42:49 GMT"
    );
    assert_eq!(
        HmacVerification::default().verify_request(&request, &key(), retry_at),
        Ok(())
    );
}

#[test]
fn every_error_has_a_readable_message_without_secrets() {
    let all = [
        VerifyError::MissingHeader("authorization"),
        VerifyError::MissingHeader("x-ms-date"),
        VerifyError::MissingHeader("host"),
        VerifyError::MissingHeader("x-ms-content-sha256"),
        VerifyError::MalformedAuthorization,
        VerifyError::UnsupportedSignedHeaders,
        VerifyError::MalformedDate,
        VerifyError::DateOutOfWindow,
        VerifyError::ContentHashMismatch,
        VerifyError::SignatureMismatch,
    ];
    let mut messages: Vec<&str> = all.iter().map(VerifyError::message).collect();
    for (err, message) in all.iter().zip(&messages) {
        assert_eq!(&err.to_string(), message);
        assert!(message.ends_with('.'));
    }
    messages.sort_unstable();
    messages.dedup();
    assert_eq!(messages.len(), all.len(), "each error reads differently");
}

#[test]
fn the_fixed_time_is_the_date_it_claims() {
    assert_eq!(
        httpdate::fmt_http_date(signed_at()),
        "Sat, 21 Nov 2026 02:42:49 GMT"
    );
}

/// The head alone decides every case `verify` decides without the body, with the same reason, and passes
/// what only the body can fail; a signature that fails on the head is refused there.
#[test]
fn the_head_check_agrees_with_the_whole_check() {
    let verification = HmacVerification::default();
    let head = |headers: &HeaderMap, target: &str, key: &AccessKey, now: SystemTime| {
        verification.verify_headers(&Method::POST, target, headers, key, now)
    };
    let headers = signed_headers();
    assert_eq!(head(&headers, TARGET, &key(), signed_at()), Ok(()));
    // The body is not the head's business: a changed body passes the head and fails the whole.
    let other_body = br#"{"scopes": ["voip"]}"#;
    assert_eq!(
        verify(&headers, TARGET, other_body, &key(), signed_at()),
        Err(VerifyError::ContentHashMismatch)
    );

    let wrong_key = AccessKey::from_base64("cHc=").unwrap();
    let stale = signed_at() + Duration::from_secs(15 * 60 + 1);
    let mut cases: Vec<(HeaderMap, &str, AccessKey, SystemTime)> = vec![
        (headers.clone(), TARGET, wrong_key, signed_at()),
        (headers.clone(), TARGET, key(), stale),
        (
            headers.clone(),
            "/identities/8:acs:abc/:issueAccessToken?api-version=2023-10-01",
            key(),
            signed_at(),
        ),
    ];
    for name in ["authorization", "x-ms-date", "host", "x-ms-content-sha256"] {
        let mut without = headers.clone();
        without.remove(name);
        cases.push((without, TARGET, key(), signed_at()));
    }
    for (name, value) in [
        ("authorization", "HMAC-SHA256 Signature=abc"),
        (
            "authorization",
            "HMAC-SHA256 SignedHeaders=host;x-ms-date;x-ms-content-sha256&Signature=abc",
        ),
        ("x-ms-date", "yesterday"),
        ("host", "127.0.0.1:47124"),
    ] {
        let mut changed = headers.clone();
        changed.insert(name, HeaderValue::from_static(value));
        cases.push((changed, TARGET, key(), signed_at()));
    }
    for (headers, target, key, now) in &cases {
        let whole = verify(headers, target, BODY, key, *now);
        assert!(whole.is_err());
        assert_eq!(head(headers, target, key, *now), whole, "{headers:?}");
        let explained = verification
            .explain_headers(&Method::POST, target, headers, key, *now)
            .unwrap_err();
        assert_eq!(Err(explained.error()), whole);
    }

    // A hash header changed after signing breaks the signature: the head refuses it for that, where the
    // whole check, hashing the body first, names the hash.
    let mut rehashed = headers.clone();
    rehashed.insert(
        "x-ms-content-sha256",
        acs_auth::content_sha256(b"{}").parse().unwrap(),
    );
    assert_eq!(
        head(&rehashed, TARGET, &key(), signed_at()),
        Err(VerifyError::SignatureMismatch)
    );
    assert_eq!(
        verify(&rehashed, TARGET, BODY, &key(), signed_at()),
        Err(VerifyError::ContentHashMismatch)
    );
}
