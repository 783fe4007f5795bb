//! Handles of a running emulator.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::SystemTime;

use acs_auth::{AccessKey, ConnectionString};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::acs::token;
use crate::state::State;
use crate::store::StoreError;
use crate::{
    EntraApp, EntraToken, EntraUser, Faults, RequestLog, SignInUser, SigningAlgorithm,
    SigningError, TokenStatus,
};

/// A running emulator, serving on its own task of the tokio runtime it was started on.
///
/// Dropping it stops the server (requests in flight still finish); [`shutdown`](Self::shutdown) also waits
/// for them.
#[derive(Debug)]
pub struct RunningEmulator {
    state: Arc<State>,
    local_addr: SocketAddr,
    connection_string: ConnectionString,
    tls_certificate_pem: Option<String>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    pub(crate) fn new(
        state: Arc<State>,
        local_addr: SocketAddr,
        connection_string: ConnectionString,
        tls_certificate_pem: Option<String>,
        shutdown: watch::Sender<bool>,
        server: JoinHandle<()>,
    ) -> Self {
        Self {
            state,
            local_addr,
            connection_string,
            tls_certificate_pem,
            shutdown,
            server: Some(server),
        }
    }

    /// The endpoint, with its trailing slash: `http://127.0.0.1:PORT/` (`https` with TLS).
    pub fn endpoint(&self) -> &str {
        &self.state.endpoint
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The access key requests are signed with.
    pub fn access_key(&self) -> &AccessKey {
        &self.state.access_key
    }

    /// `endpoint=http://127.0.0.1:PORT/;accesskey=...`. **A secret**: it contains the access key.
    pub fn connection_string(&self) -> String {
        self.connection_string.to_secret_string()
    }

    /// The resource id, the `<resource>` of identity ids `8:acs:<resource>_<guid>`.
    pub fn resource_id(&self) -> Uuid {
        self.state.resource_id
    }

    /// The Entra authority host to give Entra credentials (`http://127.0.0.1:PORT/`, the same server); the
    /// token endpoint is `<authority><tenant>/oauth2/v2.0/token`.
    pub fn entra_authority(&self) -> &str {
        &self.state.endpoint
    }

    /// The emulator's Entra tenant.
    pub fn entra_tenant_id(&self) -> Uuid {
        self.state.entra.tenant_id
    }

    /// The full URL of the token endpoint.
    pub fn entra_token_endpoint(&self) -> String {
        format!(
            "{}{}/oauth2/v2.0/token",
            self.state.endpoint, self.state.entra.tenant_id
        )
    }

    /// The application registered with the emulator's Entra ID: its client credentials obtain bearer tokens
    /// for [`COMMUNICATION_SCOPE`](crate::COMMUNICATION_SCOPE).
    pub fn entra_app(&self) -> &EntraApp {
        &self.state.entra.app
    }

    /// Mints an Entra access token for a user, as Entra ID would for a Teams or Entra user signing in to
    /// `user.app_id`.
    pub fn issue_entra_user_token(&self, user: &EntraUser) -> EntraToken {
        self.state.entra.issue_user_token(user, SystemTime::now())
    }

    /// The OpenID Connect issuer, `{endpoint}{tenant}/v2.0` (Entra's v2.0 shape): the `iss` of its tokens
    /// and the base of its discovery document, `{issuer}/.well-known/openid-configuration`.
    pub fn oidc_issuer(&self) -> &str {
        &self.state.entra.issuer
    }

    /// The discovery document's URL, `{endpoint}{tenant}/v2.0/.well-known/openid-configuration`.
    pub fn oidc_discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.state.entra.issuer
        )
    }

    /// The JWKS URL, `{endpoint}{tenant}/discovery/v2.0/keys` (the discovery document's `jwks_uri`).
    pub fn oidc_jwks_uri(&self) -> String {
        format!(
            "{}{}/discovery/v2.0/keys",
            self.state.endpoint, self.state.entra.tenant_id
        )
    }

    /// Signs `user` in: a token from the OpenID Connect issuer, signed with its published key of
    /// `user.algorithm` and carrying that key's `kid`, for the relying party under test to validate against
    /// the JWKS. The signing keys are generated on first use (tens of milliseconds).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use acs_identity_emulator::{Emulator, SignInUser};
    ///
    /// let emulator = Emulator::builder().start().await?;
    /// let token = emulator.sign_in(&SignInUser::with_subject("alice"))?;
    /// assert_eq!(token.secret().split('.').count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn sign_in(&self, user: &SignInUser) -> Result<EntraToken, SigningError> {
        self.state.entra.sign_in(user, SystemTime::now())
    }

    /// Signs arbitrary claims, exactly as given (no claim added), with the published key of `algorithm`:
    /// for tokens a relying party must reject for their claims (wrong `iss`, no `exp`...), not their
    /// signature.
    pub fn mint_signed(
        &self,
        claims: serde_json::Value,
        algorithm: SigningAlgorithm,
    ) -> Result<String, SigningError> {
        self.state.entra.mint_signed(&claims, algorithm, true)
    }

    /// Signs arbitrary claims with a key of `algorithm` that is never published in the JWKS, under a `kid`
    /// of its own: a token a relying party must reject as signed by an unknown key. The key stays the same
    /// for the emulator's life ([`rotate_signing_keys`](Self::rotate_signing_keys) leaves it).
    pub fn mint_signed_unpublished(
        &self,
        claims: serde_json::Value,
        algorithm: SigningAlgorithm,
    ) -> Result<String, SigningError> {
        self.state.entra.mint_signed(&claims, algorithm, false)
    }

    /// The `kid` of the published key of `algorithm`.
    pub fn oidc_key_id(&self, algorithm: SigningAlgorithm) -> Result<String, SigningError> {
        Ok(self.state.entra.signing_keys()?.kid(algorithm).to_owned())
    }

    /// The published public key of `algorithm`, as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), the form an
    /// algorithm-confusion attack keys an HS256 MAC with.
    pub fn oidc_public_key_pem(&self, algorithm: SigningAlgorithm) -> Result<String, SigningError> {
        Ok(self
            .state
            .entra
            .signing_keys()?
            .public_pem(algorithm)
            .to_owned())
    }

    /// The JWKS as served at [`oidc_jwks_uri`](Self::oidc_jwks_uri): `{"keys": [RSA key, EC key]}`.
    pub fn oidc_jwks(&self) -> Result<serde_json::Value, SigningError> {
        Ok(self.state.entra.signing_keys()?.jwks())
    }

    /// Rotates the OpenID Connect issuer's keys: new RS256 and ES256 keys, with new `kid`s, sign from now on
    /// and replace the previous ones in the JWKS. The previous keys are **removed**, not kept alongside, so
    /// tokens signed before the rotation no longer verify against the JWKS. (The new keys are generated on
    /// their first use.)
    pub fn rotate_signing_keys(&self) {
        self.state.entra.rotate_signing_keys();
    }

    /// Whether an ACS access token issued by this emulator is still valid: not expired, not revoked, its
    /// identity not deleted.
    pub fn check_access_token(&self, token: &str) -> TokenStatus {
        let state = &self.state;
        token::check(
            &state.acs_tokens,
            &state.store,
            &state.resource_id_text,
            token,
            SystemTime::now(),
        )
    }

    /// The JWKS of the RS256 key the ACS access tokens are signed with (`{"keys":[{"kty":"RSA","use":"sig",
    /// "alg":"RS256","kid","x5t","n","e"}]}`), also served at [`acs_token_jwks_uri`](Self::acs_token_jwks_uri).
    /// The key is made on first use and kept in the store (the data directory when durable).
    pub fn acs_token_jwks(&self) -> Result<serde_json::Value, SigningError> {
        Ok(self.state.acs_tokens.key(&self.state.store)?.jwks())
    }

    /// `{endpoint}_emulator/acs/keys`: where the ACS token JWKS is served, without authentication.
    pub fn acs_token_jwks_uri(&self) -> String {
        format!(
            "{}{}",
            self.state.endpoint,
            crate::admin::ACS_KEYS.trim_start_matches('/')
        )
    }

    /// How many identities exist.
    pub fn identity_count(&self) -> Result<u64, StoreError> {
        self.state.store.identity_count()
    }

    /// The fault rules, live.
    pub fn faults(&self) -> Faults {
        self.state.faults.clone()
    }

    /// Request counters and the recent-request log.
    pub fn requests(&self) -> RequestLog {
        self.state.requests.clone()
    }

    /// The self-signed certificate (PEM) when serving HTTPS, for clients to trust.
    pub fn tls_certificate_pem(&self) -> Option<&str> {
        self.tls_certificate_pem.as_deref()
    }

    /// Stops accepting connections, lets requests in flight finish (up to 30 seconds), and returns.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    async fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// An emulator running on a tokio runtime of its own, for synchronous code. Dereferences to
/// [`RunningEmulator`] for everything but shutting down; dropping it stops the server at once.
///
/// ```
/// use acs_identity_emulator::Emulator;
///
/// let emulator = Emulator::builder().start_in_background()?;
/// assert!(emulator.connection_string().starts_with("endpoint=http://127.0.0.1:"));
/// emulator.shutdown();
/// # Ok::<(), acs_identity_emulator::StartError>(())
/// ```
#[derive(Debug)]
pub struct BackgroundEmulator {
    emulator: RunningEmulator,
    /// Taken by `shutdown` or `drop`, whichever comes first.
    runtime: Option<tokio::runtime::Runtime>,
}

impl BackgroundEmulator {
    pub(crate) fn new(runtime: tokio::runtime::Runtime, emulator: RunningEmulator) -> Self {
        Self {
            emulator,
            runtime: Some(runtime),
        }
    }

    /// Shuts down gracefully, waiting for requests in flight. Blocks: call it from synchronous code only.
    pub fn shutdown(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.block_on(self.emulator.stop());
            runtime.shutdown_background();
        }
    }
}

impl Deref for BackgroundEmulator {
    type Target = RunningEmulator;

    fn deref(&self) -> &RunningEmulator {
        &self.emulator
    }
}

impl Drop for BackgroundEmulator {
    fn drop(&mut self) {
        let _ = self.emulator.shutdown.send(true);
        // Never blocks, so dropping is safe from any context, async included.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
