#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Feature badges on docs.rs (nightly, `--cfg docsrs`); stable builds never see the attribute.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod config;
mod crypto;
mod custom_id;
#[cfg(feature = "dev")]
pub mod dev;
mod error;
mod metrics;
mod oidc;
mod policy;
mod rate_limit;
mod request_body;
mod routes;
mod server;
mod service;
mod state;
mod tls;
mod token_cache;

pub use config::Config;

/// Entry points for the fuzz targets (`fuzz/`): the parsers that see attacker or operator input first.
/// Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    /// Reads an `Authorization` header value the way a request's is read, then the token's unverified
    /// header and claimed issuer: `Ok((alg, kid, iss))` or the sign-in error code.
    pub fn inspect_authorization(
        value: &[u8],
    ) -> Result<(String, Option<String>, String), &'static str> {
        let value = http::HeaderValue::from_bytes(value).map_err(|_| "not a header value")?;
        let token = crate::oidc::bearer_token(Some(&value)).map_err(|error| error.code())?;
        let unverified = crate::oidc::inspect(token).map_err(|error| error.code())?;
        Ok((unverified.alg, unverified.kid, unverified.iss))
    }
}
pub use custom_id::{CustomIdTemplate, MissingClaim};
pub use oidc::{SignInError, SignedIn};
pub use policy::{Policy, PolicyError, Rule};
pub use server::{serve, shutdown_signal};
pub use service::{BuildError, TokenService};
