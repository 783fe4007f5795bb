//! Phone numbers.

use super::{identified_by_raw_id, prefix};

/// A phone number; its rawId is `4:<number>`.
///
/// Two properties are read from the rawId (the rules of the official SDKs):
/// - [`is_anonymous`](Self::is_anonymous): the rawId is exactly `4:anonymous`;
/// - [`asserted_id`](Self::asserted_id): the text after the last `_` of the number part of the rawId, when
///   there is an `_` and the text after it is not empty. An asserted id tells apart several call legs of the
///   same number.
///
/// ```
/// use acs_identity_types::PhoneNumberIdentifier;
///
/// let phone = PhoneNumberIdentifier::new("+14255550121_123");
/// assert_eq!(phone.raw_id(), "4:+14255550121_123");
/// assert_eq!(phone.asserted_id(), Some("123"));
/// assert!(!phone.is_anonymous());
///
/// // An explicit rawId wins, and the computed properties follow it.
/// let anonymous = PhoneNumberIdentifier::new("override").with_raw_id("4:anonymous");
/// assert!(anonymous.is_anonymous());
/// ```
#[derive(Debug, Clone)]
pub struct PhoneNumberIdentifier {
    phone_number: String,
    raw_id: String,
    is_anonymous: bool,
    asserted_id: Option<String>,
}

impl PhoneNumberIdentifier {
    /// The phone number, usually in E.164 form (`+14255550123`); taken as is, not checked.
    pub fn new(phone_number: impl Into<String>) -> Self {
        let phone_number = phone_number.into();
        let raw_id = format!("{}{phone_number}", prefix::PHONE);
        Self::from_parts(phone_number, raw_id)
    }

    /// The same phone number with another rawId; the anonymous flag and asserted id are recomputed from it.
    #[must_use]
    pub fn with_raw_id(self, raw_id: impl Into<String>) -> Self {
        Self::from_parts(self.phone_number, raw_id.into())
    }

    fn from_parts(phone_number: String, raw_id: String) -> Self {
        let is_anonymous = raw_id == "4:anonymous";
        let number = raw_id.strip_prefix(prefix::PHONE).unwrap_or(&raw_id);
        let asserted_id = number
            .rsplit_once('_')
            .map(|(_, asserted)| asserted)
            .filter(|asserted| !asserted.is_empty())
            .map(str::to_owned);
        Self {
            phone_number,
            raw_id,
            is_anonymous,
            asserted_id,
        }
    }

    /// Overrides the computed properties with the values a wire model carried, where it carried them.
    pub(super) fn with_wire_properties(
        mut self,
        is_anonymous: Option<bool>,
        asserted_id: Option<String>,
    ) -> Self {
        if let Some(is_anonymous) = is_anonymous {
            self.is_anonymous = is_anonymous;
        }
        if asserted_id.is_some() {
            self.asserted_id = asserted_id;
        }
        self
    }

    /// The phone number.
    pub fn phone_number(&self) -> &str {
        &self.phone_number
    }

    /// The rawId.
    pub fn raw_id(&self) -> &str {
        &self.raw_id
    }

    /// Whether this is an anonymous caller (rawId `4:anonymous`).
    pub fn is_anonymous(&self) -> bool {
        self.is_anonymous
    }

    /// The asserted id: the part after the last `_` of the rawId's number, if not empty.
    pub fn asserted_id(&self) -> Option<&str> {
        self.asserted_id.as_deref()
    }
}

identified_by_raw_id!(PhoneNumberIdentifier, PhoneNumber);
