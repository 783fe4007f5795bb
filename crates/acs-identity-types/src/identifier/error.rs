//! Why an identifier could not be built.

use thiserror::Error;

/// An identifier that could not be parsed or decoded from its wire model.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// The rawId was empty or only whitespace.
    #[error("a rawId must not be empty or blank")]
    EmptyRawId,
    /// A wire model carried more than one nested identifier object.
    #[error("only one of the properties {present:?} may be present in an identifier model")]
    MultipleNestedModels {
        /// The nested properties that were present, by wire name.
        present: Vec<&'static str>,
    },
    /// A nested identifier object lacked a required property.
    #[error("property `{property}` is required for an identifier of kind `{kind}`")]
    MissingProperty {
        /// The wire kind of the nested object, e.g. `phoneNumber`.
        kind: &'static str,
        /// The missing property, e.g. `value`.
        property: &'static str,
    },
    /// A wire model had no `rawId` and nothing to compute it from.
    #[error(
        "property `rawId` is required for an identifier model without a known nested identifier"
    )]
    MissingRawId,
    /// A cloud value other than `public`, `dod` or `gcch`.
    #[error("unknown cloud environment `{value}` (expected `public`, `dod` or `gcch`)")]
    UnknownCloud {
        /// The value that was given.
        value: String,
    },
}
