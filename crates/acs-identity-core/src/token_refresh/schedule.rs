//! The refresh schedule of a communication token credential: a pure state machine.

use std::time::Duration;

use acs_identity_types::AccessToken;
use time::OffsetDateTime;

use super::error::TokenRefreshError;

/// The timings of a [`RefreshSchedule`]. The defaults are the official SDKs' (10 and 2 minutes)
/// plus the retry rules they lack. `#[non_exhaustive]`: start from `RefreshPolicy::default()` and set fields
/// with the builder methods (`RefreshPolicy::default().proactive_margin(Duration::from_secs(300))`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshPolicy {
    /// A proactive refresh happens this long before the token expires. Default: 10 minutes.
    pub proactive_margin: Duration,
    /// A caller asking this close to the expiry (or later) refreshes first. Default: 2 minutes.
    pub on_demand_margin: Duration,
    /// The shortest wait after a refresh that returned a token already inside a margin (such a
    /// token is refreshed again after half its remaining lifetime). Default: 5 seconds.
    pub min_interval: Duration,
    /// The wait after a first failed refresh; it doubles with each further failure. Default: 2 s.
    pub retry_initial_delay: Duration,
    /// The longest wait between failed refreshes. Default: 2 minutes.
    pub retry_max_delay: Duration,
    /// The longest single wait of the proactive refresher, so that a jump of the wall clock (a
    /// resumed laptop, a corrected clock) is noticed within it. Default: 5 minutes.
    pub max_wait: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            proactive_margin: Duration::from_secs(10 * 60),
            on_demand_margin: Duration::from_secs(2 * 60),
            min_interval: Duration::from_secs(5),
            retry_initial_delay: Duration::from_secs(2),
            retry_max_delay: Duration::from_secs(2 * 60),
            max_wait: Duration::from_secs(5 * 60),
        }
    }
}

impl RefreshPolicy {
    /// Sets [`proactive_margin`](Self::proactive_margin).
    #[must_use]
    pub fn proactive_margin(mut self, value: Duration) -> Self {
        self.proactive_margin = value;
        self
    }

    /// Sets [`on_demand_margin`](Self::on_demand_margin).
    #[must_use]
    pub fn on_demand_margin(mut self, value: Duration) -> Self {
        self.on_demand_margin = value;
        self
    }

    /// Sets [`min_interval`](Self::min_interval).
    #[must_use]
    pub fn min_interval(mut self, value: Duration) -> Self {
        self.min_interval = value;
        self
    }

    /// Sets [`retry_initial_delay`](Self::retry_initial_delay).
    #[must_use]
    pub fn retry_initial_delay(mut self, value: Duration) -> Self {
        self.retry_initial_delay = value;
        self
    }

    /// Sets [`retry_max_delay`](Self::retry_max_delay).
    #[must_use]
    pub fn retry_max_delay(mut self, value: Duration) -> Self {
        self.retry_max_delay = value;
        self
    }

    /// Sets [`max_wait`](Self::max_wait).
    #[must_use]
    pub fn max_wait(mut self, value: Duration) -> Self {
        self.max_wait = value;
        self
    }
}

/// Identifies the refreshes completed when a caller decided to refresh, so that after waiting for
/// a refresh in flight it can tell whether that one answered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshTicket(u64);

/// What a caller asking for a token does.
#[derive(Debug)]
#[non_exhaustive]
pub enum OnDemand<'a> {
    /// Use this token.
    Use(&'a AccessToken),
    /// Refresh (one caller at a time), then ask again with the ticket.
    Refresh(RefreshTicket),
    /// The refresh this caller waited for failed: report this error.
    Failed(&'a TokenRefreshError),
    /// The credential is closed.
    Closed,
}

/// What the proactive refresher does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proactive {
    /// Refresh now, unless a refresh completed since the ticket (see [`RefreshSchedule::is_current`]).
    Refresh(RefreshTicket),
    /// Sleep this long (or until the schedule changes), then ask again.
    Wait(Duration),
    /// Stop: the credential is closed or refreshes only on demand.
    Stop,
}

/// When a communication token credential refreshes its token: time in, decision out.
///
/// Rules (with the default [`RefreshPolicy`]):
/// - **On demand.** A caller gets the cached token unless it is within 2 minutes of its expiry (or
///   past it); then it refreshes. Concurrent callers share one refresh: whoever waited for a refresh
///   in flight gets its outcome ([`OnDemand::Failed`] on failure) instead of starting another.
/// - **Proactive** (when enabled): a refresh 10 minutes before the expiry, and at once when there is
///   no token. Waits are at most 5 minutes long, so wall-clock jumps are noticed.
/// - **A token already inside a margin** (the refresher returned one expiring within 10 minutes, or
///   within 2 for callers) is refreshed again after half its remaining lifetime (at least 5 seconds,
///   never after it expires), not in a loop.
/// - **An expired token** from the refresher is an error ([`TokenRefreshError::ExpiredToken`]).
/// - **Failures** are retried after 2 s, doubling up to 2 minutes, scaled by `0.8 + 0.4 * jitter`
///   (bounded by that maximum). Proactive refreshing keeps retrying; while the previous token is
///   still valid, callers get it and refresh again only when the retry is due; once it has
///   expired, every caller refreshes.
/// - **Closed**: no more tokens; the proactive refresher stops. The token is dropped.
///
/// ```
/// use acs_identity_core::{OnDemand, Proactive, RefreshPolicy, RefreshSchedule};
/// use acs_identity_types::AccessToken;
/// use time::macros::datetime;
/// use std::time::Duration;
///
/// let now = datetime!(2025-04-14 12:00 UTC);
/// let token = AccessToken::new("eyJ...", datetime!(2025-04-14 13:00 UTC));
/// let mut schedule = RefreshSchedule::new(RefreshPolicy::default(), Some(token), true, now);
/// assert!(matches!(schedule.on_demand(now, None), OnDemand::Use(_)));
/// // The proactive refresh is due at 12:50; waits are capped at 5 minutes.
/// assert_eq!(schedule.proactive(now), Proactive::Wait(Duration::from_secs(300)));
/// let Proactive::Refresh(ticket) = schedule.proactive(datetime!(2025-04-14 12:50 UTC)) else { panic!() };
/// assert!(schedule.is_current(ticket));
/// let fresh = AccessToken::new("eyJ...", datetime!(2025-04-14 13:50 UTC));
/// let token = schedule.complete(Ok(fresh), datetime!(2025-04-14 12:50 UTC), 0.5)?;
/// assert_eq!(token.expires_on(), datetime!(2025-04-14 13:50 UTC));
/// # Ok::<(), acs_identity_core::TokenRefreshError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RefreshSchedule {
    policy: RefreshPolicy,
    proactive: bool,
    token: Option<AccessToken>,
    /// Until then callers get `token` as it is; `None`: they refresh.
    serve_until: Option<OffsetDateTime>,
    /// When the proactive refresher refreshes next (`None` when it does not run).
    refresh_at: Option<OffsetDateTime>,
    /// Consecutive failed refreshes.
    failures: u32,
    /// Refreshes completed, successful or not.
    completed: u64,
    /// Why the last completed refresh failed, if it did.
    last_failure: Option<TokenRefreshError>,
    closed: bool,
}

impl RefreshSchedule {
    /// A schedule starting with `initial_token` (refreshed at once if it is missing or expired),
    /// refreshing proactively or only on demand.
    pub fn new(
        policy: RefreshPolicy,
        initial_token: Option<AccessToken>,
        proactive: bool,
        now: OffsetDateTime,
    ) -> Self {
        let mut schedule = Self {
            policy,
            proactive,
            token: None,
            serve_until: None,
            refresh_at: proactive.then_some(now),
            failures: 0,
            completed: 0,
            last_failure: None,
            closed: false,
        };
        if let Some(token) = initial_token.filter(|token| !token.is_expired_at(now)) {
            schedule.adopt(token, now);
        }
        schedule
    }

    /// What a caller asking at `now` does. `waited` is the ticket of [`OnDemand::Refresh`] when the
    /// caller asks again after waiting its turn to refresh.
    pub fn on_demand(&self, now: OffsetDateTime, waited: Option<RefreshTicket>) -> OnDemand<'_> {
        if self.closed {
            return OnDemand::Closed;
        }
        let valid = self.current(now);
        if let (Some(token), Some(until)) = (valid, self.serve_until)
            && now < until
        {
            return OnDemand::Use(token);
        }
        if let Some(RefreshTicket(seen)) = waited
            && seen != self.completed
        {
            // A refresh completed while this caller waited: its outcome answers this caller too.
            match (valid, &self.last_failure) {
                (Some(token), _) => return OnDemand::Use(token),
                (None, Some(error)) => return OnDemand::Failed(error),
                (None, None) => {}
            }
        }
        OnDemand::Refresh(RefreshTicket(self.completed))
    }

    /// What the proactive refresher does at `now`.
    pub fn proactive(&self, now: OffsetDateTime) -> Proactive {
        match self.refresh_at {
            Some(_) if self.closed || !self.proactive => Proactive::Stop,
            None => Proactive::Stop,
            Some(at) if at <= now => Proactive::Refresh(RefreshTicket(self.completed)),
            Some(at) => Proactive::Wait(positive(at - now).min(self.policy.max_wait)),
        }
    }

    /// Whether no refresh completed since `ticket` was handed out: a proactive refresh that waited
    /// its turn is skipped otherwise.
    pub fn is_current(&self, ticket: RefreshTicket) -> bool {
        ticket.0 == self.completed
    }

    /// Records the outcome of a refresh that ended at `now`, and returns what its caller gets: the
    /// new token; on failure, the previous token while it is still valid, or the error. `jitter` in
    /// `0..=1` (drawn by the caller) spreads the retry delay.
    pub fn complete(
        &mut self,
        result: Result<AccessToken, TokenRefreshError>,
        now: OffsetDateTime,
        jitter: f64,
    ) -> Result<AccessToken, TokenRefreshError> {
        if self.closed {
            return Err(TokenRefreshError::Closed);
        }
        self.completed += 1;
        let error = match result {
            Ok(token) if token.is_expired_at(now) => TokenRefreshError::ExpiredToken {
                expired_on: token.expires_on(),
            },
            Ok(token) => {
                self.failures = 0;
                self.last_failure = None;
                self.adopt(token.clone(), now);
                return Ok(token);
            }
            Err(error) => error,
        };
        self.failures = self.failures.saturating_add(1);
        self.last_failure = Some(error.clone());
        let retry_at = after(now, self.retry_delay(jitter));
        self.refresh_at = self.proactive.then_some(retry_at);
        match self.current(now).cloned() {
            Some(token) => {
                self.serve_until = Some(retry_at.min(token.expires_on()));
                Ok(token)
            }
            None => {
                self.token = None;
                self.serve_until = None;
                Err(error)
            }
        }
    }

    /// Closes the schedule: callers get [`OnDemand::Closed`], the proactive refresher stops, and
    /// the token is dropped.
    pub fn close(&mut self) {
        self.closed = true;
        self.token = None;
        self.serve_until = None;
        self.refresh_at = None;
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The token, if there is one and it has not expired at `now` (even when it is due for a refresh).
    pub fn current(&self, now: OffsetDateTime) -> Option<&AccessToken> {
        self.token
            .as_ref()
            .filter(|token| !token.is_expired_at(now))
    }

    /// Consecutive failed refreshes so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The policy.
    pub fn policy(&self) -> &RefreshPolicy {
        &self.policy
    }

    /// Takes a valid token and schedules its refreshes.
    fn adopt(&mut self, token: AccessToken, now: OffsetDateTime) {
        let expires_on = token.expires_on();
        let remaining = positive(expires_on - now);
        // A token already inside a margin is refreshed after half its remaining lifetime.
        let inside = after(now, (remaining / 2).max(self.policy.min_interval)).min(expires_on);
        let due = |margin: Duration| {
            if remaining > margin {
                before(expires_on, margin)
            } else {
                inside
            }
        };
        self.serve_until = Some(due(self.policy.on_demand_margin));
        self.refresh_at = self.proactive.then(|| due(self.policy.proactive_margin));
        self.token = Some(token);
    }

    /// `retry_initial_delay * 2^(failures - 1)`, capped, times `0.8 + 0.4 * jitter`, capped again.
    fn retry_delay(&self, jitter: f64) -> Duration {
        let doublings = self.failures.saturating_sub(1).min(20);
        let base = self
            .policy
            .retry_initial_delay
            .saturating_mul(1 << doublings)
            .min(self.policy.retry_max_delay);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.5
        };
        base.mul_f64(0.8 + 0.4 * jitter)
            .min(self.policy.retry_max_delay)
    }
}

/// A non-negative `time` duration as a `std` one (negative ones are zero).
fn positive(duration: time::Duration) -> Duration {
    Duration::try_from(duration).unwrap_or(Duration::ZERO)
}

/// `at + delay`; `at` itself at the edge of the representable range (no panic on absurd expiries).
pub(super) fn after(at: OffsetDateTime, delay: Duration) -> OffsetDateTime {
    time::Duration::try_from(delay)
        .ok()
        .and_then(|delay| at.checked_add(delay))
        .unwrap_or(at)
}

/// `at - delay`; `at` itself at the edge of the representable range.
fn before(at: OffsetDateTime, delay: Duration) -> OffsetDateTime {
    time::Duration::try_from(delay)
        .ok()
        .and_then(|delay| at.checked_sub(delay))
        .unwrap_or(at)
}
