//! Users created by a Communication Services resource.

use super::identified_by_raw_id;

/// A user created by an Azure Communication Services resource; its id is its rawId
/// (`8:acs:<resource>_<user>`, `8:spool:...`, `8:dod-acs:...`, `8:gcch-acs:...`).
///
/// ```
/// use acs_identity_types::CommunicationUserIdentifier;
///
/// let user = CommunicationUserIdentifier::new("8:acs:resource_user");
/// assert_eq!(user.id(), "8:acs:resource_user");
/// assert_eq!(user.raw_id(), user.id());
/// ```
#[derive(Debug, Clone)]
pub struct CommunicationUserIdentifier {
    id: String,
}

impl CommunicationUserIdentifier {
    /// The user with this id (taken as is, not checked).
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// The user's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The rawId, which for a communication user is its id.
    pub fn raw_id(&self) -> &str {
        &self.id
    }
}

identified_by_raw_id!(CommunicationUserIdentifier, CommunicationUser);
