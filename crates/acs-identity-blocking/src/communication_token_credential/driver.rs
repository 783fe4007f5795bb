//! Drives the core's refresh schedule: reads the clock, runs the refresher one caller at a time, and runs the
//! proactive refreshes on one thread that a condition variable wakes when the credential closes.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use acs_identity_core::{
    Error, IntoAccessToken, OnDemand, Proactive, RefreshPolicy, RefreshSchedule, TokenRefreshError,
};
use acs_identity_types::AccessToken;
use time::OffsetDateTime;

/// What time it is.
pub(super) type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

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
        match (self.0)() {
            Ok(token) => token
                .into_access_token()
                .map_err(TokenRefreshError::InvalidToken),
            Err(error) => Err(TokenRefreshError::refresher(error)),
        }
    }
}

/// The state every clone of a credential and its background thread share.
pub(super) struct Shared {
    /// `None` for a fixed token.
    refresher: Option<Arc<dyn Refresh>>,
    /// When the fixed token expires (`None` when refreshing).
    fixed_expiry: Option<OffsetDateTime>,
    proactive: bool,
    clock: Clock,
    schedule: Mutex<RefreshSchedule>,
    /// Signalled, with `schedule` locked, when the schedule changed or the credential closed.
    changed: Condvar,
    /// The single flight: whoever holds it refreshes; the others wait for it, then read the outcome.
    refreshing: Mutex<()>,
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
            changed: Condvar::new(),
            refreshing: Mutex::new(()),
        }
    }

    pub(super) fn get_token(&self) -> Result<AccessToken, Error> {
        let Some(refresher) = &self.refresher else {
            return self.fixed_token();
        };
        let ticket = match self.schedule().on_demand(self.now(), None) {
            OnDemand::Use(token) => return Ok(token.clone()),
            OnDemand::Refresh(ticket) => ticket,
            OnDemand::Failed(error) => return Err(Error::credential(error.clone())),
            _ => return Err(closed()),
        };
        let _turn = lock(&self.refreshing);
        match self.schedule().on_demand(self.now(), Some(ticket)) {
            OnDemand::Use(token) => return Ok(token.clone()),
            OnDemand::Failed(error) => return Err(Error::credential(error.clone())),
            OnDemand::Refresh(_) => {}
            _ => return Err(closed()),
        }
        self.refresh(refresher.as_ref()).map_err(Error::credential)
    }

    /// Runs the refresher and records its outcome. The caller holds the single flight.
    fn refresh(&self, refresher: &dyn Refresh) -> Result<AccessToken, TokenRefreshError> {
        let result = refresher.refresh();
        match &result {
            Ok(token) => tracing::debug!(expires_on = %token.expires_on(), "ACS token refreshed"),
            Err(error) => tracing::warn!(
                error = %error,
                cause = std::error::Error::source(error).map(tracing::field::display),
                "ACS token refresh failed"
            ),
        }
        let now = self.now();
        let outcome = self.schedule().complete(result, now, rand::random());
        self.changed.notify_all();
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
        self.schedule().close();
        self.changed.notify_all();
    }

    pub(super) fn is_closed(&self) -> bool {
        self.schedule().is_closed()
    }

    fn schedule(&self) -> MutexGuard<'_, RefreshSchedule> {
        lock(&self.schedule)
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

/// The background thread: waits for the next proactive refresh (or a change), refreshes, again, until closed.
fn run_proactive(shared: &Shared) {
    let Some(refresher) = shared.refresher.clone() else {
        return;
    };
    let mut schedule = shared.schedule();
    loop {
        match schedule.proactive(shared.now()) {
            Proactive::Wait(delay) => {
                schedule = shared
                    .changed
                    .wait_timeout(schedule, delay)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            Proactive::Refresh(ticket) => {
                drop(schedule);
                let turn = lock(&shared.refreshing);
                // Skipped when a caller refreshed meanwhile.
                if shared.schedule().is_current(ticket) {
                    let _ = shared.refresh(refresher.as_ref());
                }
                drop(turn);
                schedule = shared.schedule();
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
