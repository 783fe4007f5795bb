//! Connect-phase failures are not sent (async client); the body is in `common/connect_failures.rs`.

#[path = "common/connect_failures.rs"]
mod connect_failures;

use acs_identity::{AccessKey, CommunicationIdentityClient, ConnectionString, Endpoint};
use connect_failures::{assert_not_sent, options, refused_endpoint, unresolvable_endpoint};

fn client(endpoint: &str) -> CommunicationIdentityClient {
    let key = AccessKey::from_bytes(vec![7; 32]);
    CommunicationIdentityClient::with_access_key(Endpoint::parse(endpoint).unwrap(), key, options())
}

#[tokio::test]
async fn a_refused_connection_is_not_sent() {
    assert_not_sent("refused", client(&refused_endpoint()).create_user().await);
}

#[tokio::test]
async fn a_host_that_does_not_resolve_is_not_sent() {
    assert_not_sent(
        "unresolvable",
        client(&unresolvable_endpoint()).create_user().await,
    );
}

#[tokio::test]
async fn a_failed_tls_handshake_is_not_sent() {
    // The emulator's self-signed certificate is not among the client's roots.
    let emulator = acs_identity_emulator::Emulator::builder()
        .self_signed_tls()
        .start()
        .await
        .unwrap();
    let connection_string = ConnectionString::parse(&emulator.connection_string()).unwrap();
    let client = CommunicationIdentityClient::new(connection_string, options());
    assert_not_sent("TLS handshake", client.create_user().await);
}
