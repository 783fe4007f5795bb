//! The emulator's own Entra ID: an OAuth token endpoint for a registered application (bearer tokens for the
//! ACS routes), tokens of Teams and Entra users, for the token exchanges, and an OpenID Connect issuer
//! (discovery, JWKS, RS256/ES256 sign-in tokens) for applications that validate bearer JWTs.

mod authority;
mod endpoint;
mod keys;
mod sign_in;

use std::fmt;
use std::time::SystemTime;

use time::OffsetDateTime;
use uuid::Uuid;

pub(crate) use authority::{Audience, EntraAuthority, EntraClaims};
pub(crate) use endpoint::{EntraRoute, entra_route, serve};
pub use keys::{SigningAlgorithm, SigningError};
pub use sign_in::SignInUser;

pub use acs_auth::COMMUNICATION_SCOPE;

/// An application registered with the emulator's Entra tenant: client credentials for the token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct EntraApp {
    client_id: Uuid,
    client_secret: String,
}

impl EntraApp {
    /// An application with this client id and secret.
    pub fn new(client_id: Uuid, client_secret: impl Into<String>) -> Self {
        Self {
            client_id,
            client_secret: client_secret.into(),
        }
    }

    /// The application (client) id.
    pub fn client_id(&self) -> Uuid {
        self.client_id
    }

    /// The client secret. **A secret**: hand it to the credential under test, never log it.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }
}

impl fmt::Debug for EntraApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// A user of the emulator's Entra ID, for whom it mints access tokens: the Teams user whose token is
/// exchanged at `/teamsUser/:exchangeAccessToken`, or the caller of the Teams extension and Entra exchanges.
///
/// ```
/// use acs_identity_emulator::EntraUser;
/// use uuid::Uuid;
///
/// let user = EntraUser::teams_user(Uuid::new_v4(), Uuid::new_v4());
/// assert_eq!(user.audience, EntraUser::TEAMS_AUDIENCE);
///
/// let expired = user.clone().expires_at(std::time::SystemTime::UNIX_EPOCH);
/// assert_eq!(expired.object_id, user.object_id);
/// ```
///
/// `#[non_exhaustive]`: the minted tokens may carry more claims. Read the fields; build one with
/// [`teams_user`](Self::teams_user) or [`for_entra_exchange`](Self::for_entra_exchange) and the builder
/// methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraUser {
    /// The user's object id (`oid`).
    pub object_id: Uuid,
    /// The client application the token was issued to (`appid`).
    pub app_id: Uuid,
    /// The user's tenant (`tid`); `None` means the emulator's tenant.
    pub tenant_id: Option<Uuid>,
    /// The token's audience (`aud`).
    pub audience: String,
    /// Groups the user belongs to (`groups`), matched by Entra assignments of principal type `group`.
    pub groups: Vec<Uuid>,
    /// When the token expires; `None` means one hour after it is issued. May be in the past.
    pub expires_at: Option<SystemTime>,
}

impl EntraUser {
    /// The audience of Teams user tokens (`/teamsUser/:exchangeAccessToken`) and of Teams extension callers.
    pub const TEAMS_AUDIENCE: &'static str = "https://auth.msft.communication.azure.com";
    /// The audience of Entra exchange callers (`/access/entra/:exchangeAccessToken`).
    pub const COMMUNICATION_AUDIENCE: &'static str = "https://communication.azure.com";

    /// A Teams user, with the Teams audience, in the emulator's tenant, for one hour.
    pub fn teams_user(object_id: Uuid, app_id: Uuid) -> Self {
        Self {
            object_id,
            app_id,
            tenant_id: None,
            audience: Self::TEAMS_AUDIENCE.into(),
            groups: Vec::new(),
            expires_at: None,
        }
    }

    /// An Entra user calling the Entra exchange, with the Communication Services audience.
    pub fn for_entra_exchange(object_id: Uuid, app_id: Uuid) -> Self {
        Self::teams_user(object_id, app_id).audience(Self::COMMUNICATION_AUDIENCE)
    }

    /// Sets [`tenant_id`](Self::tenant_id).
    #[must_use]
    pub fn tenant_id(mut self, tenant_id: Uuid) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    /// Sets [`audience`](Self::audience).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Adds one group to [`groups`](Self::groups).
    #[must_use]
    pub fn group(mut self, group: Uuid) -> Self {
        self.groups.push(group);
        self
    }

    /// Sets [`groups`](Self::groups), replacing any added before.
    #[must_use]
    pub fn groups(mut self, groups: impl IntoIterator<Item = Uuid>) -> Self {
        self.groups = groups.into_iter().collect();
        self
    }

    /// Sets [`expires_at`](Self::expires_at).
    #[must_use]
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }
}

/// An Entra access token minted by the emulator. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct EntraToken {
    token: String,
    expires_on: OffsetDateTime,
}

impl EntraToken {
    pub(crate) fn new(token: String, expires_on: OffsetDateTime) -> Self {
        Self { token, expires_on }
    }

    /// The token (a JWT). **A secret**: hand it to the code under test, never log it.
    pub fn secret(&self) -> &str {
        &self.token
    }

    /// When it expires.
    pub fn expires_on(&self) -> OffsetDateTime {
        self.expires_on
    }
}

impl fmt::Debug for EntraToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraToken")
            .field("token", &"[redacted]")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}
