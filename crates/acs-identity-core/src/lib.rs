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

mod assignment;
#[cfg(feature = "azure_core")]
mod azure_core_error;
mod call;
mod call_options;
mod call_response;
mod client_config;
mod client_credential;
mod client_operations;
mod entra;
mod entra_token_cache;
mod error;
mod frontend_events;
mod identities;
mod logging;
mod operation;
mod options;
mod random;
mod request;
mod response;
mod retry;
mod sent_secrets;
mod service_error;
mod teams_extension;
mod token_exchange;
mod token_refresh;
mod tokens;
mod user_agent;
mod wire;

pub use assignment::Upserted;
pub use call::{Call, CallDecision, client_request_id};
pub use call_options::CallOptions;
pub use call_response::Response;
pub use client_config::ClientConfig;
pub use client_credential::ClientCredential;
pub use entra::{
    DeleteEntraAssignment, EntraAssignment, EntraAssignmentPage, EntraAssignmentSettings,
    EntraPrincipalType, ExchangeEntraToken, GetEntraAssignment, ListEntraAssignments,
    UpdateEntraAssignments, UpsertEntraAssignment,
};
pub use entra_token_cache::{EntraRefresh, EntraTokenCache};
pub use error::{DecodeError, Error, ErrorKind};
pub use identities::{
    CommunicationUserIdentifierAndToken, CreateUser, CreateUserAndToken, CreateUserAndTokenOptions,
    DeleteUser, GetUser,
};
pub use logging::LoggedHeaders;
pub use operation::{Authorization, Operation, ServiceConfig, prepare};
pub use options::{ClientOptions, CreateUserOptions, NetworkOptions};
pub use random::{random_u128, random_unit};
pub use retry::{Outcome, RetryDecision, RetryOptions, RetryPolicy};
pub use service_error::{CLIENT_REQUEST_ID, CommunicationError, MS_CV, REQUEST_ID, ServiceError};
pub use teams_extension::{
    DeleteTeamsExtensionAssignment, ExchangeTeamsExtensionToken, GetTeamsExtensionAssignment,
    TeamsExtensionAssignment, TeamsExtensionPrincipalType, UpsertTeamsExtensionAssignment,
};
pub use token_refresh::{
    COMMUNICATION_CLIENTS_DEFAULT_SCOPE, COMMUNICATION_CLIENTS_SCOPE_PREFIX, CredentialBuildError,
    CredentialClock, CredentialSettings, CredentialSource, CredentialState, Demand,
    ExchangedTokenCache, IntoAccessToken, InvalidScopesError, OnDemand, Proactive, RefreshPolicy,
    RefreshSchedule, RefreshTicket, SharedCredentialState, TEAMS_EXTENSION_SCOPE_PREFIX,
    TokenExchange, TokenExchangeTarget, TokenParseError, TokenRefreshError, parse_access_token,
};
pub use tokens::{ExchangeTeamsUserToken, IssueToken, RevokeTokens, TokenOptions};
pub use user_agent::user_agent;

/// The public API of the two frontends that is not their own, named once: each re-exports it whole
/// (`pub use acs_identity_core::frontend_api::*;`), so the two cannot drift apart. The expansions of
/// [`client_operations!`] and [`frontend_events!`] name other crates' types through it too.
#[doc(hidden)]
pub mod frontend_api {
    pub use crate::{
        CallOptions, ClientOptions, CommunicationError, CommunicationUserIdentifierAndToken,
        CreateUserAndTokenOptions, CreateUserOptions, CredentialBuildError, DecodeError,
        EntraAssignment, EntraAssignmentPage, EntraAssignmentSettings, EntraPrincipalType, Error,
        ErrorKind, ExchangeTeamsUserToken, IntoAccessToken, NetworkOptions, Response, RetryOptions,
        ServiceError, TeamsExtensionAssignment, TeamsExtensionPrincipalType, TokenOptions,
        TokenParseError, TokenRefreshError, UpsertTeamsExtensionAssignment, Upserted,
        parse_access_token,
    };
    pub use acs_auth::{
        AccessKey, AccessKeyError, COMMUNICATION_SCOPE, ClientSecretCredential, ConnectionString,
        ConnectionStringError, Endpoint, EndpointError, EntraToken, InvalidAuthorityError,
        WorkloadIdentityCredential,
    };
    pub use acs_identity_types::{
        AccessToken, ApiVersion, CommunicationIdentifier, CommunicationUserDetail,
        CommunicationUserIdentifier, CustomId, CustomIdError, TokenLifetime, TokenLifetimeError,
        TokenScope,
    };
}

/// The `time` crate, for the expansion of [`communication_token_credential!`] (the frontends' clocks return its
/// `OffsetDateTime`).
#[doc(hidden)]
pub use time as __time;
