//! Entra ID token sources and the cache that refreshes their tokens before they expire.

use std::ffi::OsString;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use acs_auth::{
    COMMUNICATION_SCOPE, ClientSecretCredential, EntraToken, WorkloadIdentityCredential,
};
use acs_identity_core::{EntraTokenCache, Error};
use http::HeaderValue;

use crate::transport::Transport;

/// The environment variable naming the federated token file of workload identity.
const FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";

/// Where the client gets Entra ID access tokens for the scope [`COMMUNICATION_SCOPE`]
/// (`https://communication.azure.com//.default`).
///
/// The client caches the token and asks again only when it is within five minutes of expiring; concurrent
/// calls share one refresh. Implemented for:
/// - closures returning `Result<EntraToken, E>` (any `std::error::Error` `E`),
/// - [`EntraToken`] itself, a fixed token (it is never refreshed),
/// - [`ClientSecretCredential`] and [`WorkloadIdentityCredential`], whose token requests go through the client's
///   own HTTP connection ([`TokenContext::send`]); workload identity reads the file named by
///   `AZURE_FEDERATED_TOKEN_FILE` at every refresh, since the platform rotates it.
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
        federated(self, context, std::env::var_os(FEDERATED_TOKEN_FILE))
    }
}

/// Workload identity with the federated token read from `file`, now: the platform rotates it.
fn federated(
    credential: &WorkloadIdentityCredential,
    context: &TokenContext,
    file: Option<OsString>,
) -> Result<EntraToken, Error> {
    let file = file.ok_or_else(|| {
        let message = format!("{FEDERATED_TOKEN_FILE} is not set");
        Error::credential(std::io::Error::new(std::io::ErrorKind::NotFound, message))
    })?;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use acs_identity_emulator::Emulator;

    use super::*;
    use crate::ErrorKind;

    fn context() -> TokenContext {
        TokenContext::new(
            Transport::new(None, &Default::default()),
            Some(Duration::from_secs(10)),
        )
    }

    /// A source handing out tokens that expire `lifetime` from now, failing from the `fail_from`-th call.
    fn counting(lifetime: Duration, fail_from: usize) -> (Arc<dyn TokenSource>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let source = move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= fail_from {
                return Err(std::io::Error::other("token service down"));
            }
            Ok(EntraToken::new(
                format!("token-{n}"),
                SystemTime::now() + lifetime,
            ))
        };
        (Arc::new(source), calls)
    }

    #[test]
    fn tokens_are_reused_until_five_minutes_before_expiry() {
        let (source, calls) = counting(Duration::from_secs(3600), usize::MAX);
        let cache = TokenCache::new(source, context());
        for _ in 0..3 {
            assert_eq!(cache.authorization().unwrap(), "Bearer token-1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let (source, calls) = counting(Duration::from_secs(4 * 60), usize::MAX);
        let cache = TokenCache::new(source, context());
        assert_eq!(cache.authorization().unwrap(), "Bearer token-1");
        assert_eq!(cache.authorization().unwrap(), "Bearer token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_failed_early_refresh_keeps_the_valid_token() {
        let (source, calls) = counting(Duration::from_secs(4 * 60), 2);
        let cache = TokenCache::new(source, context());
        assert_eq!(cache.authorization().unwrap(), "Bearer token-1");
        assert_eq!(cache.authorization().unwrap(), "Bearer token-1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        let (source, _) = counting(Duration::from_secs(3600), 1);
        let error = TokenCache::new(source, context())
            .authorization()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert_eq!(
            std::error::Error::source(&error).unwrap().to_string(),
            "token service down"
        );
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_a_credential_error() {
        let source: Arc<dyn TokenSource> =
            Arc::new(EntraToken::new("line\nbreak", SystemTime::now()));
        let error = TokenCache::new(source, context())
            .authorization()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert!(!format!("{error:?}").contains("break"));
    }

    #[test]
    fn workload_identity_reads_the_federated_token_file() {
        let emulator = Emulator::builder().start_in_background().unwrap();
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
        let token = federated(&credential, &context(), Some(file.clone().into_os_string()));
        std::fs::remove_file(&file).unwrap();
        let token = token.unwrap();
        assert!(token.expires_at() > SystemTime::now() + Duration::from_secs(600));

        let error = federated(&credential, &context(), None).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert!(
            std::error::Error::source(&error)
                .unwrap()
                .to_string()
                .contains(FEDERATED_TOKEN_FILE)
        );
        let error = federated(&credential, &context(), Some(file.into_os_string())).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Credential);
    }
}
