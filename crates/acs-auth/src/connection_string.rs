//! `endpoint=...;accesskey=...` connection strings.

use std::fmt;
use std::str::FromStr;

use crate::{AccessKey, AccessKeyError, Endpoint, EndpointError};

const ENDPOINT: &str = "endpoint";
const ACCESS_KEY: &str = "accesskey";

/// An ACS connection string: the resource's [`Endpoint`] and its [`AccessKey`].
///
/// Parsing rules:
/// - `name=value` pairs separated by `;`, in any order, with an optional trailing `;`;
/// - names are case-insensitive (`Endpoint`, `AccessKey`, `ENDPOINT` all work); whitespace around names and
///   values is ignored; a value runs to the next `;` and may itself contain `=` (base64 padding does);
/// - `endpoint` and `accesskey` are both required and may appear only once: a repeated one is an error
///   rather than a silent "last one wins";
/// - other names are ignored, as the official SDKs ignore them, so a string with extra fields still works;
/// - the endpoint follows the rules of [`Endpoint::parse`], and the key is base64-decoded here, once.
///
/// The key never shows: `Debug` and `Display` print it as `[redacted]` and no error contains it. Use
/// [`ConnectionString::to_secret_string`] when the full string is really wanted.
///
/// ```
/// use acs_auth::ConnectionString;
///
/// let cs: ConnectionString = "Endpoint=https://contoso.communication.azure.com/;AccessKey=pw==;".parse()?;
/// assert_eq!(cs.endpoint().as_str(), "https://contoso.communication.azure.com");
/// assert_eq!(
///     cs.to_string(),
///     "endpoint=https://contoso.communication.azure.com/;accesskey=[redacted]"
/// );
/// # Ok::<(), acs_auth::ConnectionStringError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    endpoint: Endpoint,
    access_key: AccessKey,
}

impl ConnectionString {
    /// Assembles a connection string from its parts.
    pub fn new(endpoint: Endpoint, access_key: AccessKey) -> Self {
        Self {
            endpoint,
            access_key,
        }
    }

    /// Parses a connection string (see the rules on [`ConnectionString`]).
    pub fn parse(input: &str) -> Result<Self, ConnectionStringError> {
        let mut endpoint = None;
        let mut access_key = None;
        for (index, segment) in input.split(';').enumerate() {
            let segment = segment.trim();
            if segment.is_empty() {
                continue;
            }
            let Some((name, value)) = segment.split_once('=') else {
                return Err(ConnectionStringError::MalformedSegment { index });
            };
            let (field, slot) = match name.trim() {
                n if n.eq_ignore_ascii_case(ENDPOINT) => (ENDPOINT, &mut endpoint),
                n if n.eq_ignore_ascii_case(ACCESS_KEY) => (ACCESS_KEY, &mut access_key),
                _ => continue,
            };
            if slot.is_some() {
                return Err(ConnectionStringError::DuplicateField(field));
            }
            let value = value.trim();
            if value.is_empty() {
                return Err(ConnectionStringError::EmptyValue(field));
            }
            *slot = Some(value);
        }
        let endpoint = endpoint.ok_or(ConnectionStringError::MissingField(ENDPOINT))?;
        let access_key = access_key.ok_or(ConnectionStringError::MissingField(ACCESS_KEY))?;
        Ok(Self {
            endpoint: Endpoint::parse(endpoint).map_err(ConnectionStringError::InvalidEndpoint)?,
            access_key: AccessKey::from_base64(access_key)
                .map_err(ConnectionStringError::InvalidAccessKey)?,
        })
    }

    /// The resource's endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The resource's access key.
    pub fn access_key(&self) -> &AccessKey {
        &self.access_key
    }

    /// The whole connection string, `endpoint=<origin>/;accesskey=<base64>`, in the portal's form.
    ///
    /// **It contains the secret key.** Use it only to hand the string to someone who must have it; never log
    /// it. `Display` prints the same string with the key redacted.
    pub fn to_secret_string(&self) -> String {
        format!(
            "{ENDPOINT}={}/;{ACCESS_KEY}={}",
            self.endpoint,
            self.access_key.to_base64()
        )
    }
}

impl fmt::Display for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ENDPOINT}={}/;{ACCESS_KEY}=[redacted]", self.endpoint)
    }
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionString")
            .field("endpoint", &self.endpoint)
            .field("access_key", &self.access_key)
            .finish()
    }
}

impl FromStr for ConnectionString {
    type Err = ConnectionStringError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Why a connection string was rejected. Names the field at fault and never contains any value from the
/// input, since a value out of place may be the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionStringError {
    /// A required field (`"endpoint"` or `"accesskey"`) is absent.
    #[error(
        "the connection string has no `{0}`; expected \
         `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>`"
    )]
    MissingField(&'static str),
    /// A field appears more than once.
    #[error("the connection string has `{0}` more than once")]
    DuplicateField(&'static str),
    /// A field is present with nothing after `=`.
    #[error("the connection string's `{0}` is empty")]
    EmptyValue(&'static str),
    /// A `;`-separated part (counted from 0) has no `=`.
    #[error(
        "the connection string is not `name=value` pairs separated by `;` (part {} has no `=`); expected \
         `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>`, as copied from the \
         Azure portal (Communication Services resource > Settings > Keys)",
        index + 1
    )]
    MalformedSegment {
        /// Position of the part among the `;`-separated parts, from 0.
        index: usize,
    },
    /// The `endpoint` is not a valid [`Endpoint`].
    #[error("the connection string's endpoint is invalid: {0}")]
    InvalidEndpoint(EndpointError),
    /// The `accesskey` could not be decoded.
    #[error("the connection string's access key is invalid: {0}")]
    InvalidAccessKey(AccessKeyError),
}
