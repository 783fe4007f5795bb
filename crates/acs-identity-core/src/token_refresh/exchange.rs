//! Entra ID mode of the credential: which exchange the scopes select, and when an exchange is needed.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use acs_identity_types::{AccessToken, ApiVersion};
use time::OffsetDateTime;

use super::error::TokenRefreshError;
use super::schedule::after;
use super::settings::CredentialClock;
use crate::{ClientOptions, CommunicationUserIdentifierAndToken, Error};

/// Scopes of Teams extension (Teams Phone) users start with this; they select
/// `POST /access/teamsExtension/:exchangeAccessToken`.
pub const TEAMS_EXTENSION_SCOPE_PREFIX: &str = "https://auth.msft.communication.azure.com/";
/// Scopes of Entra ID users of communication clients start with this; they select
/// `POST /access/entra/:exchangeAccessToken`.
pub const COMMUNICATION_CLIENTS_SCOPE_PREFIX: &str = "https://communication.azure.com/clients/";
/// The default scope of the Entra ID mode, as in the official SDKs.
pub const COMMUNICATION_CLIENTS_DEFAULT_SCOPE: &str =
    "https://communication.azure.com/clients/.default";

/// The exchange an Entra ID token goes to, chosen by the scopes it was obtained for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenExchangeTarget {
    /// `POST /access/teamsExtension/:exchangeAccessToken`, api-version 2025-06-30.
    TeamsExtension,
    /// `POST /access/entra/:exchangeAccessToken`, api-version 2025-03-02-preview.
    Entra,
}

impl TokenExchangeTarget {
    /// The target of `scopes`: all start with [`TEAMS_EXTENSION_SCOPE_PREFIX`], or all with
    /// [`COMMUNICATION_CLIENTS_SCOPE_PREFIX`]. None, or a mix, is an error.
    ///
    /// ```
    /// use acs_identity_core::TokenExchangeTarget;
    ///
    /// let target = TokenExchangeTarget::for_scopes(&["https://communication.azure.com/clients/VoIP"])?;
    /// assert_eq!(target, TokenExchangeTarget::Entra);
    /// let target = TokenExchangeTarget::for_scopes(&["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"])?;
    /// assert_eq!(target, TokenExchangeTarget::TeamsExtension);
    /// assert!(TokenExchangeTarget::for_scopes::<&str>(&[]).is_err());
    /// # Ok::<(), acs_identity_core::InvalidScopesError>(())
    /// ```
    pub fn for_scopes<S: AsRef<str>>(scopes: &[S]) -> Result<Self, InvalidScopesError> {
        let all = |prefix: &str| {
            !scopes.is_empty()
                && scopes
                    .iter()
                    .all(|scope| scope.as_ref().starts_with(prefix))
        };
        if all(TEAMS_EXTENSION_SCOPE_PREFIX) {
            Ok(Self::TeamsExtension)
        } else if all(COMMUNICATION_CLIENTS_SCOPE_PREFIX) {
            Ok(Self::Entra)
        } else {
            Err(InvalidScopesError)
        }
    }

    /// The api-version the official SDKs use for this exchange.
    pub fn api_version(self) -> ApiVersion {
        match self {
            Self::TeamsExtension => ApiVersion::V2025_06_30,
            Self::Entra => ApiVersion::V2025_03_02_Preview,
        }
    }
}

/// The scopes of an Entra ID exchange select no endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvalidScopesError;

impl fmt::Display for InvalidScopesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the Entra ID scopes must all start with {TEAMS_EXTENSION_SCOPE_PREFIX} (Teams extension) or all with \
             {COMMUNICATION_CLIENTS_SCOPE_PREFIX} (Entra ID users)"
        )
    }
}

impl std::error::Error for InvalidScopesError {}

/// The last exchange: which Entra ID token gave which ACS token.
///
/// Exchanging the same Entra ID token again yields an ACS token with the same expiry, so it is
/// worth doing only when the Entra ID token changed or the ACS token nears its end. `Debug` shows
/// neither token.
///
/// ```
/// use std::time::Duration;
/// use acs_identity_core::ExchangedTokenCache;
/// use acs_identity_types::AccessToken;
/// use time::macros::datetime;
///
/// let mut cache = ExchangedTokenCache::default();
/// let now = datetime!(2025-04-14 12:00 UTC);
/// cache.store("entra-1", AccessToken::new("acs-1", datetime!(2025-04-14 13:00 UTC)));
/// let margin = Duration::from_secs(120);
/// assert_eq!(cache.reusable("entra-1", now, margin).map(|t| t.token()), Some("acs-1"));
/// assert!(cache.reusable("entra-2", now, margin).is_none());
/// assert!(cache.reusable("entra-1", datetime!(2025-04-14 12:58:30 UTC), margin).is_none());
/// ```
#[derive(Clone, Default)]
pub struct ExchangedTokenCache {
    last: Option<(String, AccessToken)>,
}

impl ExchangedTokenCache {
    /// The ACS token obtained for `entra_token`, if that is the last token exchanged and the ACS token
    /// is still valid for longer than `margin` after `now`.
    pub fn reusable(
        &self,
        entra_token: &str,
        now: OffsetDateTime,
        margin: Duration,
    ) -> Option<&AccessToken> {
        let (exchanged, token) = self.last.as_ref()?;
        (exchanged == entra_token && after(now, margin) < token.expires_on()).then_some(token)
    }

    /// Remembers that `entra_token` was exchanged for `token`.
    pub fn store(&mut self, entra_token: &str, token: AccessToken) {
        self.last = Some((entra_token.to_owned(), token));
    }

    /// Forgets the last exchange.
    pub fn clear(&mut self) {
        self.last = None;
    }
}

/// The Entra ID mode's refresher without its I/O: the exchange its scopes chose, the scopes to ask the Entra
/// ID token source for at every refresh, and the last exchange, reused while the source returns the same Entra
/// ID token and the ACS token is more than `margin` from its expiry. Shared by the refresher's callers.
///
/// A refresh: ask the Entra ID token source for a token for [`scopes`](Self::scopes); return
/// [`reusable`](Self::reusable) if there is one; else exchange at [`target`](Self::target) with a client built
/// with [`client_options`](Self::client_options), and hand the result to [`complete`](Self::complete).
pub struct TokenExchange {
    target: TokenExchangeTarget,
    scopes: Vec<String>,
    last: Mutex<ExchangedTokenCache>,
    clock: CredentialClock,
    margin: Duration,
}

impl TokenExchange {
    /// The exchange of Entra ID tokens for `scopes` (which choose the [`TokenExchangeTarget`]), reading the
    /// time from `clock`.
    pub fn new(
        scopes: Vec<String>,
        clock: CredentialClock,
        margin: Duration,
    ) -> Result<Self, InvalidScopesError> {
        Ok(Self {
            target: TokenExchangeTarget::for_scopes(&scopes)?,
            scopes,
            last: Mutex::default(),
            clock,
            margin,
        })
    }

    /// The exchange to call.
    pub fn target(&self) -> TokenExchangeTarget {
        self.target
    }

    /// The scopes of the Entra ID token.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The options of the client that makes the exchanges: the target's api-version.
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions::default().api_version(self.target.api_version())
    }

    /// The ACS token of the last exchange, if `entra_token` is the one exchanged then and the ACS token is
    /// valid for longer than the margin.
    pub fn reusable(&self, entra_token: &str) -> Option<AccessToken> {
        let now = (self.clock)();
        self.last().reusable(entra_token, now, self.margin).cloned()
    }

    /// The ACS token of the exchange of `entra_token`, remembered for the next refresh; a failed exchange is
    /// a [`TokenRefreshError::Refresher`] failure.
    pub fn complete(
        &self,
        entra_token: &str,
        exchanged: Result<CommunicationUserIdentifierAndToken, Error>,
    ) -> Result<AccessToken, TokenRefreshError> {
        let token = exchanged
            .map_err(TokenRefreshError::refresher)?
            .access_token;
        self.last().store(entra_token, token.clone());
        Ok(token)
    }

    fn last(&self) -> MutexGuard<'_, ExchangedTokenCache> {
        // Only ever updated whole: a poisoned lock still holds a consistent cache.
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for TokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchange")
            .field("target", &self.target)
            .field("scopes", &self.scopes)
            .field("last", &*self.last())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ExchangedTokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expires_on = self.last.as_ref().map(|(_, token)| token.expires_on());
        f.debug_struct("ExchangedTokenCache")
            .field("expires_on", &expires_on)
            .finish_non_exhaustive()
    }
}

/// Expands `EntraCommunicationTokenCredentialOptions`, the same in both frontends but for its token source: the
/// struct as given (its docs and the `token_source` field's type; the macro adds the resource endpoint and
/// the scopes), a private `with_source` (the default scope), `scopes`, `Debug`, and the private
/// `into_refresher(clock, margin)`, which makes the exchanges' client and returns
/// `$exchange { client, source, exchange }` (the frontend's refresher of the Entra ID mode, with those
/// fields) as an `Arc<dyn $refresh>`. The frontend adds `new`, whose closure bounds differ by mode.
///
/// For the two frontend crates; hidden from the docs. The invoking crate has `CommunicationIdentityClient` at
/// its root.
#[doc(hidden)]
#[macro_export]
// `crate::CommunicationIdentityClient` is the invoking frontend's client, on purpose.
#[allow(clippy::crate_in_macro_def)]
macro_rules! entra_credential_options {
    (
        $(#[$doc:meta])*
        pub struct $name:ident { token_source: $source:ty $(,)? }
        refresher: $exchange:ident as $refresh:path $(,)?
    ) => {
        $(#[$doc])*
        pub struct $name {
            resource_endpoint: $crate::frontend_api::Endpoint,
            token_source: $source,
            scopes: Vec<String>,
        }

        impl $name {
            fn with_source(resource_endpoint: $crate::frontend_api::Endpoint, token_source: $source) -> Self {
                Self {
                    resource_endpoint,
                    token_source,
                    scopes: vec![$crate::COMMUNICATION_CLIENTS_DEFAULT_SCOPE.to_owned()],
                }
            }

            /// The scopes of the Entra ID token, which also choose the exchange (see above).
            pub fn scopes<I, S>(mut self, scopes: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                self.scopes = scopes.into_iter().map(Into::into).collect();
                self
            }

            pub(crate) fn into_refresher(
                self,
                clock: $crate::CredentialClock,
                margin: ::std::time::Duration,
            ) -> Result<::std::sync::Arc<dyn $refresh>, $crate::CredentialBuildError> {
                let exchange = $crate::TokenExchange::new(self.scopes, clock, margin)?;
                // The exchanges carry the user's own Entra ID token, so the client's credential is never used.
                let unused =
                    $crate::frontend_api::EntraToken::new("", ::std::time::SystemTime::UNIX_EPOCH);
                let options = exchange.client_options();
                let client = crate::CommunicationIdentityClient::with_token_source(
                    self.resource_endpoint,
                    unused,
                    options,
                );
                Ok(::std::sync::Arc::new($exchange {
                    client,
                    source: self.token_source,
                    exchange,
                }))
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("resource_endpoint", &self.resource_endpoint)
                    .field("scopes", &self.scopes)
                    .finish_non_exhaustive()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use acs_identity_types::CommunicationUserIdentifier;
    use time::macros::datetime;

    use super::*;

    fn exchanged(token: &str, expires_on: OffsetDateTime) -> CommunicationUserIdentifierAndToken {
        CommunicationUserIdentifierAndToken {
            user: CommunicationUserIdentifier::new("8:acs:someone"),
            access_token: AccessToken::new(token, expires_on),
            custom_id: None,
            last_token_issued_at: None,
        }
    }

    #[test]
    fn the_last_exchange_is_reused_for_the_same_entra_token_until_the_margin() {
        let now = Arc::new(Mutex::new(datetime!(2025-04-14 12:00 UTC)));
        let clock = Arc::clone(&now);
        let scopes = vec![COMMUNICATION_CLIENTS_DEFAULT_SCOPE.to_owned()];
        let exchange = TokenExchange::new(
            scopes,
            Arc::new(move || *clock.lock().unwrap()),
            Duration::from_secs(120),
        )
        .unwrap();
        assert_eq!(exchange.target(), TokenExchangeTarget::Entra);
        assert_eq!(
            exchange.client_options().api_version,
            ApiVersion::V2025_03_02_Preview
        );
        assert!(exchange.reusable("entra-1").is_none());

        let token = exchange
            .complete(
                "entra-1",
                Ok(exchanged("acs-1", datetime!(2025-04-14 13:00 UTC))),
            )
            .unwrap();
        assert_eq!(token.token(), "acs-1");
        assert_eq!(exchange.reusable("entra-1").unwrap().token(), "acs-1");
        assert!(exchange.reusable("entra-2").is_none());
        *now.lock().unwrap() = datetime!(2025-04-14 12:58:30 UTC);
        assert!(exchange.reusable("entra-1").is_none(), "inside the margin");
        assert!(!format!("{exchange:?}").contains("acs-1"));
    }

    #[test]
    fn a_failed_exchange_is_a_refresher_failure_and_keeps_the_last_one() {
        let scopes = vec![format!(
            "{TEAMS_EXTENSION_SCOPE_PREFIX}TeamsExtension.ManageCalls"
        )];
        let now = datetime!(2025-04-14 12:00 UTC);
        let exchange =
            TokenExchange::new(scopes, Arc::new(move || now), Duration::from_secs(120)).unwrap();
        assert_eq!(exchange.target(), TokenExchangeTarget::TeamsExtension);
        exchange
            .complete(
                "entra-1",
                Ok(exchanged("acs-1", datetime!(2025-04-14 13:00 UTC))),
            )
            .unwrap();
        let failed = Err(Error::invalid_input("no such user"));
        let error = exchange.complete("entra-2", failed).unwrap_err();
        assert!(
            matches!(error, TokenRefreshError::Refresher(_)),
            "{error:?}"
        );
        assert_eq!(exchange.reusable("entra-1").unwrap().token(), "acs-1");

        let mixed = vec![
            COMMUNICATION_CLIENTS_DEFAULT_SCOPE.to_owned(),
            format!("{TEAMS_EXTENSION_SCOPE_PREFIX}x"),
        ];
        assert!(TokenExchange::new(mixed, Arc::new(move || now), Duration::ZERO).is_err());
    }
}
