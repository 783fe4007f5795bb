//! Request rates per user and per client address: a fixed window per key.
//!
//! A fixed window (count requests per key in `[start, start + window)`) is what one atomic `INCR` plus
//! `EXPIRE` does in Redis, so the in-memory counter here and a shared one count the same way. At a
//! window's edge a caller may get up to twice the limit within one window's time; the limits are for
//! abuse, not for billing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// The most keys kept in memory; past it, finished windows are dropped, then (if still full) all.
const MAX_KEYS: usize = 100_000;

/// Whether a request may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Allowed,
    /// Over the limit: try again after this long.
    Limited(Duration),
    /// The shared counter is out of reach and the limits fail closed.
    Unavailable,
}

/// Counts requests per key, in this process.
#[derive(Debug, Default)]
pub(crate) struct MemoryLimiter {
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

impl MemoryLimiter {
    /// Counts one request of `key` at `now`.
    pub(crate) fn check(&self, key: &str, limit: RateLimit, now: Instant) -> Decision {
        // A poisoned lock only means another request panicked mid-update; the counts are still usable.
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= MAX_KEYS && !windows.contains_key(key) {
            windows
                .retain(|_, window| now.saturating_duration_since(window.started) < limit.window);
            if windows.len() >= MAX_KEYS {
                windows.clear();
            }
        }
        let window = windows.entry(key.to_owned()).or_insert(Window {
            started: now,
            count: 0,
        });
        let elapsed = now.saturating_duration_since(window.started);
        if elapsed >= limit.window {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        if window.count >= limit.requests {
            let wait = limit
                .window
                .saturating_sub(now.saturating_duration_since(window.started));
            return Decision::Limited(wait.max(Duration::from_secs(1)));
        }
        window.count += 1;
        Decision::Allowed
    }
}

/// `Retry-After` in whole seconds, rounded up.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        requests: 3,
        window: Duration::from_secs(10),
    };

    #[test]
    fn counts_per_key_within_a_window() {
        let limiter = MemoryLimiter::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check("a", LIMIT, start), Decision::Allowed);
        }
        assert_eq!(
            limiter.check("a", LIMIT, start + Duration::from_secs(4)),
            Decision::Limited(Duration::from_secs(6))
        );
        assert_eq!(limiter.check("b", LIMIT, start), Decision::Allowed);
        assert_eq!(
            limiter.check("a", LIMIT, start + Duration::from_secs(10)),
            Decision::Allowed
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = MemoryLimiter::default();
        let now = Instant::now();
        for index in 0..(MAX_KEYS + 10) {
            limiter.check(&index.to_string(), LIMIT, now);
        }
        assert!(limiter.windows.lock().unwrap().len() <= MAX_KEYS);
    }
}
