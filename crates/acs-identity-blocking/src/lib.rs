#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Feature badges on docs.rs (nightly, `--cfg docsrs`); stable builds never see the attribute.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod client;
mod communication_token_credential;
mod credential;
mod operations;
mod pipeline;
mod transport;

acs_identity_core::frontend_events!();

pub use client::CommunicationIdentityClient;
pub use communication_token_credential::{
    CommunicationTokenCredential, CommunicationTokenCredentialBuilder, CredentialBuildError,
    EntraCommunicationTokenCredentialOptions, IntoAccessToken, TokenParseError, TokenRefreshError,
    parse_access_token,
};
pub use credential::{TokenContext, TokenSource};

pub use acs_auth::{
    AccessKey, AccessKeyError, COMMUNICATION_SCOPE, ClientSecretCredential, ConnectionString,
    ConnectionStringError, Endpoint, EndpointError, EntraToken, InvalidAuthorityError,
    WorkloadIdentityCredential,
};
pub use acs_identity_core::{
    CallOptions, ClientOptions, CommunicationError, CommunicationUserIdentifierAndToken,
    CreateUserAndTokenOptions, CreateUserOptions, DecodeError, EntraAssignment,
    EntraAssignmentPage, EntraAssignmentSettings, EntraPrincipalType, Error, ErrorKind,
    ExchangeTeamsUserToken, NetworkOptions, Response, RetryOptions, ServiceError,
    TeamsExtensionAssignment, TeamsExtensionPrincipalType, TokenOptions,
    UpsertTeamsExtensionAssignment, Upserted,
};
pub use acs_identity_types::{
    AccessToken, ApiVersion, CommunicationIdentifier, CommunicationUserDetail,
    CommunicationUserIdentifier, CustomId, CustomIdError, TokenLifetime, TokenLifetimeError,
    TokenScope,
};
