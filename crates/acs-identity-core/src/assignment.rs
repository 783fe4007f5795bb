//! What the Teams extension and Entra assignment operations share.

/// The result of a create-or-replace (`PUT`): the assignment as stored, and which of the two
/// happened (`201 Created` or `200 OK`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Upserted<A> {
    /// The assignment as the service stored it.
    pub assignment: A,
    /// `true` if the assignment was new (201), `false` if it replaced one (200).
    pub created: bool,
}

impl<A> Upserted<A> {
    pub(crate) fn new(assignment: A, status: http::StatusCode) -> Self {
        Self {
            assignment,
            created: status == http::StatusCode::CREATED,
        }
    }
}

/// Declares a string enum of the service that may grow: known values as variants, anything else
/// kept verbatim in `Other`.
macro_rules! extensible_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$variant_meta:meta])* $variant:ident => $value:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
            /// A value this version does not know, kept as the service sent it.
            Other(String),
        }

        impl $name {
            /// The value on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Other(value) => value,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($value => Self::$variant,)+
                    _ => Self::Other(value),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use extensible_enum;
