//! What every request shares.

use std::sync::Arc;
use std::time::SystemTime;

use acs_auth::{AccessKey, HmacVerification};
use uuid::Uuid;

use crate::acs::AcsError;
use crate::acs::signer::AcsSigner;
use crate::acs::token::{self, Issued};
use crate::entra::EntraAuthority;
use crate::store::{Store, StoreError};
use crate::{Faults, RequestLog};

/// The emulator's state.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) resource_id: Uuid,
    /// `resource_id` as text, the `resourceId` claim.
    pub(crate) resource_id_text: String,
    pub(crate) access_key: AccessKey,
    pub(crate) hmac: HmacVerification,
    pub(crate) store: Store,
    /// Whether the store is a file, whose calls go to the blocking pool.
    pub(crate) store_on_disk: bool,
    /// The RS256 key of the ACS access tokens (made on first use, kept in the store).
    pub(crate) acs_tokens: AcsSigner,
    pub(crate) entra: EntraAuthority,
    pub(crate) faults: Faults,
    pub(crate) requests: RequestLog,
    /// `http` or `https`.
    pub(crate) scheme: &'static str,
    /// `127.0.0.1:PORT`
    pub(crate) authority: String,
    /// `http://127.0.0.1:PORT/`
    pub(crate) endpoint: String,
    /// Page size of `GET /access/entra/assignments`.
    pub(crate) page_size: u64,
    /// `Request-Context` of every response (`appId=cid-v1:<guid>`).
    pub(crate) request_context: http::HeaderValue,
    /// Whether `/_emulator/sign-in` takes unauthenticated requests: only while listening on loopback.
    pub(crate) sign_in_open: bool,
}

impl State {
    /// Runs a store call: inline for the in-memory database (microseconds, never blocks on I/O), on the
    /// blocking pool for a file.
    pub(crate) async fn db<T: Send + 'static>(
        self: &Arc<Self>,
        call: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AcsError> {
        let result = if self.store_on_disk {
            let state = Arc::clone(self);
            tokio::task::spawn_blocking(move || call(&state.store))
                .await
                .map_err(|_| AcsError::internal())?
        } else {
            call(&self.store)
        };
        result.map_err(|error| {
            tracing::error!(%error, "store call failed");
            AcsError::internal()
        })
    }

    /// The raw id of a stored identity.
    pub(crate) fn identity_id(&self, suffix: &str) -> String {
        format!("8:acs:{}_{suffix}", self.resource_id)
    }

    /// Signs an ACS access token.
    pub(crate) fn issue_token(
        &self,
        skypeid: String,
        scopes: &[String],
        issued_at: SystemTime,
        expires_at: SystemTime,
    ) -> Result<Issued, AcsError> {
        token::issue(
            &self.acs_tokens,
            &self.store,
            &self.resource_id_text,
            skypeid,
            scopes,
            issued_at,
            expires_at,
        )
        .map_err(|error| {
            tracing::error!(%error, "cannot sign an ACS access token");
            AcsError::internal()
        })
    }
}
