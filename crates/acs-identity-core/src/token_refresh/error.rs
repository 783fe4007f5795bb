//! Why a communication token credential gave no token, or could not be built.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use acs_identity_types::AccessToken;
use time::OffsetDateTime;

use super::exchange::InvalidScopesError;
use super::parse::{IntoAccessToken, TokenParseError};

/// Why a communication token credential could not give a token.
///
/// Frontends return it inside an [`Error`](crate::Error) of kind
/// [`ErrorKind::Credential`](crate::ErrorKind::Credential), as its
/// [`source`](std::error::Error::source). Cheap to clone, so that every caller waiting on one refresh
/// gets its failure. Never contains the token.
#[derive(Clone)]
#[non_exhaustive]
pub enum TokenRefreshError {
    /// The credential was closed or dropped.
    Closed,
    /// The refresher (or the Entra ID token source or exchange) failed; the source says why.
    Refresher(Arc<dyn StdError + Send + Sync + 'static>),
    /// The refresher returned a token that could not be read.
    InvalidToken(TokenParseError),
    /// The refresher returned a token that had already expired.
    ExpiredToken {
        /// When it expired.
        expired_on: OffsetDateTime,
    },
    /// The credential holds a fixed token, which has expired; only a refresher can help.
    StaticTokenExpired {
        /// When it expired.
        expired_on: OffsetDateTime,
    },
}

impl TokenRefreshError {
    /// A refresher failure with this cause.
    pub fn refresher(source: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self::Refresher(Arc::from(source.into()))
    }

    /// What a refresher returned, as the credential records it: its token read (a JWT's expiry from `exp`)
    /// or [`InvalidToken`](Self::InvalidToken), or its error as [`Refresher`](Self::Refresher).
    pub fn from_refresher<T, E>(result: Result<T, E>) -> Result<AccessToken, Self>
    where
        T: IntoAccessToken,
        E: Into<Box<dyn StdError + Send + Sync + 'static>>,
    {
        match result {
            Ok(token) => token.into_access_token().map_err(Self::InvalidToken),
            Err(error) => Err(Self::refresher(error)),
        }
    }
}

impl fmt::Display for TokenRefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("the communication token credential is closed"),
            Self::Refresher(_) => f.write_str("the token refresher failed"),
            Self::InvalidToken(_) => f.write_str("the token refresher returned an unusable token"),
            Self::ExpiredToken { expired_on } => {
                write!(
                    f,
                    "the token refresher returned a token that expired at {expired_on}"
                )
            }
            Self::StaticTokenExpired { expired_on } => {
                write!(
                    f,
                    "the access token expired at {expired_on} and the credential has no refresher"
                )
            }
        }
    }
}

impl fmt::Debug for TokenRefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("Closed"),
            Self::Refresher(source) => f.debug_tuple("Refresher").field(source).finish(),
            Self::InvalidToken(error) => f.debug_tuple("InvalidToken").field(error).finish(),
            Self::ExpiredToken { expired_on } => f
                .debug_struct("ExpiredToken")
                .field("expired_on", expired_on)
                .finish(),
            Self::StaticTokenExpired { expired_on } => f
                .debug_struct("StaticTokenExpired")
                .field("expired_on", expired_on)
                .finish(),
        }
    }
}

impl StdError for TokenRefreshError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Refresher(source) => Some(&**source),
            Self::InvalidToken(error) => Some(error),
            _ => None,
        }
    }
}

/// Why a communication token credential could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum CredentialBuildError {
    /// The (initial) token could not be read.
    Token(TokenParseError),
    /// The Entra ID exchange's scopes do not select an exchange endpoint.
    Scopes(InvalidScopesError),
    /// The background refresh thread could not be started.
    Spawn(std::io::Error),
}

impl fmt::Display for CredentialBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(error) => error.fmt(f),
            Self::Scopes(error) => error.fmt(f),
            Self::Spawn(_) => f.write_str("could not start the token refresh thread"),
        }
    }
}

impl StdError for CredentialBuildError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Spawn(error) => Some(error),
            // Displayed as this error's own message.
            Self::Token(_) | Self::Scopes(_) => None,
        }
    }
}

impl From<TokenParseError> for CredentialBuildError {
    fn from(error: TokenParseError) -> Self {
        Self::Token(error)
    }
}

impl From<InvalidScopesError> for CredentialBuildError {
    fn from(error: InvalidScopesError) -> Self {
        Self::Scopes(error)
    }
}
