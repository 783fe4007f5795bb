//! Entra ID mode of the credential: which exchange the scopes select, and when an exchange is needed.

use std::fmt;
use std::time::Duration;

use acs_identity_types::{AccessToken, ApiVersion};
use time::OffsetDateTime;

use super::schedule::after;

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

impl fmt::Debug for ExchangedTokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expires_on = self.last.as_ref().map(|(_, token)| token.expires_on());
        f.debug_struct("ExchangedTokenCache")
            .field("expires_on", &expires_on)
            .finish_non_exhaustive()
    }
}
