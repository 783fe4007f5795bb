//! The Redis store: one Lua script per change, so each is atomic and takes one round trip.
//!
//! Keys, under `redis.key_prefix`:
//! - `rate:{ip|user}:{pseudonym}`: a fixed-window counter. The script `INCR`s it and, when it has no
//!   expiry yet (a new window, or one whose `EXPIRE` was lost), sets one of the window's length; it answers
//!   the count and the time left. A script rather than `INCR` then `EXPIRE`: no counter can be left without
//!   an expiry by a call cut between the two, and the time left (for `Retry-After`) comes in the same trip.
//! - `tokens:{pseudonym}`: a hash per user; field `{scopes}|{minutes}` holds a sealed entry, field `!gen`
//!   the user's generation. A revocation bumps `!gen` and drops the other fields in one script; a store
//!   writes only if `!gen` is still what its lookup read. The hash expires with its longest-lived entry.
//!
//! Every call runs under `redis.timeout`. After a failure the store is left alone for a second (calls fail
//! at once, so a dead Redis costs no latency), then tried again; the connection manager reconnects by
//! itself.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisResult, Script};

use super::{Generation, Lookup, MAX_ENTRIES_PER_USER, REVOCATION_MEMORY, Unavailable};
use crate::config::{RateLimit, RedisConfig, RedisUrl};
use crate::metrics::Metrics;
use crate::rate_limit::Decision;

/// How long the store is left alone after a failure.
const BACKOFF: Duration = Duration::from_secs(1);

static COUNT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
",
    )
});

static STORE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local generation = redis.call('HGET', KEYS[1], '!gen') or '0'
if generation ~= ARGV[3] then return 0 end
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[5]) then
  redis.call('DEL', KEYS[1])
  if generation ~= '0' then redis.call('HSET', KEYS[1], '!gen', generation) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return 1
",
    )
});

static FORGET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local generation = redis.call('HINCRBY', KEYS[1], '!gen', 1)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '!gen', generation)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return generation
",
    )
});

pub(crate) struct RedisState {
    client: Option<redis::Client>,
    url: RedisUrl,
    manager: OnceLock<Option<ConnectionManager>>,
    prefix: String,
    timeout: Duration,
    down_until: Mutex<Option<Instant>>,
    healthy: AtomicBool,
    /// Users whose revocation could not reach Redis: done again before the next cache call.
    pending: Mutex<HashSet<String>>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for RedisState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisState")
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl RedisState {
    pub(crate) fn new(config: &RedisConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            // Validated with the configuration; should it still fail, every call is `Unavailable`.
            client: redis::Client::open(config.url.expose()).ok(),
            url: config.url.clone(),
            manager: OnceLock::new(),
            prefix: config.key_prefix.clone(),
            timeout: config.timeout,
            down_until: Mutex::new(None),
            healthy: AtomicBool::new(true),
            pending: Mutex::new(HashSet::new()),
            metrics,
        }
    }

    /// The connection manager, made on first use (it needs the runtime) without connecting.
    fn manager(&self) -> Option<ConnectionManager> {
        self.manager
            .get_or_init(|| {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    .set_number_of_retries(2)
                    .set_min_delay(Duration::from_millis(20))
                    .set_max_delay(Duration::from_millis(500));
                let client = self.client.clone()?;
                ConnectionManager::new_lazy_with_config(client, config).ok()
            })
            .clone()
    }

    fn is_resting(&self) -> bool {
        let down_until = self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        down_until.is_some_and(|until| Instant::now() < until)
    }

    /// One call under the deadline, unless the store is resting after a failure.
    async fn run<T, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, Unavailable>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        if self.is_resting() {
            return Err(Unavailable);
        }
        self.call(operation, call).await
    }

    async fn call<T, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, Unavailable>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let Some(manager) = self.manager() else {
            self.failed(operation, "the client could not be made");
            return Err(Unavailable);
        };
        match tokio::time::timeout(self.timeout, call(manager)).await {
            Ok(Ok(value)) => {
                *self
                    .down_until
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
                if !self.healthy.swap(true, Ordering::Relaxed) {
                    tracing::info!(redis = %self.url, "Redis answers again");
                }
                Ok(value)
            }
            Ok(Err(error)) => {
                self.failed(operation, &error.to_string());
                Err(Unavailable)
            }
            Err(_) => {
                self.failed(operation, "no answer within redis.timeout");
                Err(Unavailable)
            }
        }
    }

    fn failed(&self, operation: &'static str, why: &str) {
        self.metrics.redis_error(operation);
        *self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + BACKOFF);
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(redis = %self.url, operation, why, "Redis is out of reach: the token cache is skipped and the rate limits follow redis.rate_limit_fail");
        }
    }

    fn tokens_key(&self, user: &str) -> String {
        format!("{}tokens:{user}", self.prefix)
    }

    pub(crate) fn place(&self, user: &str, slot: &str) -> Vec<u8> {
        format!("{}\0{slot}", self.tokens_key(user)).into_bytes()
    }

    pub(crate) async fn count(&self, key: &str, limit: RateLimit) -> Result<Decision, Unavailable> {
        let name = format!("{}rate:{key}", self.prefix);
        let window = millis(limit.window);
        let (count, ttl): (u64, i64) = self
            .run("rate_limit", |mut connection| async move {
                COUNT
                    .key(name)
                    .arg(window)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        if count <= u64::from(limit.requests) {
            return Ok(Decision::Allowed);
        }
        let wait = Duration::from_millis(u64::try_from(ttl).unwrap_or(window));
        Ok(Decision::Limited(wait.max(Duration::from_secs(1))))
    }

    pub(crate) async fn lookup(&self, user: &str, slot: &str) -> Result<Lookup, Unavailable> {
        self.flush_pending().await?;
        let name = self.tokens_key(user);
        let slot = slot.to_owned();
        let (entry, generation): (Option<String>, Option<i64>) = self
            .run("cache_lookup", |mut connection| async move {
                redis::cmd("HMGET")
                    .arg(name)
                    .arg(slot)
                    .arg("!gen")
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Ok(Lookup {
            entry,
            generation: Generation(generation.unwrap_or(0)),
        })
    }

    pub(crate) async fn store(
        &self,
        user: &str,
        slot: &str,
        entry: String,
        generation: Generation,
        ttl: Duration,
    ) -> Result<bool, Unavailable> {
        self.flush_pending().await?;
        let name = self.tokens_key(user);
        let slot = slot.to_owned();
        let stored: i64 = self
            .run("cache_store", |mut connection| async move {
                STORE
                    .key(name)
                    .arg(slot)
                    .arg(entry)
                    .arg(generation.0.to_string())
                    .arg(millis(ttl))
                    .arg(MAX_ENTRIES_PER_USER)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(stored == 1)
    }

    pub(crate) async fn forget(&self, user: &str) -> Result<(), Unavailable> {
        let result = self.forget_now(user, false).await;
        if result.is_err() {
            self.pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(user.to_owned());
        }
        result
    }

    /// A revocation; `force`: even while resting (the retries of pending ones after a good `PING`).
    async fn forget_now(&self, user: &str, force: bool) -> Result<(), Unavailable> {
        let name = self.tokens_key(user);
        let call = |mut connection: ConnectionManager| async move {
            FORGET
                .key(name)
                .arg(millis(REVOCATION_MEMORY))
                .invoke_async::<i64>(&mut connection)
                .await
        };
        if force {
            self.call("cache_forget", call).await?;
        } else {
            self.run("cache_forget", call).await?;
        }
        Ok(())
    }

    /// Revocations that failed earlier, done before anything else reads the cache through this instance.
    async fn flush_pending(&self) -> Result<(), Unavailable> {
        let pending: Vec<String> = {
            let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if pending.is_empty() {
                return Ok(());
            }
            pending.iter().cloned().collect()
        };
        for user in pending {
            self.forget_now(&user, true).await?;
            self.pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&user);
        }
        Ok(())
    }

    /// `PING` now, even while resting: `/readyz` tells the truth, and its probes bring the store back.
    pub(crate) async fn ping(&self) -> Result<(), String> {
        self.call("ping", |mut connection| async move {
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        })
        .await
        .map_err(|Unavailable| {
            format!(
                "Redis at {} did not answer within {:?}",
                self.url, self.timeout
            )
        })?;
        self.flush_pending()
            .await
            .map_err(|Unavailable| "Redis answers, but revocations are still pending".to_owned())
    }
}
