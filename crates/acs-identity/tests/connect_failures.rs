//! Connect-phase failures are not sent (async client); the body is in `tests/common/connect_failures.rs`.

#[macro_use]
mod support;

use support::sdk;

#[path = "common/connect_failures.rs"]
mod connect_failures;
