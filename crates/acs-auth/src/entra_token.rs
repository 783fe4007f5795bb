//! Entra ID token responses.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::StatusCode;
use serde::Deserialize;

/// How much of an unreadable error body an [`EntraTokenError::Decode`] keeps.
const EXCERPT_CHARS: usize = 200;

/// An Entra ID access token and when it expires. `Debug` redacts the token.
#[derive(Clone, PartialEq, Eq)]
pub struct EntraToken {
    token: String,
    expires_at: SystemTime,
}

impl EntraToken {
    /// A token obtained some other way (a static token, another library's credential).
    pub fn new(token: impl Into<String>, expires_at: SystemTime) -> Self {
        Self {
            token: token.into(),
            expires_at,
        }
    }

    /// The token itself, for [`bearer_header_value`](crate::bearer_header_value). Secret: never log it.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// When Entra ID said it expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for EntraToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraToken")
            .field("token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    expires_in: ExpiresIn,
}

/// Entra ID sends a number; older endpoints and some proxies send it as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExpiresIn {
    Seconds(u64),
    Text(String),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Reads the token endpoint's response to a request built by
/// [`ClientSecretCredential`](crate::ClientSecretCredential) or
/// [`WorkloadIdentityCredential`](crate::WorkloadIdentityCredential).
///
/// A 2xx with `{"access_token": "...", "expires_in": 3599}` (`expires_in` as a number or a string of digits)
/// gives a token expiring `expires_in` seconds after `now`. Any other status with an OAuth error body gives
/// [`EntraTokenError::Rejected`]; anything else, [`EntraTokenError::Decode`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use http::StatusCode;
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let body = br#"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0.e30.sig"}"#;
/// let token = acs_auth::parse_token_response(StatusCode::OK, body, now)?;
/// assert_eq!(token.token(), "eyJ0.e30.sig");
/// assert_eq!(token.expires_at(), now + Duration::from_secs(3599));
/// # Ok::<(), acs_auth::EntraTokenError>(())
/// ```
pub fn parse_token_response(
    status: StatusCode,
    body: &[u8],
    now: SystemTime,
) -> Result<EntraToken, EntraTokenError> {
    if !status.is_success() {
        return Err(match serde_json::from_slice::<ErrorBody>(body) {
            Ok(error) => EntraTokenError::Rejected {
                status,
                error: error.error,
                description: error.error_description,
            },
            // An error body cannot hold a token, so part of it may be shown.
            Err(_) => EntraTokenError::Decode {
                status,
                excerpt: Some(excerpt(body)),
            },
        });
    }
    // A success body may hold a token even when malformed: keep none of it, not even serde's message.
    let undecodable = EntraTokenError::Decode {
        status,
        excerpt: None,
    };
    let parsed: TokenBody = serde_json::from_slice(body).map_err(|_| undecodable.clone())?;
    let seconds = match parsed.expires_in {
        ExpiresIn::Seconds(seconds) => seconds,
        ExpiresIn::Text(text) => text.trim().parse().map_err(|_| undecodable.clone())?,
    };
    if parsed.access_token.is_empty() {
        return Err(undecodable);
    }
    let expires_at = now
        .checked_add(Duration::from_secs(seconds))
        .ok_or(undecodable)?;
    Ok(EntraToken {
        token: parsed.access_token,
        expires_at,
    })
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(EXCERPT_CHARS)
        .collect()
}

/// Why no token came out of a token response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntraTokenError {
    /// Entra ID refused, with an OAuth error (`invalid_client`, `unauthorized_client`...). The description
    /// (`AADSTS7000215: Invalid client secret provided...`) contains no secret and is meant to be shown.
    #[error("Entra ID refused the token request ({status}): {error}: {description}")]
    Rejected {
        /// The HTTP status.
        status: StatusCode,
        /// The OAuth `error` code.
        error: String,
        /// The `error_description`, empty when absent.
        description: String,
    },
    /// The response is not a token response nor an OAuth error.
    #[error("unexpected Entra ID token response ({status}){}", excerpt.as_deref().map(|e| format!(": {e}")).unwrap_or_default())]
    Decode {
        /// The HTTP status.
        status: StatusCode,
        /// The start of the body, only for non-success statuses: a success body may contain a token, so
        /// none of it is kept.
        excerpt: Option<String>,
    },
}
