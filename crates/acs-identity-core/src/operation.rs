//! The shape every operation has, and the service settings requests are built for.

use acs_auth::Endpoint;
use acs_identity_types::{ApiVersion, Feature};
use http::HeaderValue;

use crate::Error;
use crate::service_error::CLIENT_REQUEST_ID;

/// One ACS Identity operation: how to build its request and how to read its response.
///
/// A frontend drives every operation with the same loop: [`prepare`] the request, sign it (unless
/// [`Operation::authorization`] says it carries its own), send it, ask the
/// [`RetryPolicy`](crate::RetryPolicy), and finally [`Operation::parse_response`].
pub trait Operation {
    /// What a successful call returns.
    type Output;

    /// Stable snake_case name for spans and messages, e.g. `"create_user"`.
    const NAME: &'static str;

    /// Builds the unsigned request. Checks first that the configured api-version has the
    /// operation and every option used (an [`ErrorKind::InvalidInput`](crate::ErrorKind) error
    /// naming the api-version to use otherwise), and validates the input: no I/O happens on failure.
    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error>;

    /// Reads the response, whatever its status, into the output or the error. Any non-2xx status is the
    /// service's error; a frontend that drives the call with [`Call`](crate::Call) gets that error from
    /// [`Call::complete`](crate::Call::complete), which reads it itself so as to redact what the call sent.
    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error>;

    /// Whether sending the request again after it may have reached the service is safe.
    fn is_idempotent(&self) -> bool;

    /// How the request is authorized. Most operations are signed with the client's credential; the
    /// Teams extension and Entra token exchanges carry the user's own Entra token instead.
    fn authorization(&self) -> Authorization {
        Authorization::Credential
    }

    /// The secrets the request carries besides its `Authorization` (e.g. the Entra token a Teams user
    /// exchange sends in its body): an error of the call never shows them, even when the service echoes
    /// them. None by default.
    fn secrets(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// How a request is authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Authorization {
    /// Sign the request with the client's credential (HMAC access key or Entra bearer token),
    /// again on every attempt.
    Credential,
    /// The request already carries its `Authorization` header: send it as built, do not sign it.
    Included,
}

/// The resource and settings requests are built for; one per client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// The resource endpoint, e.g. `https://contoso.communication.azure.com`.
    pub endpoint: Endpoint,
    /// The api-version every request uses.
    pub api_version: ApiVersion,
    /// The `User-Agent` of every request; see [`user_agent`](crate::user_agent).
    pub user_agent: HeaderValue,
}

impl ServiceConfig {
    /// Settings for `endpoint` with `api_version` and `user_agent`.
    pub fn new(endpoint: Endpoint, api_version: ApiVersion, user_agent: HeaderValue) -> Self {
        Self {
            endpoint,
            api_version,
            user_agent,
        }
    }

    /// Fails, before any I/O, when the configured api-version lacks `feature`, naming a version
    /// that has it.
    pub fn require(&self, feature: Feature) -> Result<(), Error> {
        self.api_version
            .ensure(feature)
            .map_err(|unsupported| Error::invalid_input(unsupported.to_string()))
    }
}

/// Builds the request of `operation` for `service` and stamps it with the call's
/// `x-ms-client-request-id` (keep the same id across the retries of one call).
pub fn prepare<O: Operation + ?Sized>(
    operation: &O,
    service: &ServiceConfig,
    client_request_id: &HeaderValue,
) -> Result<http::Request<Vec<u8>>, Error> {
    let mut request = operation.build_request(service)?;
    request
        .headers_mut()
        .insert(CLIENT_REQUEST_ID, client_request_id.clone());
    Ok(request)
}
