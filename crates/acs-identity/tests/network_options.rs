//! `NetworkOptions` (async client): a proxy is used, and options that cannot work fail every call with a message.

#[path = "common/one_shot_proxy.rs"]
mod one_shot_proxy;

use one_shot_proxy::proxy;

use std::time::Duration;

use acs_identity::{
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

#[tokio::test]
async fn requests_go_through_the_configured_proxy() {
    let (url, seen) = proxy();
    let client = client(
        NetworkOptions::default()
            .proxy(url)
            .max_idle_connections_per_host(1),
    );
    // reqwest sends plain-HTTP requests to the proxy in absolute form (HTTPS would be tunnelled).
    let error = client.create_user().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service, "{error}");
    let line = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        line.starts_with("POST http://127.0.0.1:9/identities?"),
        "{line}"
    );
}

#[tokio::test]
async fn an_invalid_proxy_fails_calls_without_echoing_its_password() {
    let client = client(NetworkOptions::default().proxy("::not a url:alice:s3cret@".to_owned()));
    let error = client.create_user().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    let message = format!("{error} {error:?}");
    assert!(message.contains("NetworkOptions::proxy"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test]
async fn a_pem_root_certificate_is_refused_with_a_hint() {
    let client = client(
        NetworkOptions::default().root_certificate(b"-----BEGIN CERTIFICATE-----\n".to_vec()),
    );
    let error = client.create_user().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(
        error.to_string().contains("openssl x509 -outform der"),
        "{error}"
    );
}
