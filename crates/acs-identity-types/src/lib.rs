#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Feature badges on docs.rs (nightly, `--cfg docsrs`); stable builds never see the attribute.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod access_token;
mod api_version;
mod custom_id;
mod identifier;
mod scope;
mod token_lifetime;
mod user_detail;

pub use access_token::AccessToken;
pub use api_version::{ApiVersion, CAPABILITIES, Feature, UnknownApiVersion, UnsupportedFeature};
pub use custom_id::{CustomId, CustomIdError};
pub use identifier::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationIdentifierModel,
    CommunicationUserIdentifier, IdentifierError, IdentifierKind, MicrosoftTeamsAppIdentifier,
    MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier, TeamsExtensionUserIdentifier,
    UnknownIdentifier,
};
pub use scope::TokenScope;
pub use token_lifetime::{TokenLifetime, TokenLifetimeError};
pub use user_detail::CommunicationUserDetail;
