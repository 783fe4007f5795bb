//! Client settings: what a user chooses, shared by the async and blocking clients.

use std::time::Duration;

use acs_identity_types::{ApiVersion, CustomId};

use crate::{CreateUser, RetryOptions};

/// How a `CommunicationIdentityClient` (of `acs-identity` or `acs-identity-blocking`) talks to the service.
///
/// ```
/// use std::time::Duration;
/// use acs_identity_core::{ClientOptions, RetryOptions};
/// use acs_identity_types::ApiVersion;
///
/// let options = ClientOptions {
///     api_version: ApiVersion::V2025_06_30,
///     retry: RetryOptions { max_retries: 5, ..Default::default() },
///     attempt_timeout: Some(Duration::from_secs(10)),
///     application_id: Some("contoso-app".to_owned()),
///     ..Default::default()
/// };
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// The api-version of every request. Default: the newest preview, `2025-03-02-preview`, the only one
    /// with custom ids and user details. An operation or option the version lacks fails before any I/O
    /// with an error naming the version to use.
    pub api_version: ApiVersion,
    /// When and how often to retry throttled and failed requests; see [`RetryOptions`].
    pub retry: RetryOptions,
    /// The limit on one attempt, from connecting to the last byte of the response. Default: 30 seconds.
    pub attempt_timeout: Option<Duration>,
    /// The limit on a whole call, retries and their delays included. Default: none, the call is bounded by
    /// [`RetryOptions::max_total`] and the attempt timeout.
    pub timeout: Option<Duration>,
    /// Your application's id, put first in the `User-Agent` to tell your traffic apart: at most 24 visible
    /// ASCII characters, no spaces. An invalid id fails every call with an invalid-input error.
    pub application_id: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            api_version: ApiVersion::default(),
            retry: RetryOptions::default(),
            attempt_timeout: Some(Duration::from_secs(30)),
            timeout: None,
            application_id: None,
        }
    }
}

/// Optional inputs of the clients' `create_user_with_options`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateUserOptions {
    /// Your own id for the user (api-version `2025-03-02-preview`). Creating a user with a custom id that
    /// already exists returns the existing user, so such a create is safe to retry.
    pub custom_id: Option<CustomId>,
}

impl From<CreateUserOptions> for CreateUser {
    fn from(options: CreateUserOptions) -> Self {
        Self {
            custom_id: options.custom_id,
        }
    }
}
