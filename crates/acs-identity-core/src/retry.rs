//! The retry decision: a pure function of what happened, how often, how long, and the caller's jitter.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

/// How persistently to retry. The defaults are the Azure SDK guidelines' (3 retries, 0.8 s
/// initial delay, 60 s maximum delay) plus a 2 minute budget for the whole call.
///
/// ```
/// use std::time::Duration;
/// use acs_identity_core::RetryOptions;
///
/// let retry = RetryOptions::default().max_retries(5).max_total(Duration::from_secs(30));
/// assert_eq!(retry.initial_delay, Duration::from_millis(800));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryOptions {
    /// Retries after the first attempt (`0` disables retrying).
    pub max_retries: u32,
    /// The delay before the first retry; it doubles for each further retry.
    pub initial_delay: Duration,
    /// The longest single delay, also the cap on a server's `Retry-After` that fits in
    /// [`max_total`](Self::max_total). A server asking for longer than what is left of `max_total` ends the
    /// call at once (see [`RetryPolicy::decide`]).
    pub max_delay: Duration,
    /// No retry is scheduled that would end after this much time since the call began.
    pub max_total: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            max_total: Duration::from_secs(120),
        }
    }
}

impl RetryOptions {
    /// No retries at all: the first attempt's outcome is the call's.
    pub fn none() -> Self {
        Self::default().max_retries(0)
    }

    /// Sets [`max_retries`](Self::max_retries).
    #[must_use]
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets [`initial_delay`](Self::initial_delay).
    #[must_use]
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// Sets [`max_delay`](Self::max_delay).
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets [`max_total`](Self::max_total).
    #[must_use]
    pub fn max_total(mut self, budget: Duration) -> Self {
        self.max_total = budget;
        self
    }
}

/// What the last attempt ended with.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Outcome<'a> {
    /// The service answered.
    Response {
        /// The response status.
        status: StatusCode,
        /// The response headers (for `Retry-After` and friends).
        headers: &'a HeaderMap,
    },
    /// The transport failed; `may_have_been_sent` is `false` only if the request surely never left.
    Transport {
        /// Whether the request may have reached the service.
        may_have_been_sent: bool,
    },
    /// The attempt timed out (the request may have reached the service).
    Timeout,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Sign the request again and resend it after this delay.
    RetryAfter(Duration),
    /// Return the last outcome to the caller.
    Stop,
}

/// The retry policy (see [`RetryPolicy::decide`] for the rules).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use acs_identity_core::{Outcome, RetryDecision, RetryOptions, RetryPolicy};
///
/// let policy = RetryPolicy::new(RetryOptions::default());
/// let mut headers = http::HeaderMap::new();
/// headers.insert("retry-after", http::HeaderValue::from_static("2"));
/// let outcome = Outcome::Response { status: http::StatusCode::TOO_MANY_REQUESTS, headers: &headers };
/// let decision = policy.decide(1, Duration::ZERO, &outcome, false, 0.5, SystemTime::UNIX_EPOCH);
/// assert_eq!(decision, RetryDecision::RetryAfter(Duration::from_secs(2)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryPolicy {
    options: RetryOptions,
}

/// `Retry-After` in milliseconds, the Azure way; checked before the standard header.
const RETRY_AFTER_MS: [&str; 2] = ["retry-after-ms", "x-ms-retry-after-ms"];

/// The policy's decision, with why it stops when the server asked to wait too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Retry after `delay`; `asked` is the server's own delay, before the `max_delay` cap.
    Retry {
        delay: Duration,
        asked: Option<Duration>,
    },
    /// The server asked to wait `asked`, longer than the `left` of `max_total`.
    BeyondBudget { asked: Duration, left: Duration },
    /// No retry.
    Stop,
}

impl RetryPolicy {
    /// A policy with these options.
    pub fn new(options: RetryOptions) -> Self {
        Self { options }
    }

    /// The options of this policy.
    pub fn options(&self) -> &RetryOptions {
        &self.options
    }

    /// Decides whether to retry after attempt number `attempt` (1 for the first) ended with
    /// `outcome`, `elapsed` after the call began.
    ///
    /// Rules:
    /// - Retryable: statuses 408, 429, 500, 502, 503, 504, transport failures and timeouts.
    /// - A request that may have been processed (a 500/502/503/504 answer, a timeout, a transport
    ///   failure after sending) is retried only when `idempotent`. 408 and 429 mean the service
    ///   refused the request without acting on it, and a request that was never sent had no effect:
    ///   those are retried whatever the operation.
    /// - The delay is the server's `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After`
    ///   (seconds or HTTP date, against `now`), in that order, capped by `max_delay`; otherwise
    ///   `initial_delay * 2^(attempt-1)` scaled by `0.8 + 0.4 * jitter` (`jitter` in `0..=1`,
    ///   drawn by the caller), capped by `max_delay`.
    /// - At most `max_retries` retries, and none that would end after `max_total`.
    /// - A server delay longer than what is left of `max_total` stops at once: waiting the capped
    ///   delay would only lead to a retry the server said it would refuse. ([`Call`](crate::Call)
    ///   marks the error it ends with; see
    ///   [`ServiceError::retry_after_beyond_budget`](crate::ServiceError::retry_after_beyond_budget).)
    pub fn decide(
        &self,
        attempt: u32,
        elapsed: Duration,
        outcome: &Outcome<'_>,
        idempotent: bool,
        jitter: f64,
        now: SystemTime,
    ) -> RetryDecision {
        match self.verdict(attempt, elapsed, outcome, idempotent, jitter, now) {
            Verdict::Retry { delay, .. } => RetryDecision::RetryAfter(delay),
            Verdict::BeyondBudget { .. } | Verdict::Stop => RetryDecision::Stop,
        }
    }

    /// [`decide`](Self::decide), saying why it stops when the server asked to wait too long.
    pub(crate) fn verdict(
        &self,
        attempt: u32,
        elapsed: Duration,
        outcome: &Outcome<'_>,
        idempotent: bool,
        jitter: f64,
        now: SystemTime,
    ) -> Verdict {
        let retryable = match *outcome {
            Outcome::Response { status, .. } => match status.as_u16() {
                408 | 429 => true,
                500 | 502 | 503 | 504 => idempotent,
                _ => false,
            },
            Outcome::Transport { may_have_been_sent } => idempotent || !may_have_been_sent,
            Outcome::Timeout => idempotent,
        };
        if !retryable || attempt.max(1) > self.options.max_retries {
            return Verdict::Stop;
        }
        let asked = match *outcome {
            Outcome::Response { headers, .. } => retry_after(headers, now),
            _ => None,
        };
        let left = self.options.max_total.saturating_sub(elapsed);
        if let Some(asked) = asked
            && asked > left
        {
            return Verdict::BeyondBudget { asked, left };
        }
        let delay = asked
            .unwrap_or_else(|| self.backoff(attempt, jitter))
            .min(self.options.max_delay);
        match elapsed.checked_add(delay) {
            Some(end) if end <= self.options.max_total => Verdict::Retry { delay, asked },
            _ => Verdict::Stop,
        }
    }

    fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.max(1) - 1;
        let base = 2u32
            .checked_pow(doublings)
            .and_then(|factor| self.options.initial_delay.checked_mul(factor))
            .unwrap_or(self.options.max_delay)
            .min(self.options.max_delay);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.5
        };
        Duration::try_from_secs_f64(base.as_secs_f64() * (0.8 + 0.4 * jitter)).unwrap_or(base)
    }
}

/// The delay a response asks for, if it asks in a form we understand.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    for name in RETRY_AFTER_MS {
        if let Some(delay) = text(name)
            .and_then(parse_number)
            .and_then(|ms| Duration::try_from_secs_f64(ms / 1e3).ok())
        {
            return Some(delay);
        }
    }
    let value = text(http::header::RETRY_AFTER.as_str())?;
    if let Some(seconds) = parse_number(value) {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A non-negative, finite, not absurdly large number (fractions allowed).
fn parse_number(text: &str) -> Option<f64> {
    let number = text.parse::<f64>().ok()?;
    (number.is_finite() && (0.0..=1e12).contains(&number)).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const SECS: fn(u64) -> Duration = Duration::from_secs;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    http::HeaderName::from_static(name),
                    http::HeaderValue::from_str(value).unwrap(),
                )
            })
            .collect()
    }

    fn now() -> SystemTime {
        // Sun, 06 Nov 1994 08:49:37 GMT
        SystemTime::UNIX_EPOCH + SECS(784_111_777)
    }

    fn decide_status(status: u16, idempotent: bool) -> RetryDecision {
        let headers = HeaderMap::new();
        let outcome = Outcome::Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: &headers,
        };
        RetryPolicy::default().decide(1, Duration::ZERO, &outcome, idempotent, 0.5, now())
    }

    #[test]
    fn which_statuses_are_retried() {
        let retry = RetryDecision::RetryAfter(MS(800));
        // (status, retried when idempotent, retried when not idempotent)
        let table = [
            (200, false, false),
            (201, false, false),
            (204, false, false),
            (400, false, false),
            (401, false, false),
            (403, false, false),
            (404, false, false),
            (409, false, false),
            (408, true, true),
            (429, true, true),
            (500, true, false),
            (501, false, false),
            (502, true, false),
            (503, true, false),
            (504, true, false),
            (505, false, false),
        ];
        for (status, idempotent, not_idempotent) in table {
            let expect = |retried: bool| if retried { retry } else { RetryDecision::Stop };
            assert_eq!(
                decide_status(status, true),
                expect(idempotent),
                "{status} idempotent"
            );
            assert_eq!(
                decide_status(status, false),
                expect(not_idempotent),
                "{status} not idempotent"
            );
        }
    }

    #[test]
    fn transport_failures_and_timeouts() {
        let policy = RetryPolicy::default();
        let retry = RetryDecision::RetryAfter(MS(800));
        // (outcome, idempotent, expected)
        let table = [
            (
                Outcome::Transport {
                    may_have_been_sent: false,
                },
                false,
                retry,
            ),
            (
                Outcome::Transport {
                    may_have_been_sent: false,
                },
                true,
                retry,
            ),
            (
                Outcome::Transport {
                    may_have_been_sent: true,
                },
                true,
                retry,
            ),
            (
                Outcome::Transport {
                    may_have_been_sent: true,
                },
                false,
                RetryDecision::Stop,
            ),
            (Outcome::Timeout, true, retry),
            (Outcome::Timeout, false, RetryDecision::Stop),
        ];
        for (outcome, idempotent, expected) in table {
            assert_eq!(
                policy.decide(1, Duration::ZERO, &outcome, idempotent, 0.5, now()),
                expected,
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn server_delays_in_all_forms() {
        // (headers, expected delay)
        let table: [(&[(&'static str, &str)], Duration); 12] = [
            (&[("retry-after-ms", "1500")], MS(1500)),
            (&[("x-ms-retry-after-ms", "250")], MS(250)),
            (&[("retry-after", "7")], SECS(7)),
            (&[("retry-after", " 2.5 ")], MS(2500)),
            (
                &[("retry-after", "Sun, 06 Nov 1994 08:49:47 GMT")],
                SECS(10),
            ),
            // A date in the past: retry at once.
            (
                &[("retry-after", "Sun, 06 Nov 1994 08:49:00 GMT")],
                Duration::ZERO,
            ),
            (&[("retry-after", "0")], Duration::ZERO),
            // Order of precedence.
            (
                &[
                    ("retry-after", "9"),
                    ("x-ms-retry-after-ms", "100"),
                    ("retry-after-ms", "200"),
                ],
                MS(200),
            ),
            (
                &[("retry-after", "9"), ("x-ms-retry-after-ms", "100")],
                MS(100),
            ),
            // Capped by max_delay, when it fits in the 120 s budget.
            (&[("retry-after", "90")], SECS(60)),
            // Unusable values fall through to the next header, then to the backoff.
            (&[("retry-after-ms", "soon"), ("retry-after", "3")], SECS(3)),
            (&[("retry-after", "-1")], MS(800)),
        ];
        for (pairs, expected) in table {
            let headers = headers(pairs);
            let outcome = Outcome::Response {
                status: StatusCode::SERVICE_UNAVAILABLE,
                headers: &headers,
            };
            let decision =
                RetryPolicy::default().decide(1, Duration::ZERO, &outcome, true, 0.5, now());
            assert_eq!(decision, RetryDecision::RetryAfter(expected), "{pairs:?}");
        }
    }

    #[test]
    fn exponential_backoff_with_jitter() {
        let policy = RetryPolicy::new(RetryOptions {
            max_retries: 10,
            max_total: SECS(10_000),
            ..Default::default()
        });
        let outcome = Outcome::Transport {
            may_have_been_sent: false,
        };
        // (attempt, jitter, expected)
        let table = [
            (1, 0.5, MS(800)),
            (2, 0.5, MS(1600)),
            (3, 0.5, MS(3200)),
            (1, 0.0, MS(640)),
            (1, 1.0, MS(960)),
            (1, 7.0, MS(960)),
            (1, -3.0, MS(640)),
            (1, f64::NAN, MS(800)),
            (0, 0.5, MS(800)),
            // 0.8 s * 2^7 = 102.4 s, capped at 60 s both before and after jitter.
            (8, 1.0, SECS(60)),
            (10, 0.0, SECS(48)),
        ];
        for (attempt, jitter, expected) in table {
            let decision = policy.decide(attempt, Duration::ZERO, &outcome, false, jitter, now());
            assert_eq!(
                decision,
                RetryDecision::RetryAfter(expected),
                "attempt {attempt} jitter {jitter}"
            );
        }
        // Huge attempt numbers do not overflow.
        let huge = RetryPolicy::new(RetryOptions {
            max_retries: u32::MAX,
            max_total: Duration::MAX,
            ..Default::default()
        });
        assert_eq!(
            huge.decide(u32::MAX, Duration::ZERO, &outcome, false, 0.0, now()),
            RetryDecision::RetryAfter(SECS(48))
        );
    }

    #[test]
    fn attempts_and_total_time_are_bounded() {
        let policy = RetryPolicy::default();
        let outcome = Outcome::Timeout;
        let decide = |attempt, elapsed| policy.decide(attempt, elapsed, &outcome, true, 0.5, now());
        assert_eq!(
            decide(3, Duration::ZERO),
            RetryDecision::RetryAfter(MS(3200))
        );
        assert_eq!(decide(4, Duration::ZERO), RetryDecision::Stop);
        assert_eq!(decide(1, MS(119_500)), RetryDecision::Stop);
        assert_eq!(decide(1, MS(119_200)), RetryDecision::RetryAfter(MS(800)));
        assert_eq!(decide(1, Duration::MAX), RetryDecision::Stop);

        let never = RetryPolicy::new(RetryOptions {
            max_retries: 0,
            ..Default::default()
        });
        assert_eq!(
            never.decide(1, Duration::ZERO, &outcome, true, 0.5, now()),
            RetryDecision::Stop
        );

        // A server delay beyond the remaining budget stops too.
        let headers = headers(&[("retry-after", "30")]);
        let throttled = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            headers: &headers,
        };
        assert_eq!(
            policy.decide(1, SECS(100), &throttled, false, 0.5, now()),
            RetryDecision::Stop
        );
        assert_eq!(
            policy.decide(1, SECS(90), &throttled, false, 0.5, now()),
            RetryDecision::RetryAfter(SECS(30))
        );
    }

    #[test]
    fn a_server_delay_beyond_the_budget_stops_at_once_in_every_form() {
        let policy = RetryPolicy::default();
        // (headers, elapsed, expected): the default budget is 120 s, max_delay 60 s.
        type Row = (&'static [(&'static str, &'static str)], u64, Verdict);
        let table: [Row; 12] = [
            (
                &[("retry-after", "3600")],
                0,
                Verdict::BeyondBudget {
                    asked: SECS(3600),
                    left: SECS(120),
                },
            ),
            (
                &[("retry-after-ms", "3600000")],
                0,
                Verdict::BeyondBudget {
                    asked: SECS(3600),
                    left: SECS(120),
                },
            ),
            (
                &[("x-ms-retry-after-ms", "3600000")],
                0,
                Verdict::BeyondBudget {
                    asked: SECS(3600),
                    left: SECS(120),
                },
            ),
            // An HTTP date an hour after `now`.
            (
                &[("retry-after", "Sun, 06 Nov 1994 09:49:37 GMT")],
                0,
                Verdict::BeyondBudget {
                    asked: SECS(3600),
                    left: SECS(120),
                },
            ),
            // What is left, not the whole budget, is what counts.
            (
                &[("retry-after", "30")],
                100,
                Verdict::BeyondBudget {
                    asked: SECS(30),
                    left: SECS(20),
                },
            ),
            (
                &[("retry-after-ms", "20001")],
                100,
                Verdict::BeyondBudget {
                    asked: MS(20_001),
                    left: SECS(20),
                },
            ),
            (
                &[("x-ms-retry-after-ms", "20000")],
                100,
                Verdict::Retry {
                    delay: SECS(20),
                    asked: Some(SECS(20)),
                },
            ),
            // Within the budget but over max_delay: capped, as before.
            (
                &[("retry-after", "119")],
                0,
                Verdict::Retry {
                    delay: SECS(60),
                    asked: Some(SECS(119)),
                },
            ),
            // The precedence holds: the millisecond header decides, even when Retry-After is huge.
            (
                &[("retry-after", "3600"), ("retry-after-ms", "10")],
                0,
                Verdict::Retry {
                    delay: MS(10),
                    asked: Some(MS(10)),
                },
            ),
            (
                &[("retry-after", "1"), ("x-ms-retry-after-ms", "99999999")],
                0,
                Verdict::BeyondBudget {
                    asked: MS(99_999_999),
                    left: SECS(120),
                },
            ),
            // Past the budget already: any positive delay is beyond it.
            (
                &[("retry-after", "1")],
                200,
                Verdict::BeyondBudget {
                    asked: SECS(1),
                    left: Duration::ZERO,
                },
            ),
            // No hint: the backoff, as before.
            (
                &[],
                0,
                Verdict::Retry {
                    delay: MS(800),
                    asked: None,
                },
            ),
        ];
        for (pairs, elapsed, expected) in table {
            let headers = headers(pairs);
            let outcome = Outcome::Response {
                status: StatusCode::SERVICE_UNAVAILABLE,
                headers: &headers,
            };
            let verdict = policy.verdict(1, SECS(elapsed), &outcome, true, 0.5, now());
            assert_eq!(verdict, expected, "{pairs:?} at {elapsed} s");
            // The public decision stops whenever the verdict is beyond the budget.
            let decision = policy.decide(1, SECS(elapsed), &outcome, true, 0.5, now());
            match expected {
                Verdict::Retry { delay, .. } => {
                    assert_eq!(decision, RetryDecision::RetryAfter(delay))
                }
                _ => assert_eq!(decision, RetryDecision::Stop),
            }
        }
        // A status that is not retried, or no attempts left, is a plain stop whatever the server asks.
        let headers = headers(&[("retry-after", "3600")]);
        let refused = Outcome::Response {
            status: StatusCode::BAD_REQUEST,
            headers: &headers,
        };
        assert_eq!(
            policy.verdict(1, Duration::ZERO, &refused, true, 0.5, now()),
            Verdict::Stop
        );
        let throttled = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            headers: &headers,
        };
        assert_eq!(
            policy.verdict(4, Duration::ZERO, &throttled, true, 0.5, now()),
            Verdict::Stop
        );
    }
}
