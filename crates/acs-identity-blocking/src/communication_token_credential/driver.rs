//! Drives the core's refresh schedule: reads the clock, runs the refresher one caller at a time, and runs the
//! proactive refreshes on one thread that a condition variable wakes when the credential closes.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use acs_identity_core::{
    CredentialClock, CredentialState, Demand, Error, IntoAccessToken, Proactive,
    SharedCredentialState, TokenRefreshError,
};
use acs_identity_types::AccessToken;

/// Obtains a new token; called by one caller at a time.
pub(super) trait Refresh: Send + Sync + 'static {
    fn refresh(&self) -> Result<AccessToken, TokenRefreshError>;
}

/// A closure returning a JWT or an [`AccessToken`].
pub(super) struct FnRefresher<F>(pub(super) F);

impl<F, T, E> Refresh for FnRefresher<F>
where
    F: Fn() -> Result<T, E> + Send + Sync + 'static,
    T: IntoAccessToken,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn refresh(&self) -> Result<AccessToken, TokenRefreshError> {
        TokenRefreshError::from_refresher((self.0)())
    }
}

/// The state every clone of a credential and its background thread share.
pub(super) struct Shared {
    /// `None` for a fixed token.
    refresher: Option<Arc<dyn Refresh>>,
    state: SharedCredentialState,
    /// Signalled, with `state` locked, when the state changed or the credential closed.
    changed: Condvar,
    /// The single flight: whoever holds it refreshes; the others wait for it, then read the outcome.
    refreshing: Mutex<()>,
}

impl Shared {
    pub(super) fn new(
        refresher: Option<Arc<dyn Refresh>>,
        state: CredentialState,
        clock: CredentialClock,
    ) -> Self {
        Self {
            refresher,
            state: SharedCredentialState::new(state, clock),
            changed: Condvar::new(),
            refreshing: Mutex::new(()),
        }
    }

    pub(super) fn get_token(&self) -> Result<AccessToken, Error> {
        let ticket = match self.state.on_demand(None)? {
            Demand::Use(token) => return Ok(token),
            Demand::Refresh(ticket) => ticket,
        };
        // The state never asks to refresh a fixed token, the only kind without a refresher.
        let Some(refresher) = &self.refresher else {
            return Err(closed());
        };
        let _turn = lock(&self.refreshing);
        if let Demand::Use(token) = self.state.on_demand(Some(ticket))? {
            return Ok(token);
        }
        self.refresh(refresher.as_ref()).map_err(Error::credential)
    }

    /// Runs the refresher and records its outcome. The caller holds the single flight.
    fn refresh(&self, refresher: &dyn Refresh) -> Result<AccessToken, TokenRefreshError> {
        let result = refresher.refresh();
        crate::events::refreshed(&result);
        let outcome = self
            .state
            .complete(result, acs_identity_core::random_unit());
        self.changed.notify_all();
        outcome
    }

    /// Starts the background thread; it holds the shared state until the credential closes.
    pub(super) fn start_proactive(shared: &Arc<Self>) -> std::io::Result<()> {
        let shared = Arc::clone(shared);
        // Detached: it ends by itself when the credential closes, so dropping never waits for it.
        std::thread::Builder::new()
            .name("acs-token-refresh".into())
            .spawn(move || run_proactive(&shared))
            .map(drop)
    }

    pub(super) fn close(&self) {
        self.state.close();
        self.changed.notify_all();
    }

    pub(super) fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// What `Debug` shows of the credential.
    pub(super) fn state(&self) -> &SharedCredentialState {
        &self.state
    }
}

/// The background thread: waits for the next proactive refresh (or a change), refreshes, again, until closed.
fn run_proactive(shared: &Shared) {
    let Some(refresher) = shared.refresher.clone() else {
        return;
    };
    let mut state = shared.state.lock();
    loop {
        match state.proactive(shared.state.now()) {
            Proactive::Wait(delay) => {
                state = shared
                    .changed
                    .wait_timeout(state, delay)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            Proactive::Refresh(ticket) => {
                drop(state);
                let turn = lock(&shared.refreshing);
                // Skipped when a caller refreshed meanwhile.
                if shared.state.is_current(ticket) {
                    let _ = shared.refresh(refresher.as_ref());
                }
                drop(turn);
                state = shared.state.lock();
            }
            _ => return,
        }
    }
}

/// Locks `mutex`; a poisoned lock (a refresher panicked) still guards consistent state.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn closed() -> Error {
    Error::credential(TokenRefreshError::Closed)
}
