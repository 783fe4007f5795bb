//! Token scopes.

use std::convert::Infallible;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What an access token for a communication user may do.
///
/// The service's list is extensible, so any string parses: the five known scopes become their named values
/// and anything else is kept, exactly, in [`Other`](Self::Other). Equality, hashing, `Display` and serde all go
/// through [`as_str`](Self::as_str), so `Other("chat".into())` equals [`Chat`](Self::Chat).
/// Matching is case-sensitive, like the service.
///
/// ```
/// use acs_identity_types::TokenScope;
///
/// let scopes: Vec<TokenScope> = serde_json::from_str(r#"["chat","voip.join","future.scope"]"#)?;
/// assert_eq!(scopes, [TokenScope::Chat, TokenScope::VoipJoin, TokenScope::Other("future.scope".into())]);
/// assert_eq!(serde_json::to_string(&scopes)?, r#"["chat","voip.join","future.scope"]"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TokenScope {
    /// `chat`: full access to the Chat APIs.
    Chat,
    /// `voip`: full access to the Calling APIs.
    Voip,
    /// `chat.join`: Chat without creating, deleting or updating chat threads.
    ChatJoin,
    /// `chat.join.limited`: like `chat.join`, without adding or removing participants.
    ChatJoinLimited,
    /// `voip.join`: Calling, but without starting new calls.
    VoipJoin,
    /// A scope this crate does not know, kept as sent.
    Other(String),
}

impl TokenScope {
    /// The scopes this crate knows by name.
    pub const KNOWN: [TokenScope; 5] = [
        Self::Chat,
        Self::Voip,
        Self::ChatJoin,
        Self::ChatJoinLimited,
        Self::VoipJoin,
    ];

    /// The api-version feature this scope needs beyond issuing a token: [`Feature::JoinScopes`](crate::Feature::JoinScopes) for
    /// `chat.join`, `chat.join.limited` and `voip.join` (from `2023-10-01`), none for the others. Unknown
    /// scopes need nothing here: the service decides.
    ///
    /// ```
    /// use acs_identity_types::{ApiVersion, Feature, TokenScope};
    ///
    /// assert_eq!(TokenScope::ChatJoin.required_feature(), Some(Feature::JoinScopes));
    /// assert!(!ApiVersion::V2022_10_01.supports(Feature::JoinScopes));
    /// assert_eq!(TokenScope::Chat.required_feature(), None);
    /// ```
    pub fn required_feature(&self) -> Option<crate::Feature> {
        match self {
            Self::ChatJoin | Self::ChatJoinLimited | Self::VoipJoin => {
                Some(crate::Feature::JoinScopes)
            }
            Self::Chat | Self::Voip => None,
            Self::Other(scope) => Self::known(scope).and_then(|known| known.required_feature()),
        }
    }

    /// The wire value, e.g. `chat.join`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Chat => "chat",
            Self::Voip => "voip",
            Self::ChatJoin => "chat.join",
            Self::ChatJoinLimited => "chat.join.limited",
            Self::VoipJoin => "voip.join",
            Self::Other(scope) => scope,
        }
    }

    fn known(s: &str) -> Option<Self> {
        Self::KNOWN.into_iter().find(|known| known.as_str() == s)
    }
}

impl FromStr for TokenScope {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(s))
    }
}

impl From<&str> for TokenScope {
    fn from(s: &str) -> Self {
        Self::known(s).unwrap_or_else(|| Self::Other(s.to_owned()))
    }
}

impl From<String> for TokenScope {
    fn from(s: String) -> Self {
        Self::known(&s).unwrap_or(Self::Other(s))
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for TokenScope {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for TokenScope {}

impl Hash for TokenScope {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Serialize for TokenScope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TokenScope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}
