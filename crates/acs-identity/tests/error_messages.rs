//! Errors of the async client that say what to do; the body is in `tests/common/error_messages.rs`.

#[macro_use]
mod support;

use support::sdk;

#[path = "common/error_messages.rs"]
mod error_messages;
