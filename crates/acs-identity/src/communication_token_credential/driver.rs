//! Drives the core's refresh schedule: reads the clock, runs the refresher one caller at a time, and runs the
//! proactive refreshes on one tokio task.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use acs_identity_core::{
    Error, OnDemand, Proactive, RefreshPolicy, RefreshSchedule, TokenRefreshError,
};
use acs_identity_types::AccessToken;
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};

use super::refresher::Refresh;

/// What time it is.
pub(super) type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The state every clone of a credential and its background task share.
pub(super) struct Shared {
    /// `None` for a fixed token.
    refresher: Option<Arc<dyn Refresh>>,
    /// When the fixed token expires (`None` when refreshing).
    fixed_expiry: Option<OffsetDateTime>,
    proactive: bool,
    clock: Clock,
    schedule: Mutex<RefreshSchedule>,
    /// The single flight: whoever holds it refreshes; the others wait for it, then read the outcome.
    refreshing: tokio::sync::Mutex<()>,
    /// Wakes the background task when the schedule changed.
    changed: Notify,
    /// `true` once closed: ends waits and the refresh in flight.
    closed: watch::Sender<bool>,
    task_started: AtomicBool,
}

impl Shared {
    pub(super) fn fixed(token: AccessToken, clock: Clock) -> Self {
        let fixed_expiry = Some(token.expires_on());
        let schedule = RefreshSchedule::new(RefreshPolicy::default(), Some(token), false, clock());
        Self {
            fixed_expiry,
            ..Self::new(None, schedule, false, clock)
        }
    }

    pub(super) fn refreshing(
        refresher: Arc<dyn Refresh>,
        policy: RefreshPolicy,
        initial_token: Option<AccessToken>,
        proactive: bool,
        clock: Clock,
    ) -> Self {
        let schedule = RefreshSchedule::new(policy, initial_token, proactive, clock());
        Self::new(Some(refresher), schedule, proactive, clock)
    }

    fn new(
        refresher: Option<Arc<dyn Refresh>>,
        schedule: RefreshSchedule,
        proactive: bool,
        clock: Clock,
    ) -> Self {
        Self {
            refresher,
            fixed_expiry: None,
            proactive,
            clock,
            schedule: Mutex::new(schedule),
            refreshing: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
            closed: watch::channel(false).0,
            task_started: AtomicBool::new(false),
        }
    }

    pub(super) async fn get_token(&self) -> Result<AccessToken, Error> {
        let Some(refresher) = &self.refresher else {
            return self.fixed_token();
        };
        let ticket = match self.schedule().on_demand(self.now(), None) {
            OnDemand::Use(token) => return Ok(token.clone()),
            OnDemand::Refresh(ticket) => ticket,
            OnDemand::Failed(error) => return Err(Error::credential(error.clone())),
            _ => return Err(closed()),
        };
        let mut closed_rx = self.closed.subscribe();
        let _turn = tokio::select! {
            biased;
            _ = closed_rx.wait_for(|closed| *closed) => return Err(closed()),
            turn = self.refreshing.lock() => turn,
        };
        match self.schedule().on_demand(self.now(), Some(ticket)) {
            OnDemand::Use(token) => return Ok(token.clone()),
            OnDemand::Failed(error) => return Err(Error::credential(error.clone())),
            OnDemand::Refresh(_) => {}
            _ => return Err(closed()),
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
        match &result {
            Ok(token) => tracing::debug!(expires_on = %token.expires_on(), "ACS token refreshed"),
            Err(TokenRefreshError::Closed) => {
                tracing::debug!("ACS token refresh cancelled: the credential closed")
            }
            Err(error) => tracing::warn!(
                error = %error,
                cause = std::error::Error::source(error).map(tracing::field::display),
                "ACS token refresh failed"
            ),
        }
        let now = self.now();
        let outcome = self.schedule().complete(result, now, rand::random());
        self.changed.notify_one();
        outcome
    }

    fn fixed_token(&self) -> Result<AccessToken, Error> {
        let now = self.now();
        let schedule = self.schedule();
        if schedule.is_closed() {
            return Err(closed());
        }
        match schedule.current(now) {
            Some(token) => Ok(token.clone()),
            None => {
                let expired_on = self.fixed_expiry.unwrap_or(now);
                Err(Error::credential(TokenRefreshError::StaticTokenExpired {
                    expired_on,
                }))
            }
        }
    }

    /// Starts the background task if the credential refreshes proactively, a runtime is at hand and it has
    /// not started yet.
    pub(super) fn start_proactive(self: &Arc<Self>) {
        if !self.proactive || self.task_started.load(Ordering::Acquire) {
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
        self.schedule().close();
        self.closed.send_replace(true);
        self.changed.notify_one();
    }

    pub(super) fn is_closed(&self) -> bool {
        self.schedule().is_closed()
    }

    fn schedule(&self) -> MutexGuard<'_, RefreshSchedule> {
        // The schedule never panics while locked; a poisoned lock still holds a consistent schedule.
        self.schedule.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = if self.refresher.is_none() {
            "fixed token"
        } else {
            "refreshing"
        };
        let schedule = self.schedule();
        f.debug_struct("CommunicationTokenCredential")
            .field("mode", &mode)
            .field("proactive", &self.proactive)
            .field(
                "expires_on",
                &schedule.current(self.now()).map(AccessToken::expires_on),
            )
            .field("closed", &schedule.is_closed())
            .finish_non_exhaustive()
    }
}

/// The background task: sleeps until the next proactive refresh, refreshes, again, until closed.
async fn run_proactive(shared: Arc<Shared>) {
    let Some(refresher) = shared.refresher.clone() else {
        return;
    };
    let mut closed_rx = shared.closed.subscribe();
    loop {
        let step = shared.schedule().proactive(shared.now());
        match step {
            Proactive::Refresh(ticket) => {
                let _turn = tokio::select! {
                    biased;
                    _ = closed_rx.wait_for(|closed| *closed) => return,
                    turn = shared.refreshing.lock() => turn,
                };
                // Skipped when a caller refreshed meanwhile.
                if shared.schedule().is_current(ticket) {
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
