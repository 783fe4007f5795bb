//! Entra ID token sources of both clients against the emulator: closure failures, refused tokens, and what
//! concurrent callers must share.
//!
//! Included by `tests/token_sources.rs` of both clients, whose `tests/support` defines the seam (`sdk`, `Env`,
//! `scenario!`, `aw!`, `answer!`). Each driver keeps its test of concurrent callers: the slowed-down source is
//! a `TokenSource` impl, and the callers are tasks or threads, each client's own; its checks are here.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use acs_identity_emulator::Operation;

use crate::Env;
use crate::sdk::{ClientOptions, EntraToken, ErrorKind};

/// After `creates` concurrent calls: the source was asked once (`calls`), and so was the token endpoint.
pub(crate) fn assert_one_token_refresh(env: &Env, calls: &AtomicUsize, creates: u64) {
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        env.emulator.requests().count(Operation::EntraTokenRequest),
        1
    );
    assert_eq!(
        env.emulator.requests().count(Operation::CreateIdentity),
        creates
    );
}

scenario!(a_failing_closure_is_a_credential_error_before_any_request(env) {
    let source = || answer!({ Err::<EntraToken, _>(std::io::Error::other("no token today")) });
    let client = env.entra_client(source, ClientOptions::default());
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential);
    assert_eq!(
        std::error::Error::source(&error).unwrap().to_string(),
        "no token today"
    );
    assert_eq!(env.emulator.requests().total(), 0);
});

scenario!(a_token_the_service_refuses_is_a_service_error(env) {
    let expires_at = std::time::SystemTime::now() + Duration::from_secs(3600);
    let client = env.entra_client(
        EntraToken::new("eyJ0.not-a.jwt", expires_at),
        ClientOptions::default(),
    );
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
});
