//! The configuration of shared state: `[redis]` and `[token_cache]`.

use std::fmt;
use std::time::Duration;

/// `[redis]`: rate limits and the token cache shared by every instance through one Redis.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisConfig {
    /// `redis://[:password@]host:port[/db]` (or `rediss://`); never printed with its password.
    pub url: RedisUrl,
    /// Put before every key, so that several services can share a Redis. Default `acs-token-service:`.
    pub key_prefix: String,
    /// The deadline of every Redis call (connecting included). Default 250 ms.
    pub timeout: Duration,
    /// What the rate limits do while Redis is out of reach. Default [`RateLimitFailMode::Closed`].
    pub rate_limit_fail: RateLimitFailMode,
}

/// What the rate limits do while Redis is out of reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimitFailMode {
    /// Refuse the request with `503 rate_limit_unavailable` (default): no instance can then be used to go
    /// past the limits.
    Closed,
    /// Let the request through uncounted.
    Open,
    /// Count in this instance's memory: each instance then enforces the limits on its own.
    Local,
}

/// A Redis URL. Its `Debug` and `Display` show the scheme, host, port and database, never the password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub(crate) fn new(url: String) -> Self {
        Self(url)
    }

    /// The URL with its password, for the Redis client only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scheme, rest) = self.0.split_once("://").unwrap_or(("redis", &self.0));
        let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        write!(f, "{scheme}://{rest}")
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

/// `[token_cache]`: a caller asking again for the same scopes and lifetime gets the token issued before,
/// while it has more than `min_remaining` left.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenCacheConfig {
    /// A cached token is served only while it has more than this left. Default 10 minutes, less than the
    /// shortest ACS lifetime (60 minutes).
    pub min_remaining: Duration,
    /// The most users whose tokens are kept in memory (the in-memory backend only). Default 10 000.
    pub max_users: usize,
    /// The keys that encrypt cached tokens: `current` writes, every one reads.
    pub keys: Vec<CacheKey>,
    /// The id of the key new entries are written with.
    pub current_key: String,
}

/// A 256-bit key of the token cache, with the id stored next to each entry it encrypted. Never printed.
#[derive(Clone)]
#[non_exhaustive]
pub struct CacheKey {
    /// The key's id (letters, digits, `-`, `_`; at most 32).
    pub id: String,
    pub(crate) secret: [u8; 32],
}

impl CacheKey {
    /// A key from its id and 32 bytes.
    pub fn new(id: impl Into<String>, secret: [u8; 32]) -> Self {
        Self {
            id: id.into(),
            secret,
        }
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheKey")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let url = RedisUrl::new("redis://:hunter2@cache.internal:6380/1".to_owned());
        assert_eq!(url.to_string(), "redis://cache.internal:6380/1");
        assert!(!format!("{url:?}").contains("hunter2"));
        let key = CacheKey::new("k1", [7; 32]);
        assert!(!format!("{key:?}").contains('7'));
    }
}
