//! `NetworkOptions` of both clients: a proxy is used, and options that cannot work fail every call with a
//! message.
//!
//! Included by `tests/network_options.rs` of both clients, whose `tests/support` defines the seam (`sdk`,
//! `client_test!`, `aw!`) and which say, in `THROUGH_THE_PROXY`, how their HTTP stack talks to a proxy (the
//! kind of error the proxy's 404 gives, and the start of the request line the proxy gets). Written once.

use std::time::Duration;

use crate::one_shot_proxy::proxy;
use crate::sdk::{
    AccessKey, ClientOptions, CommunicationIdentityClient, Endpoint, ErrorKind, NetworkOptions,
    RetryOptions,
};

fn client(network: NetworkOptions) -> CommunicationIdentityClient {
    // Nothing listens on the discard port: only a proxy can answer.
    let endpoint = Endpoint::parse("http://127.0.0.1:9").unwrap();
    let key = AccessKey::from_bytes(vec![7; 32]);
    let options = ClientOptions::default()
        .retry(RetryOptions::default().max_retries(0))
        .attempt_timeout(Duration::from_secs(10))
        .network(network);
    CommunicationIdentityClient::with_access_key(endpoint, key, options)
}

client_test!(requests_go_through_the_configured_proxy {
    let (url, seen) = proxy();
    let client = client(
        NetworkOptions::default()
            .proxy(url)
            .max_idle_connections_per_host(1),
    );
    let (kind, request_line) = crate::THROUGH_THE_PROXY;
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), kind, "{error}");
    let line = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(line.starts_with(request_line), "{line}");
});

client_test!(an_invalid_proxy_fails_calls_without_echoing_its_password {
    let client = client(NetworkOptions::default().proxy("::not a url:alice:s3cret@".to_owned()));
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    let message = format!("{error} {error:?}");
    assert!(message.contains("NetworkOptions::proxy"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
});

client_test!(a_pem_root_certificate_is_refused_with_a_hint {
    let client = client(
        NetworkOptions::default().root_certificate(b"-----BEGIN CERTIFICATE-----\n".to_vec()),
    );
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(
        error.to_string().contains("openssl x509 -outform der"),
        "{error}"
    );
});
