//! Regression found by the `connection_string` fuzz target (`fuzz/`): an endpoint whose host the URL
//! standard accepts but no DNS name has (here a `;`, which IDNA maps from U+037E GREEK QUESTION MARK) was
//! accepted, and the connection string printed from it did not parse again.

use acs_auth::{ConnectionString, ConnectionStringError, Endpoint, EndpointError};

#[test]
fn hosts_with_characters_no_domain_name_has_are_refused() {
    for input in [
        "https://contoso\u{37e}x.communication.azure.com",
        "https://contoso%3Bx.communication.azure.com",
        "https://contoso!x.communication.azure.com",
        "https://contoso$x.example",
        "https://a*b.example",
    ] {
        assert_eq!(
            Endpoint::parse(input),
            Err(EndpointError::InvalidHost),
            "{input}"
        );
    }
    let fuzzed = "endpoint=https://ooctnsoaGVsbG7mm0mmmmmmmgdcoumm0!mmmm\u{37e}3;)npst=tiso.coom/;accesskey=pw==";
    assert_eq!(
        ConnectionString::parse(fuzzed),
        Err(ConnectionStringError::InvalidEndpoint(
            EndpointError::InvalidHost
        ))
    );
}

#[test]
fn domain_names_and_addresses_still_parse_and_round_trip() {
    for input in [
        "https://contoso.communication.azure.com",
        "https://my_resource-1.unitedstates.communication.azure.com",
        "https://xn--bcher-kva.example",
        "http://127.0.0.1:47123",
        "http://[::1]:8080",
        "http://localhost",
    ] {
        let endpoint = Endpoint::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let connection = format!("endpoint={endpoint}/;accesskey=pw==");
        let parsed = ConnectionString::parse(&connection).unwrap();
        assert_eq!(parsed.endpoint(), &endpoint);
        assert_eq!(
            ConnectionString::parse(&parsed.to_secret_string()).unwrap(),
            parsed
        );
    }
    // No IDNA (it would cost 25 crates for a name no ACS endpoint has): a Unicode host is refused, with its
    // `xn--` form named in the message.
    let error = Endpoint::parse("https://bücher.example").unwrap_err();
    assert_eq!(error, EndpointError::InvalidHost);
    assert!(error.to_string().contains("xn--"), "{error}");
}
