//! Drives the core's refresh schedule: reads the clock, runs the refresher one caller at a time, and runs the
//! proactive refreshes on one tokio task.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use acs_identity_core::{
    CredentialClock, CredentialState, Demand, Error, Proactive, SharedCredentialState,
    TokenRefreshError,
};
use acs_identity_types::AccessToken;
use tokio::sync::{Notify, watch};

use super::refresher::Refresh;

/// The state every clone of a credential and its background task share.
pub(super) struct Shared {
    /// `None` for a fixed token.
    refresher: Option<Arc<dyn Refresh>>,
    state: SharedCredentialState,
    /// The single flight: whoever holds it refreshes; the others wait for it, then read the outcome.
    refreshing: tokio::sync::Mutex<()>,
    /// Wakes the background task when the state changed.
    changed: Notify,
    /// `true` once closed: ends waits and the refresh in flight.
    closed: watch::Sender<bool>,
    task_started: AtomicBool,
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
            refreshing: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
            closed: watch::channel(false).0,
            task_started: AtomicBool::new(false),
        }
    }

    pub(super) async fn get_token(&self) -> Result<AccessToken, Error> {
        let ticket = match self.state.on_demand(None)? {
            Demand::Use(token) => return Ok(token),
            Demand::Refresh(ticket) => ticket,
        };
        // The state never asks to refresh a fixed token, the only kind without a refresher.
        let Some(refresher) = &self.refresher else {
            return Err(closed());
        };
        let mut closed_rx = self.closed.subscribe();
        let _turn = tokio::select! {
            biased;
            _ = closed_rx.wait_for(|closed| *closed) => return Err(closed()),
            turn = self.refreshing.lock() => turn,
        };
        if let Demand::Use(token) = self.state.on_demand(Some(ticket))? {
            return Ok(token);
        }
        self.refresh(refresher.as_ref(), &mut closed_rx)
            .await
            .map_err(Error::credential)
    }

    /// Runs the refresher (cancelled when the credential closes) and records its outcome. The caller holds
    /// the single flight.
    async fn refresh(
        &self,
        refresher: &dyn Refresh,
        closed_rx: &mut watch::Receiver<bool>,
    ) -> Result<AccessToken, TokenRefreshError> {
        let result = tokio::select! {
            biased;
            _ = closed_rx.wait_for(|closed| *closed) => Err(TokenRefreshError::Closed),
            result = refresher.refresh() => result,
        };
        crate::events::refreshed(&result);
        let outcome = self
            .state
            .complete(result, acs_identity_core::random_unit());
        self.changed.notify_one();
        outcome
    }

    /// Starts the background task if the credential refreshes proactively, a runtime is at hand and it has
    /// not started yet.
    pub(super) fn start_proactive(self: &Arc<Self>) {
        if self.task_started.load(Ordering::Acquire) || !self.state.is_proactive() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if !self.task_started.swap(true, Ordering::AcqRel) {
            // Detached: it ends when the credential closes.
            drop(runtime.spawn(run_proactive(Arc::clone(self))));
        }
    }

    pub(super) fn close(&self) {
        self.state.close();
        self.closed.send_replace(true);
        self.changed.notify_one();
    }

    pub(super) fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// What `Debug` shows of the credential.
    pub(super) fn state(&self) -> &SharedCredentialState {
        &self.state
    }
}

/// The background task: sleeps until the next proactive refresh, refreshes, again, until closed.
async fn run_proactive(shared: Arc<Shared>) {
    let Some(refresher) = shared.refresher.clone() else {
        return;
    };
    let mut closed_rx = shared.closed.subscribe();
    loop {
        match shared.state.proactive() {
            Proactive::Refresh(ticket) => {
                let _turn = tokio::select! {
                    biased;
                    _ = closed_rx.wait_for(|closed| *closed) => return,
                    turn = shared.refreshing.lock() => turn,
                };
                // Skipped when a caller refreshed meanwhile.
                if shared.state.is_current(ticket) {
                    let _ = shared.refresh(refresher.as_ref(), &mut closed_rx).await;
                }
            }
            Proactive::Wait(delay) => tokio::select! {
                biased;
                _ = closed_rx.wait_for(|closed| *closed) => return,
                () = shared.changed.notified() => {}
                () = tokio::time::sleep(delay) => {}
            },
            _ => return,
        }
    }
}

fn closed() -> Error {
    Error::credential(TokenRefreshError::Closed)
}
