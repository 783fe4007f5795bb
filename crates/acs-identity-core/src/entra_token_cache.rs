//! The rules of a client's Entra ID token cache: when the cached token is reused, and what a failed
//! refresh leaves the caller with.

use std::fmt;
use std::time::{Duration, SystemTime};

use acs_auth::EntraToken;
use http::HeaderValue;

use crate::{Error, ErrorKind};

/// The Entra ID token a client authorizes its requests with, and its `Authorization` value.
///
/// Rules: the token is reused until [`REFRESH_MARGIN`](Self::REFRESH_MARGIN) (5 minutes) before it
/// expires, so that none expires in flight; then the frontend asks its token source for a new one
/// (holding its lock, so that concurrent callers share one refresh) and hands the result to
/// [`complete`](Self::complete). A failed early refresh keeps the current token while it is still valid.
/// `Debug` shows no token.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use acs_auth::EntraToken;
/// use acs_identity_core::{EntraRefresh, EntraTokenCache, Error};
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
/// let mut cache = EntraTokenCache::default();
/// assert!(cache.reusable(now).is_none());
/// let token = EntraToken::new("eyJ0eXAi.e30.sig", now + Duration::from_secs(3600));
/// let EntraRefresh::Refreshed(value) = cache.complete(Ok(token), now)? else { unreachable!() };
/// assert_eq!(cache.reusable(now), Some(&value));
/// // 4 minutes before the expiry, it is due; a failed refresh keeps it while it is valid.
/// let later = now + Duration::from_secs(3360);
/// assert!(cache.reusable(later).is_none());
/// let failed = Err(Error::credential(std::io::Error::other("token service down")));
/// assert!(matches!(cache.complete(failed, later)?, EntraRefresh::KeptCurrent { .. }));
/// # Ok::<(), Error>(())
/// ```
#[derive(Default, Clone)]
pub struct EntraTokenCache {
    cached: Option<(EntraToken, HeaderValue)>,
}

/// What a refresh of the Entra ID token gave.
#[derive(Debug)]
pub enum EntraRefresh {
    /// The new token's `Authorization` value (marked sensitive).
    Refreshed(HeaderValue),
    /// The refresh failed, but the current token is still valid: its `Authorization` value, and the
    /// failure (worth a warning).
    KeptCurrent {
        /// The current token's `Authorization` value (marked sensitive).
        authorization: HeaderValue,
        /// Why the refresh failed.
        error: Error,
    },
}

impl EntraRefresh {
    /// The `Authorization` value to send, new or kept.
    pub fn into_authorization(self) -> HeaderValue {
        match self {
            Self::Refreshed(authorization) | Self::KeptCurrent { authorization, .. } => {
                authorization
            }
        }
    }
}

impl EntraTokenCache {
    /// Tokens are replaced this long before they expire, so that none expires in flight.
    pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

    /// The cached `Authorization` value, if the token is valid for longer than
    /// [`REFRESH_MARGIN`](Self::REFRESH_MARGIN) after `now`.
    pub fn reusable(&self, now: SystemTime) -> Option<&HeaderValue> {
        let (token, authorization) = self.cached.as_ref()?;
        now.checked_add(Self::REFRESH_MARGIN)
            .is_some_and(|soon| soon < token.expires_at())
            .then_some(authorization)
    }

    /// Records the outcome of a refresh that started at `now`: a new token is cached (one that cannot be
    /// an `Authorization` value is a credential error and leaves the cache as it was); on failure, the
    /// current token is kept while it is valid at `now`, otherwise the failure is returned as a
    /// credential error.
    pub fn complete(
        &mut self,
        result: Result<EntraToken, Error>,
        now: SystemTime,
    ) -> Result<EntraRefresh, Error> {
        match result {
            Ok(token) => {
                let authorization =
                    acs_auth::bearer_header_value(token.token()).map_err(Error::credential)?;
                self.cached = Some((token, authorization.clone()));
                Ok(EntraRefresh::Refreshed(authorization))
            }
            Err(error) => match &self.cached {
                Some((token, authorization)) if now < token.expires_at() => {
                    Ok(EntraRefresh::KeptCurrent {
                        authorization: authorization.clone(),
                        error,
                    })
                }
                _ if error.kind() == ErrorKind::Credential => Err(error),
                _ => Err(Error::credential(error)),
            },
        }
    }
}

impl fmt::Debug for EntraTokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expires_at = self.cached.as_ref().map(|(token, _)| token.expires_at());
        f.debug_struct("EntraTokenCache")
            .field("expires_at", &expires_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_744_644_747)
    }

    fn token(name: &str, lifetime: Duration) -> Result<EntraToken, Error> {
        Ok(EntraToken::new(name, now() + lifetime))
    }

    fn refreshed(cache: &mut EntraTokenCache, result: Result<EntraToken, Error>) -> HeaderValue {
        match cache.complete(result, now()).unwrap() {
            EntraRefresh::Refreshed(authorization) => authorization,
            other => panic!("not refreshed: {other:?}"),
        }
    }

    fn down() -> Result<EntraToken, Error> {
        Err(Error::credential(std::io::Error::other(
            "token service down",
        )))
    }

    #[test]
    fn tokens_are_reused_until_five_minutes_before_expiry() {
        let mut cache = EntraTokenCache::default();
        assert!(cache.reusable(now()).is_none());
        let value = refreshed(&mut cache, token("token-1", 60 * MINUTE));
        assert_eq!(value, "Bearer token-1");
        assert!(value.is_sensitive());
        assert_eq!(cache.reusable(now()), Some(&value));
        assert_eq!(cache.reusable(now() + 54 * MINUTE), Some(&value));
        assert!(cache.reusable(now() + 55 * MINUTE).is_none());
        assert!(cache.reusable(now() + 61 * MINUTE).is_none());

        refreshed(&mut cache, token("token-2", 4 * MINUTE));
        assert!(
            cache.reusable(now()).is_none(),
            "within the margin from the start"
        );
    }

    #[test]
    fn a_failed_early_refresh_keeps_the_valid_token() {
        let mut cache = EntraTokenCache::default();
        refreshed(&mut cache, token("token-1", 4 * MINUTE));
        let EntraRefresh::KeptCurrent {
            authorization,
            error,
        } = cache.complete(down(), now()).unwrap()
        else {
            panic!("the valid token is kept")
        };
        assert_eq!(authorization, "Bearer token-1");
        assert_eq!(error.kind(), ErrorKind::Credential);

        // Once it has expired, the failure is the caller's.
        let error = cache.complete(down(), now() + 4 * MINUTE).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert_eq!(
            std::error::Error::source(&error).unwrap().to_string(),
            "token service down"
        );
        let error = EntraTokenCache::default()
            .complete(down(), now())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
    }

    #[test]
    fn every_failure_is_a_credential_error() {
        let transport = Error::transport(std::io::Error::other("no route"), false);
        let error = EntraTokenCache::default()
            .complete(Err(transport), now())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_a_credential_error() {
        let mut cache = EntraTokenCache::default();
        let value = refreshed(&mut cache, token("token-1", 60 * MINUTE));
        let error = cache
            .complete(token("line\nbreak", 60 * MINUTE), now())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert!(!format!("{error:?}").contains("break"));
        assert_eq!(
            cache.reusable(now()),
            Some(&value),
            "the cache is unchanged"
        );
        assert!(!format!("{cache:?}").contains("token-1"));
    }
}
