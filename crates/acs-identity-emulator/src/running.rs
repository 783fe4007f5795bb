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
use crate::{EntraApp, EntraToken, EntraUser, Faults, RequestLog, TokenStatus};

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
