//! A credential's state as its clones and its background refresher share it.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use acs_identity_types::AccessToken;
use time::OffsetDateTime;

use super::credential::{CredentialState, Demand};
use super::error::TokenRefreshError;
use super::schedule::{Proactive, RefreshTicket};
use super::settings::CredentialClock;
use crate::Error;

/// The [`CredentialState`] of a communication token credential behind its lock, asked at the times of the
/// credential's clock. Everything a frontend's credential does but wait: it adds the single flight (one
/// refresher call at a time), the refresher and the background refresher's sleep.
///
/// The lock is never held across a refresh, and a poisoned lock (a refresher panicked on another thread)
/// still guards a consistent state: it is only ever updated whole. `Debug` shows no token.
///
/// ```
/// use std::sync::Arc;
/// use acs_identity_core::{CredentialState, Demand, SharedCredentialState};
/// use acs_identity_types::AccessToken;
/// use time::macros::datetime;
///
/// let now = datetime!(2025-04-14 12:00 UTC);
/// let token = AccessToken::new("eyJ...", datetime!(2025-04-14 13:00 UTC));
/// let shared = SharedCredentialState::new(CredentialState::fixed(token, now), Arc::new(move || now));
/// assert!(matches!(shared.on_demand(None), Ok(Demand::Use(_))));
/// shared.close();
/// assert!(shared.on_demand(None).is_err());
/// ```
pub struct SharedCredentialState {
    clock: CredentialClock,
    state: Mutex<CredentialState>,
}

impl SharedCredentialState {
    /// `state`, read at the times of `clock`.
    pub fn new(state: CredentialState, clock: CredentialClock) -> Self {
        Self {
            clock,
            state: Mutex::new(state),
        }
    }

    /// The time now, by the credential's clock.
    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// The state, locked. Keep the guard short: never across a refresh.
    pub fn lock(&self) -> MutexGuard<'_, CredentialState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What a caller asking now does; see [`CredentialState::on_demand`]. Errors are of kind
    /// [`Credential`](crate::ErrorKind::Credential), their source the [`TokenRefreshError`].
    pub fn on_demand(&self, waited: Option<RefreshTicket>) -> Result<Demand, Error> {
        let now = self.now();
        self.lock()
            .on_demand(now, waited)
            .map_err(Error::credential)
    }

    /// What the background refresher does now; see [`CredentialState::proactive`].
    pub fn proactive(&self) -> Proactive {
        let now = self.now();
        self.lock().proactive(now)
    }

    /// Records the outcome of a refresh, now, with `jitter` in `[0, 1)` for the retry delay of a failure;
    /// see [`CredentialState::complete`].
    pub fn complete(
        &self,
        result: Result<AccessToken, TokenRefreshError>,
        jitter: f64,
    ) -> Result<AccessToken, TokenRefreshError> {
        let now = self.now();
        self.lock().complete(result, now, jitter)
    }

    /// Whether no refresh completed since `ticket`.
    pub fn is_current(&self, ticket: RefreshTicket) -> bool {
        self.lock().is_current(ticket)
    }

    /// Whether the credential refreshes in the background.
    pub fn is_proactive(&self) -> bool {
        self.lock().is_proactive()
    }

    /// Closes the credential: no more tokens, the background refresher stops.
    pub fn close(&self) {
        self.lock().close();
    }

    /// Whether the credential is closed.
    pub fn is_closed(&self) -> bool {
        self.lock().is_closed()
    }
}

impl fmt::Debug for SharedCredentialState {
    /// The credential as [`CredentialState::debug_at`] shows it now.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let now = self.now();
        fmt::Debug::fmt(&self.lock().debug_at(now), f)
    }
}
