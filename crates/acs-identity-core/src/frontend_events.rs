//! The log events of the two frontends, written once.
//!
//! The core records nothing (it has no `tracing`); [`frontend_events!`] expands, in the crate that invokes it, a
//! module `events` whose functions record the events. They so carry the frontend's own target
//! (`acs_identity::events`, `acs_identity_blocking::events`) and sit inside its spans.

/// Expands a private module `events`: the frontend's log events (HTTP details at DEBUG, with headers through
/// [`LoggedHeaders`](crate::LoggedHeaders) and never a body; refresh failures at WARN; never a secret).
///
/// For the two frontend crates; hidden from the docs. The invoking crate depends on `tracing` and `http`.
#[doc(hidden)]
#[macro_export]
macro_rules! frontend_events {
    () => {
        /// The log events of a call and of token refreshing (from `acs_identity_core::frontend_events!`).
        mod events {
            use ::std::time::Duration;

            use $crate::frontend_api::AccessToken;
            use $crate::{Error, LoggedHeaders, TokenRefreshError};

            fn millis(duration: Duration) -> u64 {
                u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
            }

            /// An attempt is about to be sent.
            pub(crate) fn sending(attempt: u32, request: &::http::Request<Vec<u8>>) {
                ::tracing::debug!(
                    attempt,
                    method = %request.method(),
                    uri = %request.uri(),
                    headers = %LoggedHeaders(request.headers()),
                    body_len = request.body().len(),
                    "sending request"
                );
            }

            /// An attempt ended, `elapsed` into its call.
            pub(crate) fn received(
                result: &Result<::http::Response<Vec<u8>>, Error>,
                elapsed: Duration,
            ) {
                let elapsed_ms = millis(elapsed);
                match result {
                    Ok(response) => ::tracing::debug!(
                        status = response.status().as_u16(),
                        headers = %LoggedHeaders(response.headers()),
                        body_len = response.body().len(),
                        elapsed_ms,
                        "received response"
                    ),
                    Err(error) => ::tracing::debug!(
                        error = %error,
                        source = ?::std::error::Error::source(error),
                        elapsed_ms,
                        "request failed"
                    ),
                }
            }

            /// The call sleeps `delay` before its next attempt.
            pub(crate) fn retrying(attempt: u32, delay: Duration) {
                ::tracing::debug!(attempt, delay_ms = millis(delay), "retrying");
            }

            /// The call is over.
            pub(crate) fn finished(attempts: u32, elapsed: Duration) {
                ::tracing::debug!(attempts, elapsed_ms = millis(elapsed), "call finished");
            }

            /// A communication token credential's refresh ended.
            pub(crate) fn refreshed(result: &Result<AccessToken, TokenRefreshError>) {
                match result {
                    Ok(token) => {
                        ::tracing::debug!(expires_on = %token.expires_on(), "ACS token refreshed")
                    }
                    Err(TokenRefreshError::Closed) => {
                        ::tracing::debug!("ACS token refresh cancelled: the credential closed")
                    }
                    Err(error) => ::tracing::warn!(
                        error = %error,
                        cause = ::std::error::Error::source(error).map(::tracing::field::display),
                        "ACS token refresh failed"
                    ),
                }
            }

            /// The client's Entra ID token was refreshed, or could not be but the current one is still valid.
            pub(crate) fn entra_refreshed(refresh: &$crate::EntraRefresh) {
                if let $crate::EntraRefresh::KeptCurrent { error, .. } = refresh {
                    ::tracing::warn!(error = %error, "Entra ID token refresh failed; using the current token");
                }
            }
        }
    };
}
