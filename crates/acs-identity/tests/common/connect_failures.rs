//! Failures before any byte of the request leaves (the host does not resolve, nothing listens, the TLS
//! handshake fails) are reported as not sent, so that even a create is retried.
//!
//! Included by `tests/connect_failures.rs` of both clients, whose `tests/support` defines the seam (`sdk`,
//! `client_test!`, `aw!`, `start_emulator`). Written once.

use std::net::TcpListener;
use std::time::Duration;

use acs_identity_emulator::Emulator;

use crate::sdk::{
    AccessKey, ClientOptions, CommunicationIdentityClient, ConnectionString, Endpoint, Error,
    ErrorKind, RetryOptions,
};
use crate::support::start_emulator;

/// Retries that take no time: three attempts in all.
fn options() -> ClientOptions {
    ClientOptions::default()
        .retry(
            RetryOptions::default()
                .max_retries(2)
                .initial_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(2)),
        )
        .attempt_timeout(Duration::from_secs(10))
}

/// A loopback port nothing listens on (bound, then released).
fn refused_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A host whose first label is 64 characters, one over DNS's limit: the system resolver refuses it on its own,
/// without asking a name server (tests reach only loopback).
fn unresolvable_endpoint() -> String {
    format!("http://{}.example", "a".repeat(64))
}

/// What every such failure must look like: a transport error, not sent, retried to the end.
fn assert_not_sent(what: &str, result: Result<impl std::fmt::Debug, Error>) {
    let error = result.expect_err(what);
    assert_eq!(error.kind(), ErrorKind::Transport, "{what}: {error}");
    assert!(!error.may_have_been_sent(), "{what}: {error}");
    assert_eq!(error.attempts(), 3, "{what}: a create is retried: {error}");
    let message = error.to_string();
    assert!(
        message.starts_with("could not send the request"),
        "{what}: {message}"
    );
}

fn client(endpoint: &str) -> CommunicationIdentityClient {
    let key = AccessKey::from_bytes(vec![7; 32]);
    CommunicationIdentityClient::with_access_key(Endpoint::parse(endpoint).unwrap(), key, options())
}

client_test!(a_refused_connection_is_not_sent {
    assert_not_sent("refused", aw!(client(&refused_endpoint()).create_user()));
});

client_test!(a_host_that_does_not_resolve_is_not_sent {
    assert_not_sent(
        "unresolvable",
        aw!(client(&unresolvable_endpoint()).create_user()),
    );
});

client_test!(a_failed_tls_handshake_is_not_sent {
    // The emulator's self-signed certificate is not among the client's roots.
    let emulator = aw!(start_emulator(Emulator::builder().self_signed_tls()));
    let connection_string = ConnectionString::parse(&emulator.connection_string()).unwrap();
    let client = CommunicationIdentityClient::new(connection_string, options());
    assert_not_sent("TLS handshake", aw!(client.create_user()));
});
