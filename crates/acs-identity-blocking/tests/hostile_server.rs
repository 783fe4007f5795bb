//! The blocking client against a hostile server on loopback (`acs-identity/tests/common/hostile_server.rs`): a
//! 3 MiB error that echoes the request's `Authorization`, and a `Retry-After` longer than the call may wait.

pub(crate) use acs_identity_blocking as sdk;

/// Nothing in the blocking suite.
macro_rules! aw {
    ($call:expr) => {
        $call
    };
}

/// One `#[test]`.
macro_rules! hostile_test {
    ($name:ident $body:block) => {
        #[test]
        fn $name() $body
    };
}

// Only its search for secrets (`assert_hidden`) is used here.
#[path = "../../acs-identity/tests/common/hostile_server.rs"]
mod hostile_server;
#[allow(dead_code)]
#[path = "../../acs-identity/tests/common/hygiene.rs"]
mod hygiene;
