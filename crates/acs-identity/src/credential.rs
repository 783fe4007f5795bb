//! Entra ID token sources and the cache that refreshes their tokens before they expire.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use acs_auth::{
    AZURE_FEDERATED_TOKEN_FILE, COMMUNICATION_SCOPE, ClientSecretCredential, EntraToken,
    WorkloadIdentityCredential,
};
use acs_identity_core::{EntraTokenCache, Error};
use http::HeaderValue;

use crate::transport::Transport;

/// A boxed, `Send` future, the return type of [`TokenSource::get_token`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the client gets Entra ID access tokens for the scope [`COMMUNICATION_SCOPE`]
/// (`https://communication.azure.com//.default`).
///
/// The client caches the token and asks again only when it is within five minutes of expiring; concurrent
/// calls share one refresh. Implemented for:
/// - closures returning a future of `Result<EntraToken, E>` (any `std::error::Error` `E`),
/// - [`EntraToken`] itself, a fixed token (it is never refreshed),
/// - [`ClientSecretCredential`] and [`WorkloadIdentityCredential`], whose token requests go through the client's
///   own HTTP connection ([`TokenContext::send`]); workload identity reads its
///   [`token_file`](WorkloadIdentityCredential::token_file) (by default the one named by
///   `AZURE_FEDERATED_TOKEN_FILE`) at every refresh, since the platform rotates it,
/// - with the `azure_core` feature, `AzureCoreCredential`, so that every
///   `azure_identity` credential works.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use acs_identity::{EntraToken, TokenSource};
///
/// fn assert_source(_: impl TokenSource) {}
/// assert_source(|| async {
///     let expires_at = SystemTime::now() + Duration::from_secs(3600);
///     Ok::<_, std::io::Error>(EntraToken::new("eyJ0eXAi.e30.sig", expires_at))
/// });
/// ```
pub trait TokenSource: Send + Sync + 'static {
    /// Obtains a new token. Errors of any kind reach the caller as [`ErrorKind::Credential`](crate::ErrorKind::Credential).
    fn get_token<'a>(
        &'a self,
        context: &'a TokenContext,
    ) -> BoxFuture<'a, Result<EntraToken, Error>>;
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
    pub async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        self.transport.send(request, self.timeout).await
    }
}

impl<F, Fut, E> TokenSource for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<EntraToken, E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    fn get_token<'a>(&'a self, _: &'a TokenContext) -> BoxFuture<'a, Result<EntraToken, Error>> {
        let token = self();
        Box::pin(async move { token.await.map_err(Error::credential) })
    }
}

impl TokenSource for EntraToken {
    fn get_token<'a>(&'a self, _: &'a TokenContext) -> BoxFuture<'a, Result<EntraToken, Error>> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}

impl TokenSource for ClientSecretCredential {
    fn get_token<'a>(
        &'a self,
        context: &'a TokenContext,
    ) -> BoxFuture<'a, Result<EntraToken, Error>> {
        Box::pin(fetch(context, self.token_request(&[COMMUNICATION_SCOPE])))
    }
}

impl TokenSource for WorkloadIdentityCredential {
    fn get_token<'a>(
        &'a self,
        context: &'a TokenContext,
    ) -> BoxFuture<'a, Result<EntraToken, Error>> {
        Box::pin(federated(self, context))
    }
}

/// Workload identity with the federated token read now: the platform rotates it.
async fn federated(
    credential: &WorkloadIdentityCredential,
    context: &TokenContext,
) -> Result<EntraToken, Error> {
    let file = credential
        .token_file(std::env::var_os(AZURE_FEDERATED_TOKEN_FILE))
        .map_err(Error::credential)?;
    let assertion = tokio::fs::read_to_string(file)
        .await
        .map_err(Error::credential)?;
    fetch(
        context,
        credential.token_request(&[COMMUNICATION_SCOPE], assertion.trim()),
    )
    .await
}

/// Sends a token request and reads the token endpoint's answer.
async fn fetch(
    context: &TokenContext,
    request: http::Request<Vec<u8>>,
) -> Result<EntraToken, Error> {
    let response = context.send(request).await?;
    acs_auth::parse_token_response(response.status(), response.body(), SystemTime::now())
        .map_err(Error::credential)
}

/// The client's token cache: one token, refreshed by one caller at a time.
pub(crate) struct TokenCache {
    source: Arc<dyn TokenSource>,
    context: TokenContext,
    cache: tokio::sync::Mutex<EntraTokenCache>,
}

impl TokenCache {
    pub(crate) fn new(source: Arc<dyn TokenSource>, context: TokenContext) -> Self {
        Self {
            source,
            context,
            cache: tokio::sync::Mutex::new(EntraTokenCache::default()),
        }
    }

    /// The `Authorization` value for the next attempt. Holding the lock across the refresh makes concurrent
    /// callers wait for one refresh instead of each starting their own.
    pub(crate) async fn authorization(&self) -> Result<HeaderValue, Error> {
        let mut cache = self.cache.lock().await;
        let now = SystemTime::now();
        if let Some(authorization) = cache.reusable(now) {
            return Ok(authorization.clone());
        }
        let token = self.source.get_token(&self.context).await;
        let refresh = cache.complete(token, now)?;
        crate::events::entra_refreshed(&refresh);
        Ok(refresh.into_authorization())
    }
}
