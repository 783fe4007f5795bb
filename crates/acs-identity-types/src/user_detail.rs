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
/// let detail = CommunicationUserDetail::new(CommunicationUserIdentifier::new("8:acs:resource_user"))
///     .custom_id("alice");
/// assert_eq!(detail.user.id(), "8:acs:resource_user");
/// assert_eq!(detail.custom_id.as_deref(), Some("alice"));
/// ```
///
/// `#[non_exhaustive]`: the service may describe users with more fields in a later api-version. Read the
/// fields; build one (for a test double) with [`new`](Self::new) and the builder methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommunicationUserDetail {
    /// The user.
    pub user: CommunicationUserIdentifier,
    /// The custom id the user was created with, if any.
    pub custom_id: Option<String>,
    /// When a token was last issued for the user, if ever.
    pub last_token_issued_at: Option<OffsetDateTime>,
}

impl CommunicationUserDetail {
    /// A user with no custom id and no token issued yet.
    pub fn new(user: CommunicationUserIdentifier) -> Self {
        Self {
            user,
            custom_id: None,
            last_token_issued_at: None,
        }
    }

    /// Sets [`custom_id`](Self::custom_id).
    #[must_use]
    pub fn custom_id(mut self, custom_id: impl Into<String>) -> Self {
        self.custom_id = Some(custom_id.into());
        self
    }

    /// Sets [`last_token_issued_at`](Self::last_token_issued_at).
    #[must_use]
    pub fn last_token_issued_at(mut self, at: OffsetDateTime) -> Self {
        self.last_token_issued_at = Some(at);
        self
    }
}
