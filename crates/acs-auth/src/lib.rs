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

mod access_key;
mod bearer;
mod connection_string;
mod diagnose;
mod endpoint;
mod entra_credential;
mod entra_token;
mod origin;
mod signing;
mod verify;

pub use access_key::{AccessKey, AccessKeyError};
pub use bearer::{COMMUNICATION_SCOPE, InvalidTokenError, bearer_header_value};
pub use connection_string::{ConnectionString, ConnectionStringError};
pub use diagnose::{Rejection, SigningQuirk};
pub use endpoint::{Endpoint, EndpointError};
pub use entra_credential::{
    AZURE_FEDERATED_TOKEN_FILE, ClientSecretCredential, DEFAULT_AUTHORITY, InvalidAuthorityError,
    WorkloadIdentityCredential,
};
pub use entra_token::{EntraToken, EntraTokenError, parse_token_response};
pub use signing::{
    AUTHORIZATION_SCHEME, SIGNED_HEADERS, X_MS_CONTENT_SHA256, X_MS_DATE, compute_signature,
    content_sha256, sign_request, string_to_sign,
};
pub use verify::{HmacVerification, VerifyError};
