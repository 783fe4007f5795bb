//! `Authorization: Bearer` for Entra ID tokens.

use http::HeaderValue;

/// The Entra ID scope of ACS tokens. The double slash is what the service expects.
pub const COMMUNICATION_SCOPE: &str = "https://communication.azure.com//.default";

/// Builds `Bearer <token>` as an `Authorization` header value, marked sensitive.
///
/// Fails, without echoing the token, when it is empty or contains anything but visible ASCII (a space, a
/// control character such as the newline at the end of a token file, or non-ASCII): such a header would be
/// rejected or misread on the wire.
///
/// ```
/// let value = acs_auth::bearer_header_value("eyJ0eXAi.e30.sig")?;
/// assert_eq!(value, "Bearer eyJ0eXAi.e30.sig");
/// assert!(value.is_sensitive());
/// assert!(acs_auth::bearer_header_value("token\n").is_err());
/// # Ok::<(), acs_auth::InvalidTokenError>(())
/// ```
pub fn bearer_header_value(token: &str) -> Result<HeaderValue, InvalidTokenError> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(InvalidTokenError);
    }
    let mut value =
        HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| InvalidTokenError)?;
    value.set_sensitive(true);
    Ok(value)
}

/// A bearer token that cannot go in an HTTP header. Never contains the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the bearer token is empty or contains characters other than visible ASCII")]
#[non_exhaustive]
pub struct InvalidTokenError;
