//! Reading an ACS access token: the expiry of a JWT, without checking its signature.

use std::fmt;

use acs_identity_types::AccessToken;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use time::OffsetDateTime;

/// Base64url as JWTs use it; padding is tolerated since some issuers keep it.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a token could not be read. Never contains any part of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenParseError {
    /// The token is empty or only whitespace.
    Blank,
    /// The token is not a JWT (`header.payload.signature`, base64url), so its expiry is unknown.
    /// Give an opaque token as an [`AccessToken`] with its expiry instead.
    NotJwt,
    /// The JWT payload is not base64url-encoded JSON object.
    InvalidPayload,
    /// The JWT payload has no `exp` claim.
    MissingExpiry,
    /// The `exp` claim is not a number of seconds within the supported range.
    InvalidExpiry,
}

impl fmt::Display for TokenParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Blank => "the access token is blank",
            Self::NotJwt => {
                "the access token is not a JWT, so its expiry is unknown; pass it as an AccessToken with its expiry"
            }
            Self::InvalidPayload => "the access token's JWT payload is not base64url-encoded JSON",
            Self::InvalidExpiry => "the access token's `exp` claim is not a valid number of seconds",
            Self::MissingExpiry => "the access token's JWT payload has no `exp` claim",
        })
    }
}

impl std::error::Error for TokenParseError {}

/// Reads an ACS access token (a JWT) and its expiry, the `exp` claim of its payload.
///
/// Surrounding whitespace is trimmed; the signature is not checked (the service does that). A blank
/// token, a non-JWT and a payload without a numeric `exp` are errors that never quote the token.
///
/// ```
/// use acs_identity_core::{TokenParseError, parse_access_token};
///
/// // {"alg":"none"}.{"exp":1744651947}.
/// let token = parse_access_token("eyJhbGciOiJub25lIn0.eyJleHAiOjE3NDQ2NTE5NDd9.")?;
/// assert_eq!(token.expires_on().unix_timestamp(), 1_744_651_947);
/// assert_eq!(parse_access_token("  "), Err(TokenParseError::Blank));
/// assert_eq!(parse_access_token("opaque-token"), Err(TokenParseError::NotJwt));
/// # Ok::<(), TokenParseError>(())
/// ```
pub fn parse_access_token(token: impl Into<String>) -> Result<AccessToken, TokenParseError> {
    let token = trimmed(token.into())?;
    let expires_on = jwt_expiry(&token)?;
    Ok(AccessToken::new(token, expires_on))
}

/// The token without surrounding whitespace, or [`TokenParseError::Blank`].
fn trimmed(token: String) -> Result<String, TokenParseError> {
    let trimmed = token.trim();
    if trimmed.is_empty() {
        Err(TokenParseError::Blank)
    } else if trimmed.len() == token.len() {
        Ok(token)
    } else {
        Ok(trimmed.to_owned())
    }
}

fn jwt_expiry(token: &str) -> Result<OffsetDateTime, TokenParseError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenParseError::NotJwt);
    };
    if header.is_empty() || BASE64URL.decode(header).is_err() {
        return Err(TokenParseError::NotJwt);
    }
    let payload = BASE64URL
        .decode(payload)
        .map_err(|_| TokenParseError::InvalidPayload)?;
    let claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&payload).map_err(|_| TokenParseError::InvalidPayload)?;
    let seconds = match claims.get("exp") {
        None | Some(serde_json::Value::Null) => return Err(TokenParseError::MissingExpiry),
        Some(serde_json::Value::Number(number)) => match number.as_i64() {
            Some(seconds) => seconds,
            // NumericDate may have a fraction; whole seconds are precise enough for refreshing.
            None => whole_seconds(number.as_f64()).ok_or(TokenParseError::InvalidExpiry)?,
        },
        Some(_) => return Err(TokenParseError::InvalidExpiry),
    };
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| TokenParseError::InvalidExpiry)
}

fn whole_seconds(value: Option<f64>) -> Option<i64> {
    let value = value?.floor();
    // The range check keeps the cast exact; `time` rejects anything past year 9999 anyway.
    (value.is_finite() && value.abs() < 1e15).then_some(value as i64)
}

/// What a token refresher may return: a JWT string (its expiry is read from `exp`) or an
/// [`AccessToken`] with an explicit expiry (any token, opaque ones included).
///
/// Implemented for `String`, `&str`, `&String`, `Box<str>` and `AccessToken`. A blank token is an error
/// in every form.
pub trait IntoAccessToken {
    /// The token and its expiry.
    fn into_access_token(self) -> Result<AccessToken, TokenParseError>;
}

impl IntoAccessToken for AccessToken {
    fn into_access_token(self) -> Result<AccessToken, TokenParseError> {
        if self.token().trim().is_empty() {
            return Err(TokenParseError::Blank);
        }
        Ok(self)
    }
}

impl IntoAccessToken for String {
    fn into_access_token(self) -> Result<AccessToken, TokenParseError> {
        parse_access_token(self)
    }
}

impl IntoAccessToken for &str {
    fn into_access_token(self) -> Result<AccessToken, TokenParseError> {
        parse_access_token(self)
    }
}

impl IntoAccessToken for &String {
    fn into_access_token(self) -> Result<AccessToken, TokenParseError> {
        parse_access_token(self.as_str())
    }
}

impl IntoAccessToken for Box<str> {
    fn into_access_token(self) -> Result<AccessToken, TokenParseError> {
        parse_access_token(String::from(self))
    }
}
