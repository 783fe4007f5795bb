//! `NetworkOptions`: a proxy is used, and options that cannot work fail every call with a message.

#[path = "../../acs-identity/tests/common/one_shot_proxy.rs"]
mod one_shot_proxy;

use one_shot_proxy::proxy;

use std::time::Duration;

use acs_identity_blocking::{
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

#[test]
fn requests_go_through_the_configured_proxy() {
    let (url, seen) = proxy();
    let client = client(
        NetworkOptions::default()
            .proxy(url)
            .max_idle_connections_per_host(1),
    );
    // ureq tunnels every proxied connection (CONNECT), so the proxy's 404 fails the tunnel, not the call.
    let error = client.create_user().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    let line = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(line.starts_with("CONNECT 127.0.0.1:9 "), "{line}");
}

#[test]
fn an_invalid_proxy_fails_calls_without_echoing_its_password() {
    let client = client(NetworkOptions::default().proxy("::not a url:alice:s3cret@".to_owned()));
    let error = client.create_user().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    let message = format!("{error} {error:?}");
    assert!(message.contains("NetworkOptions::proxy"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[test]
fn a_pem_root_certificate_is_refused_with_a_hint() {
    let client = client(
        NetworkOptions::default().root_certificate(b"-----BEGIN CERTIFICATE-----\n".to_vec()),
    );
    let error = client.create_user().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(
        error.to_string().contains("openssl x509 -outform der"),
        "{error}"
    );
}
