//! The async client against a hostile server on loopback (the body is in `tests/common/hostile_server.rs`): a
//! 3 MiB error that echoes the request's `Authorization`, and a `Retry-After` longer than the call may wait.

#[macro_use]
mod support;

use support::sdk;

#[path = "common/hostile_server.rs"]
mod hostile_server;
// Only its search for secrets (`assert_hidden`) is used here.
#[allow(dead_code)]
#[path = "common/hygiene.rs"]
mod hygiene;
