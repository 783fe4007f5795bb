//! Connection string parsing and the secrecy of the key.

use acs_auth::{
    AccessKey, AccessKeyError, ConnectionString, ConnectionStringError, Endpoint, EndpointError,
};

/// 64 bytes, base64, like a portal key; its text must never show up in output.
const KEY: &str =
    "xMx20erxBJ8VnVMbKKsoMH7OaD3KCi/dqGqcNpC34ILJ16zI1+PbPa6cF4JIzzKUcWMaDJFJ8lgA9cIkm319WQ==";

fn assert_hides_key(text: &str) {
    assert!(!text.contains(KEY), "key leaked: {text}");
    assert!(!text.contains(&KEY[..12]), "key prefix leaked: {text}");
}

#[test]
fn accepts_the_portal_form_and_variations() {
    let expected = ConnectionString::new(
        Endpoint::parse("https://contoso.communication.azure.com").unwrap(),
        AccessKey::from_base64(KEY).unwrap(),
    );
    let inputs = [
        format!("endpoint=https://contoso.communication.azure.com/;accesskey={KEY}"),
        format!("Endpoint=https://contoso.communication.azure.com/;AccessKey={KEY};"),
        format!("ACCESSKEY={KEY};ENDPOINT=https://contoso.communication.azure.com"),
        format!("  endpoint = https://contoso.communication.azure.com/ ;\n accessKey =\t{KEY} ; "),
        format!("endpoint=https://contoso.communication.azure.com/;;accesskey={KEY};;"),
        format!("endpoint=https://contoso.communication.azure.com/;region=westus;accesskey={KEY}"),
    ];
    for input in inputs {
        assert_eq!(
            ConnectionString::parse(&input).unwrap(),
            expected,
            "{input}"
        );
        assert_eq!(input.parse::<ConnectionString>().unwrap(), expected);
    }
}

#[test]
fn http_endpoints_serve_local_emulators() {
    let cs = ConnectionString::parse("endpoint=http://127.0.0.1:47123/;accesskey=pw==").unwrap();
    assert_eq!(cs.endpoint().as_str(), "http://127.0.0.1:47123");
    assert_eq!(cs.endpoint().host_header(), "127.0.0.1:47123");
    assert_eq!(cs.access_key(), &AccessKey::from_base64("pw==").unwrap());
}

#[test]
fn round_trips_through_the_secret_string_and_redacts_otherwise() {
    let input = format!("endpoint=https://contoso.communication.azure.com;accesskey={KEY}");
    let cs = ConnectionString::parse(&input).unwrap();
    assert_eq!(
        cs.to_secret_string(),
        format!("endpoint=https://contoso.communication.azure.com/;accesskey={KEY}")
    );
    assert_eq!(ConnectionString::parse(&cs.to_secret_string()).unwrap(), cs);
    assert_eq!(
        cs.to_string(),
        "endpoint=https://contoso.communication.azure.com/;accesskey=[redacted]"
    );
    assert_eq!(
        format!("{cs:?}"),
        r#"ConnectionString { endpoint: Endpoint("https://contoso.communication.azure.com"), access_key: AccessKey([redacted]) }"#
    );
    assert_hides_key(&format!("{cs} {cs:?} {cs:#?}"));
    let key = cs.access_key();
    assert_eq!(
        format!("{key:?} {key}"),
        "AccessKey([redacted]) AccessKey([redacted])"
    );
    assert_eq!(key.to_base64(), KEY);
}

#[test]
fn rejects_with_errors_that_name_the_problem() {
    use ConnectionStringError as E;
    let cases = [
        (String::new(), E::MissingField("endpoint")),
        (format!("accesskey={KEY}"), E::MissingField("endpoint")),
        (
            "endpoint=https://contoso/".to_owned(),
            E::MissingField("accesskey"),
        ),
        (
            format!("endpoint=;accesskey={KEY}"),
            E::EmptyValue("endpoint"),
        ),
        (
            "endpoint=https://contoso/;accesskey= ".to_owned(),
            E::EmptyValue("accesskey"),
        ),
        (
            format!("endpoint=https://a/;endpoint=https://b/;accesskey={KEY}"),
            E::DuplicateField("endpoint"),
        ),
        (
            format!("endpoint=https://a/;accesskey={KEY};AccessKey={KEY}"),
            E::DuplicateField("accesskey"),
        ),
        (
            "endpoint=https://a/;accesskey".to_owned(),
            E::MalformedSegment { index: 1 },
        ),
        // A bare key has `=` padding, so it reads as an unknown field.
        (
            format!("endpoint=https://a/;{KEY}"),
            E::MissingField("accesskey"),
        ),
        (
            "endpoint=https://a/;accesskey=not base64!".to_owned(),
            E::InvalidAccessKey(AccessKeyError::NotBase64),
        ),
        (
            format!("endpoint=https://a/identities;accesskey={KEY}"),
            E::InvalidEndpoint(EndpointError::HasPath),
        ),
        (
            format!("endpoint=contoso.communication.azure.com;accesskey={KEY}"),
            E::InvalidEndpoint(EndpointError::NotAbsoluteUrl),
        ),
        (
            format!("endpoint=ftp://a;accesskey={KEY}"),
            E::InvalidEndpoint(EndpointError::UnsupportedScheme),
        ),
    ];
    for (input, expected) in cases {
        let err = ConnectionString::parse(&input).unwrap_err();
        assert_eq!(err, expected, "{input}");
        assert_hides_key(&format!("{err} {err:?}"));
    }
    assert_eq!(
        ConnectionString::parse("accesskey=pw==")
            .unwrap_err()
            .to_string(),
        "the connection string has no `endpoint`; expected \
         `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>`"
    );
    // A malformed part shows the expected shape, counting parts from 1, and never the input.
    let malformed = ConnectionString::parse("endpoint=https://a.example/;secretkeytext")
        .unwrap_err()
        .to_string();
    assert!(malformed.contains("(part 2 has no `=`)"), "{malformed}");
    assert!(
        malformed.contains(
            "endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>"
        )
    );
    assert!(!malformed.contains("secretkeytext"), "{malformed}");
    assert_eq!(
        ConnectionString::parse("endpoint=https://a/b;accesskey=pw==")
            .unwrap_err()
            .to_string(),
        "the connection string's endpoint is invalid: the endpoint must not have a path (ACS endpoints are just scheme://host[:port])"
    );
}

#[test]
fn errors_never_echo_a_misplaced_key() {
    // The key typed where the endpoint goes, a comma instead of a semicolon, a broken key.
    let inputs = [
        format!("endpoint={KEY};accesskey={KEY}"),
        format!("endpoint=https://contoso/,accesskey={KEY}"),
        format!("endpoint=https://contoso/?{KEY};accesskey=pw=="),
        format!("endpoint=https://contoso/;accesskey={KEY}!"),
        format!("endpoint=https://contoso/;accesskey={}", &KEY[1..]),
        format!("endpoint=https://{KEY}@contoso/;accesskey=pw=="),
        format!("endpoint=https://contoso/;accesskey {KEY}"),
    ];
    for input in inputs {
        let err = ConnectionString::parse(&input).unwrap_err();
        assert_hides_key(&format!("{err} {err:?}"));
    }
}
