//! What the service knows about a communication user.

use time::OffsetDateTime;

use crate::CommunicationUserIdentifier;

/// A communication user as the service describes it (get user, api-version `2025-03-02-preview`).
///
/// `custom_id` is what the service returned, not re-validated as a [`CustomId`](crate::CustomId).
///
/// ```
/// use acs_identity_types::{CommunicationUserDetail, CommunicationUserIdentifier};
///
/// let detail = CommunicationUserDetail {
///     user: CommunicationUserIdentifier::new("8:acs:resource_user"),
///     custom_id: Some("alice".to_owned()),
///     last_token_issued_at: None,
/// };
/// assert_eq!(detail.user.id(), "8:acs:resource_user");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunicationUserDetail {
    /// The user.
    pub user: CommunicationUserIdentifier,
    /// The custom id the user was created with, if any.
    pub custom_id: Option<String>,
    /// When a token was last issued for the user, if ever.
    pub last_token_issued_at: Option<OffsetDateTime>,
}
