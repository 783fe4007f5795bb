//! Your own id for a communication user.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Your own id for a communication user (`customId`, api-version `2025-03-02-preview`): creating a user with a
/// custom id that already exists returns the same user, so it maps your users to communication users.
///
/// Rules, checked here so that a bad id fails before any request:
/// - 1 to 256 characters, counted as Unicode scalar values (`char`s), not bytes;
/// - not only whitespace: the service accepts any non-empty string, but a blank id is almost certainly an unset
///   field, and all such users would silently share one identity;
/// - otherwise kept exactly as given (no trimming, no case folding).
///
/// The service may count UTF-16 code units; an id with characters outside the Basic Multilingual Plane (emoji)
/// near the 256 limit may pass here and be refused there.
///
/// ```
/// use acs_identity_types::{CustomId, CustomIdError};
///
/// let id = CustomId::new("alice@contoso.com")?;
/// assert_eq!(id.as_str(), "alice@contoso.com");
/// assert!(CustomId::new("é".repeat(256)).is_ok()); // 512 bytes, 256 characters
/// assert_eq!(CustomId::new("x".repeat(257)), Err(CustomIdError::TooLong { chars: 257 }));
/// assert_eq!(CustomId::new(""), Err(CustomIdError::Empty));
/// assert_eq!(CustomId::new(" \t"), Err(CustomIdError::Blank));
/// # Ok::<(), CustomIdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomId(String);

impl CustomId {
    /// The most characters a custom id may have.
    pub const MAX_CHARS: usize = 256;

    /// Validates a custom id (see the type's rules).
    pub fn new(id: impl Into<String>) -> Result<Self, CustomIdError> {
        let id = id.into();
        if id.is_empty() {
            return Err(CustomIdError::Empty);
        }
        if id.trim().is_empty() {
            return Err(CustomIdError::Blank);
        }
        let chars = id.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(CustomIdError::TooLong { chars });
        }
        Ok(Self(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id, consuming `self`.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CustomId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for CustomId {
    type Err = CustomIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for CustomId {
    type Error = CustomIdError;

    fn try_from(id: String) -> Result<Self, Self::Error> {
        Self::new(id)
    }
}

impl Serialize for CustomId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CustomId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::new(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// A custom id the service would refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CustomIdError {
    /// The empty string.
    #[error("a custom id must not be empty (1 to 256 characters)")]
    Empty,
    /// Only whitespace.
    #[error("a custom id must not be only whitespace")]
    Blank,
    /// More than 256 characters.
    #[error("a custom id must be at most 256 characters, got {chars}")]
    TooLong {
        /// How many characters it had.
        chars: usize,
    },
}
