#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod format;
mod logging;
mod resource;
mod teams_user;

pub mod byodi;
pub mod byodi_blocking;
pub mod manage_tokens;
pub mod manage_tokens_blocking;
pub mod quickstart;
pub mod quickstart_blocking;

use std::process::ExitCode;

pub use format::{rfc3339, truncated};
pub use logging::{init_tracing, log_filter, tracing_subscriber_to};
pub use resource::{BlockingResource, CONNECTION_STRING_VAR, Resource, connection_string_from_env};
pub use teams_user::{
    TEAMS_APP_ID_VAR, TEAMS_USER_OBJECT_ID_VAR, TEAMS_USER_TOKEN_VAR, teams_user,
    teams_user_from_emulator, teams_user_from_env,
};

// The workspace README's code blocks compile as doctests of this package, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadme;

/// Any error of an example.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The exit of an example's `main`: success, or the error on stderr and exit code 1.
pub fn finish(result: Result<(), BoxError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
