//! The Azure cloud an identifier lives in.

use std::fmt;
use std::str::FromStr;

use super::IdentifierError;

/// The cloud environment of a Microsoft Teams user or app, or of a Teams extension user.
///
/// Prints and parses as the wire values `public`, `dod` and `gcch` (parsing ignores ASCII case).
///
/// ```
/// use acs_identity_types::CommunicationCloudEnvironment;
///
/// let cloud: CommunicationCloudEnvironment = "gcch".parse()?;
/// assert_eq!(cloud, CommunicationCloudEnvironment::Gcch);
/// assert_eq!(cloud.to_string(), "gcch");
/// assert_eq!(CommunicationCloudEnvironment::default(), CommunicationCloudEnvironment::Public);
/// # Ok::<(), acs_identity_types::IdentifierError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CommunicationCloudEnvironment {
    /// The public Azure cloud.
    #[default]
    Public,
    /// The US Department of Defense cloud.
    Dod,
    /// The US Government Community Cloud High.
    Gcch,
}

impl CommunicationCloudEnvironment {
    /// The wire value: `public`, `dod` or `gcch`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Dod => "dod",
            Self::Gcch => "gcch",
        }
    }
}

impl fmt::Display for CommunicationCloudEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CommunicationCloudEnvironment {
    type Err = IdentifierError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Public, Self::Dod, Self::Gcch]
            .into_iter()
            .find(|cloud| cloud.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| IdentifierError::UnknownCloud {
                value: s.to_owned(),
            })
    }
}
