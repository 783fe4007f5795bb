//! State that must hold across instances: rate-limit counters and the (encrypted) token cache. In this
//! process's memory by default, in Redis with `[redis]`; the routes call the same methods either way.
//!
//! Names in the store never show a custom id or an address: they carry [`pseudonym`]s. Every Redis call
//! has a deadline; while Redis is out of reach the cache is skipped and the rate limits do what
//! `redis.rate_limit_fail` says.

mod memory;
mod redis;

use std::time::{Duration, Instant};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::config::{Config, RateLimit, RateLimitFailMode};
use crate::metrics::Metrics;
use crate::rate_limit::{Decision, MemoryLimiter};

pub(crate) use self::memory::MemoryState;
pub(crate) use self::redis::RedisState;

/// The shared store was out of reach or did not answer within its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unavailable;

/// A user's cache generation: bumped when their tokens are revoked, so that a token issued before the
/// revocation but stored after it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Generation(pub(crate) i64);

/// What a cache lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lookup {
    /// The sealed entry, if any.
    pub(crate) entry: Option<String>,
    /// The generation a later [`SharedState::store`] must still see.
    pub(crate) generation: Generation,
}

/// The most cached entries per user (scope sets times lifetimes); past it the user's entries start over.
pub(crate) const MAX_ENTRIES_PER_USER: usize = 32;

/// How long a revocation's generation outlives the entries it dropped: longer than any request that may
/// still be issuing a token from before it.
pub(crate) const REVOCATION_MEMORY: Duration = Duration::from_secs(3600);

/// A stable, one-way name for a custom id or an address (SHA-256, 128 bits, base64url). Unkeyed: it hides
/// the value from whoever reads the store, not from someone who guesses it.
pub(crate) fn pseudonym(text: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"acs-token-service/v1\0")
        .chain_update(text.as_bytes())
        .finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[derive(Debug)]
enum Backend {
    Memory(MemoryState),
    Redis(Box<RedisState>),
}

/// The store, whichever backend the configuration chose.
#[derive(Debug)]
pub(crate) struct SharedState {
    backend: Backend,
    fail: RateLimitFailMode,
    /// Counts for `rate_limit_fail = "local"`, and the in-memory backend's counter.
    local: MemoryLimiter,
}

impl SharedState {
    pub(crate) fn new(config: &Config, metrics: &std::sync::Arc<Metrics>) -> Self {
        let max_users = config
            .token_cache
            .as_ref()
            .map_or(10_000, |cache| cache.max_users);
        match &config.redis {
            None => Self {
                backend: Backend::Memory(MemoryState::new(max_users)),
                fail: RateLimitFailMode::Local,
                local: MemoryLimiter::default(),
            },
            Some(redis) => Self {
                backend: Backend::Redis(Box::new(RedisState::new(redis, metrics.clone()))),
                fail: redis.rate_limit_fail,
                local: MemoryLimiter::default(),
            },
        }
    }

    /// Counts one request of `who` (a pseudonym) under the limit named `kind` (`ip` or `user`).
    pub(crate) async fn check_rate(&self, kind: &str, who: &str, limit: RateLimit) -> Decision {
        let key = format!("{kind}:{who}");
        let redis = match &self.backend {
            Backend::Memory(_) => return self.local.check(&key, limit, Instant::now()),
            Backend::Redis(redis) => redis,
        };
        match redis.count(&key, limit).await {
            Ok(decision) => decision,
            Err(Unavailable) => match self.fail {
                RateLimitFailMode::Open => Decision::Allowed,
                RateLimitFailMode::Local => self.local.check(&key, limit, Instant::now()),
                _ => Decision::Unavailable,
            },
        }
    }

    /// The entry of `user` (a pseudonym) at `slot`, and the user's generation.
    pub(crate) async fn lookup(&self, user: &str, slot: &str) -> Result<Lookup, Unavailable> {
        match &self.backend {
            Backend::Memory(memory) => Ok(memory.lookup(user, slot, Instant::now())),
            Backend::Redis(redis) => redis.lookup(user, slot).await,
        }
    }

    /// Stores `entry` for `ttl` unless the user's generation moved on since `generation` was read; `false`
    /// when it did (or the in-memory store is full).
    pub(crate) async fn store(
        &self,
        user: &str,
        slot: &str,
        entry: String,
        generation: Generation,
        ttl: Duration,
    ) -> Result<bool, Unavailable> {
        match &self.backend {
            Backend::Memory(memory) => {
                Ok(memory.store(user, slot, entry, generation, ttl, Instant::now()))
            }
            Backend::Redis(redis) => redis.store(user, slot, entry, generation, ttl).await,
        }
    }

    /// Drops every entry of `user` and moves their generation on. Through Redis, a failure is remembered
    /// and done again before this instance's next cache call.
    pub(crate) async fn forget(&self, user: &str) -> Result<(), Unavailable> {
        match &self.backend {
            Backend::Memory(memory) => {
                memory.forget(user, Instant::now());
                Ok(())
            }
            Backend::Redis(redis) => redis.forget(user).await,
        }
    }

    /// Where an entry lives, as the associated data of its encryption.
    pub(crate) fn place(&self, user: &str, slot: &str) -> Vec<u8> {
        match &self.backend {
            Backend::Memory(_) => format!("memory:{user}:{slot}").into_bytes(),
            Backend::Redis(redis) => redis.place(user, slot),
        }
    }

    /// `None` without Redis; otherwise whether it answers a `PING` now (the error says why not).
    pub(crate) async fn readiness(&self) -> Option<Result<(), String>> {
        match &self.backend {
            Backend::Memory(_) => None,
            Backend::Redis(redis) => Some(redis.ping().await),
        }
    }

    /// Whether this instance can still serve while the shared store is away (it can unless the rate
    /// limits fail closed).
    pub(crate) fn serves_without_store(&self) -> bool {
        self.fail != RateLimitFailMode::Closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_short_and_opaque() {
        let alice = pseudonym("https://issuer.example.com|alice");
        assert_eq!(alice, pseudonym("https://issuer.example.com|alice"));
        assert_ne!(alice, pseudonym("https://issuer.example.com|bob"));
        assert_eq!(alice.len(), 22);
        assert!(!alice.contains("alice"));
    }
}
