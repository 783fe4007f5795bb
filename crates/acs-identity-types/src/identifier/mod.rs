//! Communication identifiers and their canonical string form, the rawId.

mod cloud;
mod communication_user;
mod error;
mod model;
mod phone_number;
mod teams_app;
mod teams_extension_user;
mod teams_user;
mod unknown;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

pub use cloud::CommunicationCloudEnvironment;
pub use communication_user::CommunicationUserIdentifier;
pub use error::IdentifierError;
pub use model::CommunicationIdentifierModel;
pub use phone_number::PhoneNumberIdentifier;
pub use teams_app::MicrosoftTeamsAppIdentifier;
pub use teams_extension_user::TeamsExtensionUserIdentifier;
pub use teams_user::MicrosoftTeamsUserIdentifier;
pub use unknown::UnknownIdentifier;

/// The rawId prefixes, as the official SDKs spell them.
mod prefix {
    pub(super) const PHONE: &str = "4:";
    pub(super) const TEAMS_USER_ANONYMOUS: &str = "8:teamsvisitor:";
    pub(super) const TEAMS_USER_PUBLIC: &str = "8:orgid:";
    pub(super) const TEAMS_USER_DOD: &str = "8:dod:";
    pub(super) const TEAMS_USER_GCCH: &str = "8:gcch:";
    pub(super) const ACS_USER_PUBLIC: &str = "8:acs:";
    pub(super) const ACS_USER_DOD: &str = "8:dod-acs:";
    pub(super) const ACS_USER_GCCH: &str = "8:gcch-acs:";
    pub(super) const TEAMS_APP_PUBLIC: &str = "28:orgid:";
    pub(super) const TEAMS_APP_DOD: &str = "28:dod:";
    pub(super) const TEAMS_APP_GCCH: &str = "28:gcch:";
}

/// Equality and hashing by rawId, `Display` as the rawId, and the conversion into [`CommunicationIdentifier`].
macro_rules! identified_by_raw_id {
    ($ty:ident, $variant:ident) => {
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.raw_id() == other.raw_id()
            }
        }

        impl Eq for $ty {}

        impl std::hash::Hash for $ty {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.raw_id().hash(state);
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.raw_id())
            }
        }

        impl From<$ty> for crate::CommunicationIdentifier {
            fn from(identifier: $ty) -> Self {
                Self::$variant(identifier)
            }
        }
    };
}
use identified_by_raw_id;

/// What kind of participant an identifier names; [`as_str`](Self::as_str) is the wire `kind` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentifierKind {
    /// A user created by an Azure Communication Services resource.
    CommunicationUser,
    /// A phone number.
    PhoneNumber,
    /// A Microsoft Teams user.
    MicrosoftTeamsUser,
    /// A Microsoft Teams application.
    MicrosoftTeamsApp,
    /// A Teams Phone user extended with a Communication Services resource.
    TeamsExtensionUser,
    /// Any other identifier.
    Unknown,
}

impl IdentifierKind {
    /// The wire `kind` value, e.g. `communicationUser`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CommunicationUser => "communicationUser",
            Self::PhoneNumber => "phoneNumber",
            Self::MicrosoftTeamsUser => "microsoftTeamsUser",
            Self::MicrosoftTeamsApp => "microsoftTeamsApp",
            Self::TeamsExtensionUser => "teamsExtensionUser",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A participant in Azure Communication Services, identified by its rawId.
///
/// [`from_raw_id`](Self::from_raw_id) recognises every rawId format the official SDKs know and keeps any other
/// string as [`Unknown`](Self::Unknown): parsing never fails and always prints back the exact same rawId.
/// Two identifiers are equal when they are the same kind with the same rawId; the hash is the rawId's.
///
/// ```
/// use acs_identity_types::{CommunicationCloudEnvironment, CommunicationIdentifier, IdentifierKind};
///
/// let id = CommunicationIdentifier::from_raw_id("8:dod:45ab2481-1c1c-4005-be24-0ffb879b1130");
/// let CommunicationIdentifier::MicrosoftTeamsUser(user) = &id else { panic!("a Teams user") };
/// assert_eq!(user.user_id(), "45ab2481-1c1c-4005-be24-0ffb879b1130");
/// assert_eq!(user.cloud(), CommunicationCloudEnvironment::Dod);
/// assert_eq!(id.kind(), IdentifierKind::MicrosoftTeamsUser);
/// assert_eq!(id.to_string(), "8:dod:45ab2481-1c1c-4005-be24-0ffb879b1130");
///
/// // `parse` is the same, except that it rejects an empty or blank rawId.
/// assert!("  ".parse::<CommunicationIdentifier>().is_err());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CommunicationIdentifier {
    /// A user created by an Azure Communication Services resource (`8:acs:`, `8:spool:`, ...).
    CommunicationUser(CommunicationUserIdentifier),
    /// A phone number (`4:`).
    PhoneNumber(PhoneNumberIdentifier),
    /// A Microsoft Teams user (`8:orgid:`, `8:dod:`, `8:gcch:`, `8:teamsvisitor:`).
    MicrosoftTeamsUser(MicrosoftTeamsUserIdentifier),
    /// A Microsoft Teams application (`28:orgid:`, `28:dod:`, `28:gcch:`).
    MicrosoftTeamsApp(MicrosoftTeamsAppIdentifier),
    /// A Teams Phone user extended with a Communication Services resource
    /// (`8:acs:<resource>_<tenant>_<user>` and its dod/gcch forms).
    TeamsExtensionUser(TeamsExtensionUserIdentifier),
    /// Any other rawId, kept verbatim.
    Unknown(UnknownIdentifier),
}

impl CommunicationIdentifier {
    /// Restores the identifier a rawId encodes. Never fails: an unrecognised rawId becomes
    /// [`Unknown`](Self::Unknown), and the result's [`raw_id`](Self::raw_id) is always `raw_id` itself.
    ///
    /// The rules, those of the .NET, JS, Java and iOS SDKs:
    /// - `4:<number>` is a phone number (whatever follows, colons included);
    /// - any other rawId must have exactly three `:`-separated segments, or it is unknown;
    /// - `8:orgid:`, `8:dod:`, `8:gcch:` are Teams users of the public, DoD and GCCH clouds, and
    ///   `8:teamsvisitor:` an anonymous Teams user (public cloud);
    /// - `28:orgid:`, `28:dod:`, `28:gcch:` are Teams apps;
    /// - `8:acs:`, `8:dod-acs:`, `8:gcch-acs:` followed by exactly three `_`-separated parts
    ///   (`<resource>_<tenant>_<user>`) are Teams extension users; otherwise these prefixes and `8:spool:` are
    ///   communication users;
    /// - anything else is unknown.
    ///
    /// The Python SDK splits at the first two colons only, so it reads for example `8:acs:a:b` as a
    /// communication user; we follow the majority and keep it unknown.
    pub fn from_raw_id(raw_id: &str) -> Self {
        use CommunicationCloudEnvironment::{Dod, Gcch, Public};

        if let Some(number) = raw_id.strip_prefix(prefix::PHONE) {
            return PhoneNumberIdentifier::new(number)
                .with_raw_id(raw_id)
                .into();
        }
        let mut segments = raw_id.split(':');
        let (Some(first), Some(second), Some(suffix), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return UnknownIdentifier::new(raw_id).into();
        };
        let teams_user =
            |anonymous, cloud| MicrosoftTeamsUserIdentifier::new(suffix, anonymous, cloud).into();
        let teams_app = |cloud| MicrosoftTeamsAppIdentifier::new(suffix, cloud).into();
        let acs_user = |cloud| match split_three(suffix) {
            Some((resource, tenant, user)) => {
                TeamsExtensionUserIdentifier::new(user, tenant, resource, cloud).into()
            }
            None => CommunicationUserIdentifier::new(raw_id).into(),
        };
        match (first, second) {
            ("8", "teamsvisitor") => teams_user(true, Public),
            ("8", "orgid") => teams_user(false, Public),
            ("8", "dod") => teams_user(false, Dod),
            ("8", "gcch") => teams_user(false, Gcch),
            ("8", "acs") => acs_user(Public),
            ("8", "dod-acs") => acs_user(Dod),
            ("8", "gcch-acs") => acs_user(Gcch),
            ("8", "spool") => CommunicationUserIdentifier::new(raw_id).into(),
            ("28", "orgid") => teams_app(Public),
            ("28", "dod") => teams_app(Dod),
            ("28", "gcch") => teams_app(Gcch),
            _ => UnknownIdentifier::new(raw_id).into(),
        }
    }

    /// The canonical string form of this identifier, suitable as a database key.
    pub fn raw_id(&self) -> &str {
        match self {
            Self::CommunicationUser(id) => id.raw_id(),
            Self::PhoneNumber(id) => id.raw_id(),
            Self::MicrosoftTeamsUser(id) => id.raw_id(),
            Self::MicrosoftTeamsApp(id) => id.raw_id(),
            Self::TeamsExtensionUser(id) => id.raw_id(),
            Self::Unknown(id) => id.raw_id(),
        }
    }

    /// Which kind of identifier this is.
    pub fn kind(&self) -> IdentifierKind {
        match self {
            Self::CommunicationUser(_) => IdentifierKind::CommunicationUser,
            Self::PhoneNumber(_) => IdentifierKind::PhoneNumber,
            Self::MicrosoftTeamsUser(_) => IdentifierKind::MicrosoftTeamsUser,
            Self::MicrosoftTeamsApp(_) => IdentifierKind::MicrosoftTeamsApp,
            Self::TeamsExtensionUser(_) => IdentifierKind::TeamsExtensionUser,
            Self::Unknown(_) => IdentifierKind::Unknown,
        }
    }
}

/// Splits `a_b_c` into exactly three parts.
fn split_three(suffix: &str) -> Option<(&str, &str, &str)> {
    let mut parts = suffix.split('_');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(c), None) => Some((a, b, c)),
        _ => None,
    }
}

impl PartialEq for CommunicationIdentifier {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.raw_id() == other.raw_id()
    }
}

impl Eq for CommunicationIdentifier {}

impl Hash for CommunicationIdentifier {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw_id().hash(state);
    }
}

impl fmt::Display for CommunicationIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw_id())
    }
}

/// Like [`CommunicationIdentifier::from_raw_id`], but an empty or whitespace-only rawId is an error
/// ([`IdentifierError::EmptyRawId`]), as in the .NET and Java SDKs.
impl FromStr for CommunicationIdentifier {
    type Err = IdentifierError;

    fn from_str(raw_id: &str) -> Result<Self, Self::Err> {
        if raw_id.trim().is_empty() {
            return Err(IdentifierError::EmptyRawId);
        }
        Ok(Self::from_raw_id(raw_id))
    }
}
