#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Feature badges on docs.rs (nightly, `--cfg docsrs`); stable builds never see the attribute.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[cfg(feature = "azure_core")]
mod azure_core_credential;
mod client;
mod communication_token_credential;
mod credential;
mod operations;
mod pipeline;
mod transport;

acs_identity_core::frontend_events!();

#[cfg(feature = "azure_core")]
pub use azure_core_credential::AzureCoreCredential;
pub use client::CommunicationIdentityClient;
pub use communication_token_credential::{
    CommunicationTokenCredential, CommunicationTokenCredentialBuilder,
    EntraCommunicationTokenCredentialOptions,
};
pub use credential::{BoxFuture, TokenContext, TokenSource};

pub use acs_identity_core::frontend_api::*;
