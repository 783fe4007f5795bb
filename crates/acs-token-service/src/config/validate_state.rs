//! Validation of `[redis]` and `[token_cache]`. A secret (the Redis password, a cache key) is never part
//! of a problem's message.

use std::time::Duration;

use base64::Engine as _;

use super::raw::{RawCacheKey, RawRedis, RawTokenCache};
use super::validate::Problems;
use super::{CacheKey, REDIS_URL_ENV, RateLimitFailMode, RedisConfig, RedisUrl, TokenCacheConfig};

/// `[redis]`, or only `ACS_TOKEN_SERVICE_REDIS_URL` (which wins over `redis.url`).
pub(super) fn redis(
    raw: Option<RawRedis>,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Problems,
) -> Option<RedisConfig> {
    let from_env = env(REDIS_URL_ENV).filter(|url| !url.is_empty());
    if raw.is_none() && from_env.is_none() {
        return None;
    }
    let raw = raw.unwrap_or_default();
    let url = match from_env.or(raw.url) {
        None => {
            problems.add(
                "redis.url",
                format!("required: redis://host:port (or set {REDIS_URL_ENV})"),
            );
            String::new()
        }
        Some(url) => {
            let valid = (url.starts_with("redis://") || url.starts_with("rediss://"))
                && redis::Client::open(url.as_str()).is_ok();
            if !valid {
                // The value may hold a password: only its scheme is named.
                problems.add(
                    "redis.url",
                    "is not a URL such as \"redis://127.0.0.1:6379/0\" or \"rediss://:password@host:6380\"",
                );
            }
            url
        }
    };
    let key_prefix = raw
        .key_prefix
        .unwrap_or_else(|| "acs-token-service:".to_owned());
    if key_prefix.len() > 64
        || key_prefix
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        problems.add(
            "redis.key_prefix",
            "at most 64 characters, without spaces or control characters",
        );
    }
    let timeout = problems.duration_within(
        "redis.timeout",
        raw.timeout.as_deref(),
        Duration::from_millis(250),
        Duration::from_millis(10),
        Duration::from_secs(5),
    );
    let rate_limit_fail = match raw.rate_limit_fail.as_deref() {
        None | Some("closed") => RateLimitFailMode::Closed,
        Some("open") => RateLimitFailMode::Open,
        Some("local") => RateLimitFailMode::Local,
        Some(other) => {
            problems.add(
                "redis.rate_limit_fail",
                format!("{other:?} is not one of \"closed\", \"open\", \"local\""),
            );
            RateLimitFailMode::Closed
        }
    };
    Some(RedisConfig {
        url: RedisUrl::new(url),
        key_prefix,
        timeout,
        rate_limit_fail,
    })
}

/// `[token_cache]`. With Redis the keys are required (every instance must read what the others wrote);
/// without, a random key is made at start when none is configured.
pub(super) fn token_cache(
    raw: RawTokenCache,
    shared: bool,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Problems,
) -> TokenCacheConfig {
    let min_remaining = problems.duration_within(
        "token_cache.min_remaining",
        raw.min_remaining.as_deref(),
        Duration::from_secs(600),
        Duration::ZERO,
        Duration::from_secs(59 * 60),
    );
    let max_users = problems.count("token_cache.max_users", raw.max_users, 10_000, 10_000_000);
    let keys: Vec<CacheKey> = raw
        .keys
        .into_iter()
        .enumerate()
        .filter_map(|(index, key)| cache_key(index, key, env, problems))
        .collect();
    if keys.is_empty() && shared {
        problems.add(
            "token_cache.keys",
            "with [redis], configure at least one [[token_cache.keys]] (the same on every instance): cached tokens are encrypted",
        );
    }
    for (index, key) in keys.iter().enumerate() {
        if keys[..index].iter().any(|earlier| earlier.id == key.id) {
            problems.add(
                format!("token_cache.keys[{index}].id"),
                format!("{:?} is configured twice", key.id),
            );
        }
    }
    let current_key = match raw.current_key {
        Some(current) => {
            if !keys.iter().any(|key| key.id == current) {
                problems.add(
                    "token_cache.current_key",
                    format!("{current:?} is not the id of one of token_cache.keys"),
                );
            }
            current
        }
        None if keys.len() > 1 => {
            problems.add(
                "token_cache.current_key",
                "required with more than one key: the id of the key that encrypts new entries",
            );
            String::new()
        }
        None => keys.first().map(|key| key.id.clone()).unwrap_or_default(),
    };
    TokenCacheConfig {
        min_remaining,
        max_users,
        keys,
        current_key,
    }
}

fn cache_key(
    index: usize,
    raw: RawCacheKey,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Problems,
) -> Option<CacheKey> {
    let prefix = format!("token_cache.keys[{index}]");
    let id = raw.id.unwrap_or_default();
    if id.is_empty()
        || id.len() > 32
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        problems.add(
            format!("{prefix}.id"),
            "required: 1 to 32 letters, digits, '-' or '_'",
        );
        return None;
    }
    let encoded = match (raw.key, raw.key_env) {
        (Some(_), Some(_)) => {
            problems.add(format!("{prefix}.key"), "set key or key_env, not both");
            return None;
        }
        (Some(key), None) => key,
        (None, Some(name)) => match env(&name) {
            Some(key) => key,
            None => {
                problems.add(
                    format!("{prefix}.key_env"),
                    format!("the environment variable {name} is not set"),
                );
                return None;
            }
        },
        (None, None) => {
            problems.add(
                format!("{prefix}.key"),
                "required: 32 random bytes in base64 (`openssl rand -base64 32`), or key_env naming a variable that holds them",
            );
            return None;
        }
    };
    let trimmed = encoded.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
    match decoded {
        Some(secret) => Some(CacheKey::new(id, secret)),
        None => {
            problems.add(
                format!("{prefix}.key"),
                "is not 32 bytes in base64 (`openssl rand -base64 32` makes one)",
            );
            None
        }
    }
}
