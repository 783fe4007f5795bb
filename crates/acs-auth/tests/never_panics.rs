//! Parsers and the verifier face untrusted input: they must return errors, never panic.

use std::time::{Duration, UNIX_EPOCH};

use acs_auth::{
    AccessKey, ConnectionString, Endpoint, HmacVerification, bearer_header_value,
    parse_token_response,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn connection_string_parser(input in "\\PC{0,200}") {
        let _ = ConnectionString::parse(&input);
        let _ = Endpoint::parse(&input);
        let _ = AccessKey::from_base64(&input);
        let _ = bearer_header_value(&input);
    }

    #[test]
    fn connection_string_parser_on_shaped_input(
        parts in proptest::collection::vec(("(?i)(endpoint|accesskey|x)", "[ =;a-zA-Z0-9+/:.\\[\\]@?#%-]{0,30}"), 0..5),
    ) {
        let input: String = parts.iter().map(|(k, v)| format!("{k}={v};")).collect();
        if let Err(err) = ConnectionString::parse(&input) {
            prop_assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn verifier(
        target in "\\PC{0,60}",
        method in "[A-Z]{1,8}",
        authorization in proptest::option::of("(?i)(hmac-sha256 )?((signedheaders|signature|x)=[a-zA-Z0-9;=&+/ -]{0,60})?"),
        date in proptest::option::of("[ -~]{0,40}"),
        host in proptest::option::of("[ -~]{0,40}"),
        hash in proptest::option::of("[ -~]{0,50}"),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        now_secs in 0u64..400_000_000_000,
    ) {
        let mut headers = HeaderMap::new();
        for (name, value) in [("authorization", authorization), ("x-ms-date", date), ("host", host), ("x-ms-content-sha256", hash)] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let key = AccessKey::from_bytes(vec![7; 64]);
        let now = UNIX_EPOCH + Duration::from_secs(now_secs);
        prop_assert!(HmacVerification::default().verify(&method, &target, &headers, &body, &key, now).is_err());
    }

    #[test]
    fn token_response_parser(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let status = StatusCode::from_u16(status).unwrap();
        let _ = parse_token_response(status, &body, UNIX_EPOCH);
    }
}
