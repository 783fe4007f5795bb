//! Connect-phase failures are not sent (blocking client); the body is in the async crate's
//! `tests/common/connect_failures.rs`.

#[macro_use]
mod support;

use support::sdk;

#[path = "../../acs-identity/tests/common/connect_failures.rs"]
mod connect_failures;
