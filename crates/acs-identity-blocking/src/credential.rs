//! Entra ID token sources and the cache that refreshes their tokens before they expire.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use acs_auth::{
    AZURE_FEDERATED_TOKEN_FILE, COMMUNICATION_SCOPE, ClientSecretCredential, EntraToken,
    WorkloadIdentityCredential,
};
use acs_identity_core::{EntraTokenCache, Error};
use http::HeaderValue;

use crate::transport::Transport;

/// Where the client gets Entra ID access tokens for the scope [`COMMUNICATION_SCOPE`]
/// (`https://communication.azure.com//.default`).
///
/// The client caches the token and asks again only when it is within five minutes of expiring; concurrent
/// calls share one refresh. Implemented for:
/// - closures returning `Result<EntraToken, E>` (any `std::error::Error` `E`),
/// - [`EntraToken`] itself, a fixed token (it is never refreshed),
/// - [`ClientSecretCredential`] and [`WorkloadIdentityCredential`], whose token requests go through the client's
///   own HTTP connection ([`TokenContext::send`]); workload identity reads its
///   [`token_file`](WorkloadIdentityCredential::token_file) (by default the one named by
///   `AZURE_FEDERATED_TOKEN_FILE`) at every refresh, since the platform rotates it.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use acs_identity_blocking::{EntraToken, TokenSource};
///
/// fn assert_source(_: impl TokenSource) {}
/// assert_source(|| {
///     let expires_at = SystemTime::now() + Duration::from_secs(3600);
///     Ok::<_, std::io::Error>(EntraToken::new("eyJ0eXAi.e30.sig", expires_at))
/// });
/// ```
pub trait TokenSource: Send + Sync + 'static {
    /// Obtains a new token. Errors of any kind reach the caller as [`ErrorKind::Credential`](crate::ErrorKind::Credential).
    fn get_token(&self, context: &TokenContext) -> Result<EntraToken, Error>;
}

/// What a [`TokenSource`] may use: the client's HTTP connection.
#[derive(Clone)]
pub struct TokenContext {
    transport: Transport,
    timeout: Option<Duration>,
}

impl TokenContext {
    pub(crate) fn new(transport: Transport, timeout: Option<Duration>) -> Self {
        Self { transport, timeout }
    }

    /// Sends a request (a token request, typically) once, with the client's per-attempt timeout, and returns
    /// whatever status came back. Nothing of the request or response is logged.
    pub fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, Error> {
        self.transport.send(request, self.timeout)
    }
}

impl<F, E> TokenSource for F
where
    F: Fn() -> Result<EntraToken, E> + Send + Sync + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    fn get_token(&self, _: &TokenContext) -> Result<EntraToken, Error> {
        self().map_err(Error::credential)
    }
}

impl TokenSource for EntraToken {
    fn get_token(&self, _: &TokenContext) -> Result<EntraToken, Error> {
        Ok(self.clone())
    }
}

impl TokenSource for ClientSecretCredential {
    fn get_token(&self, context: &TokenContext) -> Result<EntraToken, Error> {
        fetch(context, self.token_request(&[COMMUNICATION_SCOPE]))
    }
}

impl TokenSource for WorkloadIdentityCredential {
    fn get_token(&self, context: &TokenContext) -> Result<EntraToken, Error> {
        federated(self, context)
    }
}

/// Workload identity with the federated token read now: the platform rotates it.
fn federated(
    credential: &WorkloadIdentityCredential,
    context: &TokenContext,
) -> Result<EntraToken, Error> {
    let file = credential
        .token_file(std::env::var_os(AZURE_FEDERATED_TOKEN_FILE))
        .map_err(Error::credential)?;
    let assertion = std::fs::read_to_string(file).map_err(Error::credential)?;
    fetch(
        context,
        credential.token_request(&[COMMUNICATION_SCOPE], assertion.trim()),
    )
}

/// Sends a token request and reads the token endpoint's answer.
fn fetch(context: &TokenContext, request: http::Request<Vec<u8>>) -> Result<EntraToken, Error> {
    let response = context.send(request)?;
    acs_auth::parse_token_response(response.status(), response.body(), SystemTime::now())
        .map_err(Error::credential)
}

/// The client's token cache: one token, refreshed by one caller at a time.
pub(crate) struct TokenCache {
    source: Arc<dyn TokenSource>,
    context: TokenContext,
    cache: Mutex<EntraTokenCache>,
}

impl TokenCache {
    pub(crate) fn new(source: Arc<dyn TokenSource>, context: TokenContext) -> Self {
        Self {
            source,
            context,
            cache: Mutex::new(EntraTokenCache::default()),
        }
    }

    /// The `Authorization` value for the next attempt. Holding the lock across the refresh makes concurrent
    /// callers wait for one refresh instead of each starting their own.
    pub(crate) fn authorization(&self) -> Result<HeaderValue, Error> {
        // A panic in another thread's token source leaves nothing half-written: the cache is only updated whole.
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let now = SystemTime::now();
        if let Some(authorization) = cache.reusable(now) {
            return Ok(authorization.clone());
        }
        let token = self.source.get_token(&self.context);
        let refresh = cache.complete(token, now)?;
        crate::events::entra_refreshed(&refresh);
        Ok(refresh.into_authorization())
    }
}
