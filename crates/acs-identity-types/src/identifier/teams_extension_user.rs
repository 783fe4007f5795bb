//! Teams Phone users extended with a Communication Services resource.

use super::{CommunicationCloudEnvironment, identified_by_raw_id, prefix};

/// A Teams Phone user who uses a Communication Services resource to extend their Teams Phone set-up:
/// `8:acs:<resource id>_<tenant id>_<user id>` (public cloud), `8:dod-acs:...`, `8:gcch-acs:...`.
///
/// ```
/// use acs_identity_types::{CommunicationCloudEnvironment, TeamsExtensionUserIdentifier};
///
/// let user = TeamsExtensionUserIdentifier::new("user", "tenant", "resource", CommunicationCloudEnvironment::Public);
/// assert_eq!(user.raw_id(), "8:acs:resource_tenant_user");
/// ```
#[derive(Debug, Clone)]
pub struct TeamsExtensionUserIdentifier {
    user_id: String,
    tenant_id: String,
    resource_id: String,
    cloud: CommunicationCloudEnvironment,
    raw_id: String,
}

impl TeamsExtensionUserIdentifier {
    /// The user `user_id` (Entra object id) of tenant `tenant_id`, extended with resource `resource_id`.
    pub fn new(
        user_id: impl Into<String>,
        tenant_id: impl Into<String>,
        resource_id: impl Into<String>,
        cloud: CommunicationCloudEnvironment,
    ) -> Self {
        let (user_id, tenant_id, resource_id) =
            (user_id.into(), tenant_id.into(), resource_id.into());
        let prefix = match cloud {
            CommunicationCloudEnvironment::Public => prefix::ACS_USER_PUBLIC,
            CommunicationCloudEnvironment::Dod => prefix::ACS_USER_DOD,
            CommunicationCloudEnvironment::Gcch => prefix::ACS_USER_GCCH,
        };
        let raw_id = format!("{prefix}{resource_id}_{tenant_id}_{user_id}");
        Self {
            user_id,
            tenant_id,
            resource_id,
            cloud,
            raw_id,
        }
    }

    /// The same user with an explicit rawId; the rawId wins over the fields.
    #[must_use]
    pub fn with_raw_id(mut self, raw_id: impl Into<String>) -> Self {
        self.raw_id = raw_id.into();
        self
    }

    /// The user's Entra object id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The user's tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The Communication Services resource id.
    pub fn resource_id(&self) -> &str {
        &self.resource_id
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

identified_by_raw_id!(TeamsExtensionUserIdentifier, TeamsExtensionUser);
