//! How long an issued token stays valid.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// The validity period asked for a new token (`expiresInMinutes`): a whole number of minutes from 60 to 1440
/// (1 to 24 hours). The default is the service's default, 24 hours.
///
/// A [`Duration`] that is not a whole number of minutes is **rejected** with
/// [`TokenLifetimeError::NotWholeMinutes`], never rounded or truncated: the official .NET SDK rounds
/// (`59.5` minutes becomes 60) and the Python SDK truncates (`60.9` becomes 60), so the same input yields different
/// tokens there; here it is an error you see before any request is made.
///
/// ```
/// use std::time::Duration;
/// use acs_identity_types::{TokenLifetime, TokenLifetimeError};
///
/// let lifetime = TokenLifetime::try_from(Duration::from_secs(2 * 3600))?;
/// assert_eq!(lifetime.as_minutes(), 120);
/// assert_eq!(TokenLifetime::default(), TokenLifetime::MAX);
/// assert!(matches!(TokenLifetime::from_minutes(59), Err(TokenLifetimeError::OutOfRange { minutes: 59 })));
/// assert!(matches!(
///     TokenLifetime::try_from(Duration::from_secs(3600 + 30)),
///     Err(TokenLifetimeError::NotWholeMinutes { .. })
/// ));
/// # Ok::<(), TokenLifetimeError>(())
/// ```
///
/// Serde reads and writes the number of minutes, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenLifetime {
    minutes: u16,
}

const MIN_MINUTES: u16 = 60;
const MAX_MINUTES: u16 = 1440;

impl TokenLifetime {
    /// The shortest lifetime: 60 minutes.
    pub const MIN: Self = Self {
        minutes: MIN_MINUTES,
    };
    /// The longest lifetime and the service's default: 1440 minutes (24 hours).
    pub const MAX: Self = Self {
        minutes: MAX_MINUTES,
    };

    /// A lifetime of `minutes`, which must be in `60..=1440`.
    pub fn from_minutes(minutes: u32) -> Result<Self, TokenLifetimeError> {
        Self::checked(u64::from(minutes))
    }

    fn checked(minutes: u64) -> Result<Self, TokenLifetimeError> {
        u16::try_from(minutes)
            .ok()
            .filter(|minutes| (MIN_MINUTES..=MAX_MINUTES).contains(minutes))
            .map(|minutes| Self { minutes })
            .ok_or(TokenLifetimeError::OutOfRange { minutes })
    }

    /// The lifetime in minutes, the value sent as `expiresInMinutes`.
    pub const fn as_minutes(self) -> u16 {
        self.minutes
    }

    /// The lifetime as a [`Duration`].
    pub const fn as_duration(self) -> Duration {
        Duration::from_secs(self.minutes as u64 * 60)
    }
}

impl Default for TokenLifetime {
    fn default() -> Self {
        Self::MAX
    }
}

impl TryFrom<Duration> for TokenLifetime {
    type Error = TokenLifetimeError;

    /// Rejects a duration with a sub-minute part (see the type's documentation), then checks the range.
    fn try_from(duration: Duration) -> Result<Self, Self::Error> {
        if duration.subsec_nanos() != 0 || !duration.as_secs().is_multiple_of(60) {
            return Err(TokenLifetimeError::NotWholeMinutes { duration });
        }
        Self::checked(duration.as_secs() / 60)
    }
}

impl fmt::Display for TokenLifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} minutes", self.minutes)
    }
}

impl Serialize for TokenLifetime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.minutes)
    }
}

impl<'de> Deserialize<'de> for TokenLifetime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let minutes = u64::deserialize(deserializer)?;
        Self::checked(minutes).map_err(serde::de::Error::custom)
    }
}

/// A token lifetime outside what the service accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TokenLifetimeError {
    /// Fewer than 60 or more than 1440 minutes.
    #[error(
        "a token lifetime must be from 60 to 1440 minutes (1 to 24 hours), got {minutes} minutes"
    )]
    OutOfRange {
        /// The number of minutes that was asked for.
        minutes: u64,
    },
    /// A duration with a sub-minute part; it is rejected rather than rounded.
    #[error(
        "a token lifetime must be a whole number of minutes from 60 to 1440 (1 to 24 hours), got {duration:?}, \
         which is not a whole number of minutes"
    )]
    NotWholeMinutes {
        /// The duration that was given.
        duration: Duration,
    },
}
