//! Entra ID token sources and the cache that refreshes their tokens before they expire.

use std::ffi::OsString;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use acs_auth::{
    COMMUNICATION_SCOPE, ClientSecretCredential, EntraToken, WorkloadIdentityCredential,
};
use acs_identity_core::{EntraTokenCache, Error};
use http::HeaderValue;

use crate::transport::Transport;

/// A boxed, `Send` future, the return type of [`TokenSource::get_token`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The environment variable naming the federated token file of workload identity.
const FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";

/// Where the client gets Entra ID access tokens for the scope [`COMMUNICATION_SCOPE`]
/// (`https://communication.azure.com//.default`).
///
/// The client caches the token and asks again only when it is within five minutes of expiring; concurrent
/// calls share one refresh. Implemented for:
/// - closures returning a future of `Result<EntraToken, E>` (any `std::error::Error` `E`),
/// - [`EntraToken`] itself, a fixed token (it is never refreshed),
/// - [`ClientSecretCredential`] and [`WorkloadIdentityCredential`], whose token requests go through the client's
///   own HTTP connection ([`TokenContext::send`]); workload identity reads the file named by
///   `AZURE_FEDERATED_TOKEN_FILE` at every refresh, since the platform rotates it,
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
        Box::pin(federated(
            self,
            context,
            std::env::var_os(FEDERATED_TOKEN_FILE),
        ))
    }
}

/// Workload identity with the federated token read from `file`, now: the platform rotates it.
async fn federated(
    credential: &WorkloadIdentityCredential,
    context: &TokenContext,
    file: Option<OsString>,
) -> Result<EntraToken, Error> {
    let file = file.ok_or_else(|| {
        let message = format!("{FEDERATED_TOKEN_FILE} is not set");
        Error::credential(std::io::Error::new(std::io::ErrorKind::NotFound, message))
    })?;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use acs_identity_emulator::Emulator;

    use super::*;
    use crate::ErrorKind;

    fn context() -> TokenContext {
        TokenContext::new(
            Transport::new(&Default::default()),
            Some(Duration::from_secs(10)),
        )
    }

    /// A source handing out tokens that expire `lifetime` from now, failing from the `fail_from`-th call.
    fn counting(lifetime: Duration, fail_from: usize) -> (Arc<dyn TokenSource>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let source = move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if n >= fail_from {
                    return Err(std::io::Error::other("token service down"));
                }
                Ok(EntraToken::new(
                    format!("token-{n}"),
                    SystemTime::now() + lifetime,
                ))
            }
        };
        (Arc::new(source), calls)
    }

    #[tokio::test]
    async fn tokens_are_reused_until_five_minutes_before_expiry() {
        let (source, calls) = counting(Duration::from_secs(3600), usize::MAX);
        let cache = TokenCache::new(source, context());
        for _ in 0..3 {
            assert_eq!(cache.authorization().await.unwrap(), "Bearer token-1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let (source, calls) = counting(Duration::from_secs(4 * 60), usize::MAX);
        let cache = TokenCache::new(source, context());
        assert_eq!(cache.authorization().await.unwrap(), "Bearer token-1");
        assert_eq!(cache.authorization().await.unwrap(), "Bearer token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_early_refresh_keeps_the_valid_token() {
        let (source, calls) = counting(Duration::from_secs(4 * 60), 2);
        let cache = TokenCache::new(source, context());
        assert_eq!(cache.authorization().await.unwrap(), "Bearer token-1");
        assert_eq!(cache.authorization().await.unwrap(), "Bearer token-1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        let (source, _) = counting(Duration::from_secs(3600), 1);
        let error = TokenCache::new(source, context())
            .authorization()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert_eq!(
            std::error::Error::source(&error).unwrap().to_string(),
            "token service down"
        );
    }

    #[tokio::test]
    async fn a_token_that_cannot_be_a_header_is_a_credential_error() {
        let source: Arc<dyn TokenSource> =
            Arc::new(EntraToken::new("line\nbreak", SystemTime::now()));
        let error = TokenCache::new(source, context())
            .authorization()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert!(!format!("{error:?}").contains("break"));
    }

    #[tokio::test]
    async fn workload_identity_reads_the_federated_token_file() {
        let emulator = Emulator::builder().start().await.unwrap();
        let credential = WorkloadIdentityCredential::new(
            emulator.entra_tenant_id().to_string(),
            emulator.entra_app().client_id().to_string(),
        )
        .with_authority(emulator.entra_authority())
        .unwrap();
        let file =
            std::env::temp_dir().join(format!("acs-identity-federated-{}", uuid::Uuid::new_v4()));
        // A JWT-shaped assertion (`{"alg":"none"}`, `{"exp":4102444800}`); the emulator trusts any issuer.
        std::fs::write(&file, "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln\n").unwrap();
        let token = federated(&credential, &context(), Some(file.clone().into_os_string())).await;
        std::fs::remove_file(&file).unwrap();
        let token = token.unwrap();
        assert!(token.expires_at() > SystemTime::now() + Duration::from_secs(600));

        let error = federated(&credential, &context(), None).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert!(
            std::error::Error::source(&error)
                .unwrap()
                .to_string()
                .contains(FEDERATED_TOKEN_FILE)
        );
        let error = federated(&credential, &context(), Some(file.into_os_string()))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
    }
}
