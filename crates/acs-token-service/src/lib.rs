#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod config;
mod custom_id;
#[cfg(feature = "dev")]
pub mod dev;
mod error;
mod metrics;
mod oidc;
mod policy;
mod rate_limit;
mod routes;
mod server;
mod service;

pub use config::Config;
pub use custom_id::{CustomIdTemplate, MissingClaim};
pub use oidc::{SignInError, SignedIn};
pub use policy::{Policy, PolicyError, Rule};
pub use server::{serve, shutdown_signal};
pub use service::{BuildError, TokenService};
