//! Per-user throttling with token buckets: a burst of requests, then one more every refill interval.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many token requests a user may make: `burst` at once, then one every `refill_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The bucket's size: requests allowed back to back.
    pub burst: u32,
    /// How long it takes to earn one more request.
    pub refill_every: Duration,
}

impl Default for RateLimit {
    /// 5 at once, then one every 12 seconds (5 a minute).
    fn default() -> Self {
        Self {
            burst: 5,
            refill_every: Duration::from_secs(12),
        }
    }
}

/// One user's bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    available: u32,
    /// When the last whole request was earned (or the bucket was made).
    refilled_at: Instant,
}

/// The buckets of every user who has asked so far. Only authenticated users get a bucket, so the map is
/// bounded by the number of your users.
#[derive(Debug)]
pub(crate) struct Throttle {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Throttle {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `user`'s bucket at `now`: `Ok`, or `Err(how long until one is available)`.
    pub(crate) fn check(&self, user: &str, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another request panicked mid-update; the counts are still usable.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(user.to_owned()).or_insert(Bucket {
            available: self.limit.burst,
            refilled_at: now,
        });
        take(bucket, self.limit, now)
    }
}

fn take(bucket: &mut Bucket, limit: RateLimit, now: Instant) -> Result<(), Duration> {
    let every = limit.refill_every.max(Duration::from_millis(1));
    let elapsed = now.saturating_duration_since(bucket.refilled_at);
    let earned = u32::try_from(elapsed.as_nanos() / every.as_nanos()).unwrap_or(u32::MAX);
    if earned > 0 {
        bucket.available = bucket.available.saturating_add(earned).min(limit.burst);
        bucket.refilled_at = if bucket.available == limit.burst {
            now
        } else {
            bucket.refilled_at + every * earned
        };
    }
    if bucket.available == 0 {
        return Err(every.saturating_sub(now.saturating_duration_since(bucket.refilled_at)));
    }
    bucket.available -= 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        burst: 2,
        refill_every: Duration::from_secs(10),
    };

    #[test]
    fn a_burst_then_one_per_interval() {
        let throttle = Throttle::new(LIMIT);
        let start = Instant::now();
        assert_eq!(throttle.check("alice", start), Ok(()));
        assert_eq!(throttle.check("alice", start), Ok(()));
        assert_eq!(
            throttle.check("alice", start + Duration::from_secs(4)),
            Err(Duration::from_secs(6))
        );
        assert_eq!(
            throttle.check("alice", start + Duration::from_secs(10)),
            Ok(())
        );
        assert_eq!(
            throttle.check("alice", start + Duration::from_secs(11)),
            Err(Duration::from_secs(9))
        );
    }

    #[test]
    fn users_have_their_own_buckets() {
        let throttle = Throttle::new(LIMIT);
        let now = Instant::now();
        for _ in 0..2 {
            assert_eq!(throttle.check("alice", now), Ok(()));
        }
        assert!(throttle.check("alice", now).is_err());
        assert_eq!(throttle.check("bob", now), Ok(()));
    }

    #[test]
    fn a_long_pause_refills_only_up_to_the_burst() {
        let throttle = Throttle::new(LIMIT);
        let start = Instant::now();
        let later = start + Duration::from_secs(3600);
        for _ in 0..2 {
            assert_eq!(throttle.check("alice", start), Ok(()));
        }
        for _ in 0..2 {
            assert_eq!(throttle.check("alice", later), Ok(()));
        }
        assert_eq!(throttle.check("alice", later), Err(Duration::from_secs(10)));
    }
}
