//! The async client against a hostile server on loopback (`tests/common/hostile_server.rs`): a 3 MiB error
//! that echoes the request's `Authorization`, and a `Retry-After` longer than the call may wait.

pub(crate) use acs_identity as sdk;

/// `.await` in the async suite.
macro_rules! aw {
    ($call:expr) => {
        $call.await
    };
}

/// One `#[tokio::test]`.
macro_rules! hostile_test {
    ($name:ident $body:block) => {
        #[tokio::test]
        async fn $name() $body
    };
}

// Only its search for secrets (`assert_hidden`) is used here.
#[path = "common/hostile_server.rs"]
mod hostile_server;
#[allow(dead_code)]
#[path = "common/hygiene.rs"]
mod hygiene;
