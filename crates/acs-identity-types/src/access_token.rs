//! Access tokens issued for communication users.

use std::fmt;

use time::OffsetDateTime;

/// An access token for a communication user, with its expiry.
///
/// The token is a secret: `Debug` prints it as `[redacted]` and there is no `Display`.
/// Read it with [`token`](Self::token) where it is needed.
///
/// ```
/// use acs_identity_types::AccessToken;
/// use time::macros::datetime;
///
/// let token = AccessToken::new("eyJhbGciOi...", datetime!(2025-04-14 17:32:27 UTC));
/// assert_eq!(token.token(), "eyJhbGciOi...");
/// assert!(!format!("{token:?}").contains("eyJ"));
/// assert!(token.is_expired_at(datetime!(2025-04-14 17:32:27 UTC)));
/// assert!(!token.is_expired_at(datetime!(2025-04-14 17:32:26 UTC)));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    token: String,
    expires_on: OffsetDateTime,
}

impl AccessToken {
    /// A token and the instant it stops being valid.
    pub fn new(token: impl Into<String>, expires_on: OffsetDateTime) -> Self {
        Self {
            token: token.into(),
            expires_on,
        }
    }

    /// The token, to put in an `Authorization` header or hand to a client SDK.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// When the token expires.
    pub fn expires_on(&self) -> OffsetDateTime {
        self.expires_on
    }

    /// Whether the token has expired at `now` (the caller reads the clock).
    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_on
    }

    /// The token string, consuming `self`.
    pub fn into_token(self) -> String {
        self.token
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &format_args!("[redacted]"))
            .field("expires_on", &self.expires_on)
            .finish()
    }
}
