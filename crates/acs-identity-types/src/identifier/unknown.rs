//! Identifiers of a kind this crate does not know.

use super::identified_by_raw_id;

/// An identifier of an unrecognised kind, kept verbatim so that it round-trips.
///
/// ```
/// use acs_identity_types::UnknownIdentifier;
///
/// let id = UnknownIdentifier::new("48:45ab2481-1c1c-4005-be24-0ffb879b1130");
/// assert_eq!(id.raw_id(), "48:45ab2481-1c1c-4005-be24-0ffb879b1130");
/// ```
#[derive(Debug, Clone)]
pub struct UnknownIdentifier {
    id: String,
}

impl UnknownIdentifier {
    /// The identifier with this rawId.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// The id, which is the rawId.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The rawId.
    pub fn raw_id(&self) -> &str {
        &self.id
    }
}

identified_by_raw_id!(UnknownIdentifier, Unknown);
