//! The blocking client against a hostile server on loopback (the body is in
//! `acs-identity/tests/common/hostile_server.rs`): a 3 MiB error that echoes the request's `Authorization`,
//! and a `Retry-After` longer than the call may wait.

#[macro_use]
mod support;

use support::sdk;

#[path = "../../acs-identity/tests/common/hostile_server.rs"]
mod hostile_server;
// Only its search for secrets (`assert_hidden`) is used here.
#[allow(dead_code)]
#[path = "../../acs-identity/tests/common/hygiene.rs"]
mod hygiene;
