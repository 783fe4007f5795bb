//! Microsoft Teams users.

use super::{CommunicationCloudEnvironment, identified_by_raw_id, prefix};

/// A Microsoft Teams user: `8:orgid:<id>` (public cloud), `8:dod:<id>`, `8:gcch:<id>`, or
/// `8:teamsvisitor:<id>` for an anonymous user.
///
/// ```
/// use acs_identity_types::{CommunicationCloudEnvironment, MicrosoftTeamsUserIdentifier};
///
/// let user = MicrosoftTeamsUserIdentifier::new("45ab2481", false, CommunicationCloudEnvironment::Gcch);
/// assert_eq!(user.raw_id(), "8:gcch:45ab2481");
/// let visitor = MicrosoftTeamsUserIdentifier::new("45ab2481", true, CommunicationCloudEnvironment::Public);
/// assert_eq!(visitor.raw_id(), "8:teamsvisitor:45ab2481");
/// ```
#[derive(Debug, Clone)]
pub struct MicrosoftTeamsUserIdentifier {
    user_id: String,
    is_anonymous: bool,
    cloud: CommunicationCloudEnvironment,
    raw_id: String,
}

impl MicrosoftTeamsUserIdentifier {
    /// A Teams user by Entra object id (or visitor id when anonymous). An anonymous user's rawId does not
    /// depend on the cloud.
    pub fn new(
        user_id: impl Into<String>,
        is_anonymous: bool,
        cloud: CommunicationCloudEnvironment,
    ) -> Self {
        let user_id = user_id.into();
        let prefix = if is_anonymous {
            prefix::TEAMS_USER_ANONYMOUS
        } else {
            match cloud {
                CommunicationCloudEnvironment::Public => prefix::TEAMS_USER_PUBLIC,
                CommunicationCloudEnvironment::Dod => prefix::TEAMS_USER_DOD,
                CommunicationCloudEnvironment::Gcch => prefix::TEAMS_USER_GCCH,
            }
        };
        let raw_id = format!("{prefix}{user_id}");
        Self {
            user_id,
            is_anonymous,
            cloud,
            raw_id,
        }
    }

    /// The same user with an explicit rawId (for example a legacy format); the rawId wins over the fields.
    #[must_use]
    pub fn with_raw_id(mut self, raw_id: impl Into<String>) -> Self {
        self.raw_id = raw_id.into();
        self
    }

    /// The user id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Whether this is an anonymous (visitor) user.
    pub fn is_anonymous(&self) -> bool {
        self.is_anonymous
    }

    /// The cloud the user belongs to.
    pub fn cloud(&self) -> CommunicationCloudEnvironment {
        self.cloud
    }

    /// The rawId.
    pub fn raw_id(&self) -> &str {
        &self.raw_id
    }
}

identified_by_raw_id!(MicrosoftTeamsUserIdentifier, MicrosoftTeamsUser);
