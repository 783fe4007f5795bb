//! Failures before any byte of the request leaves (the host does not resolve, nothing listens, the TLS
//! handshake fails) are reported as not sent, so that even a create is retried. One body for both clients:
//! each driver passes `create_user` as a closure over its own client type.

use std::net::TcpListener;
use std::time::Duration;

use acs_identity_core::{ClientOptions, Error, ErrorKind, RetryOptions};

/// Retries that take no time: three attempts in all.
pub(crate) fn options() -> ClientOptions {
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
pub(crate) fn refused_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A host whose first label is 64 characters, one over DNS's limit: the system resolver refuses it on its own,
/// without asking a name server (tests reach only loopback).
pub(crate) fn unresolvable_endpoint() -> String {
    format!("http://{}.example", "a".repeat(64))
}

/// What every such failure must look like: a transport error, not sent, retried to the end.
pub(crate) fn assert_not_sent(what: &str, result: Result<impl std::fmt::Debug, Error>) {
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
