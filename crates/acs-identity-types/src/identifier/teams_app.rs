//! Microsoft Teams applications.

use super::{CommunicationCloudEnvironment, identified_by_raw_id, prefix};

/// A Microsoft Teams application (bot): `28:orgid:<app id>` (public cloud), `28:dod:<app id>`,
/// `28:gcch:<app id>`.
///
/// ```
/// use acs_identity_types::{CommunicationCloudEnvironment, MicrosoftTeamsAppIdentifier};
///
/// let app = MicrosoftTeamsAppIdentifier::new("01234567", CommunicationCloudEnvironment::Dod);
/// assert_eq!(app.raw_id(), "28:dod:01234567");
/// ```
#[derive(Debug, Clone)]
pub struct MicrosoftTeamsAppIdentifier {
    app_id: String,
    cloud: CommunicationCloudEnvironment,
    raw_id: String,
}

impl MicrosoftTeamsAppIdentifier {
    /// A Teams app by its app id.
    pub fn new(app_id: impl Into<String>, cloud: CommunicationCloudEnvironment) -> Self {
        let app_id = app_id.into();
        let prefix = match cloud {
            CommunicationCloudEnvironment::Public => prefix::TEAMS_APP_PUBLIC,
            CommunicationCloudEnvironment::Dod => prefix::TEAMS_APP_DOD,
            CommunicationCloudEnvironment::Gcch => prefix::TEAMS_APP_GCCH,
        };
        let raw_id = format!("{prefix}{app_id}");
        Self {
            app_id,
            cloud,
            raw_id,
        }
    }

    /// The same app with an explicit rawId; the rawId wins over the fields.
    #[must_use]
    pub fn with_raw_id(mut self, raw_id: impl Into<String>) -> Self {
        self.raw_id = raw_id.into();
        self
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The cloud the app belongs to.
    pub fn cloud(&self) -> CommunicationCloudEnvironment {
        self.cloud
    }

    /// The rawId.
    pub fn raw_id(&self) -> &str {
        &self.raw_id
    }
}

identified_by_raw_id!(MicrosoftTeamsAppIdentifier, MicrosoftTeamsApp);
