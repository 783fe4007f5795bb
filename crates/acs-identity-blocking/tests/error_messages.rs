//! Errors of the blocking client that say what to do; the body is in the async crate's
//! `tests/common/error_messages.rs`.

#[macro_use]
mod support;

use support::sdk;

#[path = "../../acs-identity/tests/common/error_messages.rs"]
mod error_messages;
