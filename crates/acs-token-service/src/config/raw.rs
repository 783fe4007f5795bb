//! The configuration file as written: every key optional where a default exists, unknown keys refused.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub(crate) server: RawServer,
    #[serde(default)]
    pub(crate) acs: RawAcs,
    #[serde(default)]
    pub(crate) issuers: Vec<RawIssuer>,
    #[serde(default)]
    pub(crate) identity: RawIdentity,
    #[serde(default)]
    pub(crate) policy: RawPolicy,
    #[serde(default)]
    pub(crate) rate_limits: RawRateLimits,
    pub(crate) teams: Option<RawTeams>,
    pub(crate) redis: Option<RawRedis>,
    pub(crate) token_cache: Option<RawTokenCache>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) listen: Option<String>,
    #[serde(default)]
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) max_body_bytes: Option<u64>,
    pub(crate) max_header_bytes: Option<u64>,
    pub(crate) header_timeout: Option<String>,
    pub(crate) body_timeout: Option<String>,
    pub(crate) idle_timeout: Option<String>,
    pub(crate) request_timeout: Option<String>,
    pub(crate) max_concurrent_requests: Option<u64>,
    pub(crate) max_connections: Option<u64>,
    pub(crate) shutdown_grace: Option<String>,
    pub(crate) client_ip: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAcs {
    pub(crate) connection_string: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) entra: Option<RawEntra>,
    pub(crate) timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEntra {
    pub(crate) tenant_id: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) authority_host: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIssuer {
    pub(crate) issuer: Option<String>,
    pub(crate) discovery_url: Option<String>,
    #[serde(default)]
    pub(crate) audiences: Vec<String>,
    pub(crate) algorithms: Option<Vec<String>>,
    pub(crate) leeway: Option<String>,
    #[serde(default)]
    pub(crate) required_claims: Vec<String>,
    #[serde(default)]
    pub(crate) required_roles: Vec<String>,
    pub(crate) roles_claim: Option<String>,
    pub(crate) jwks_min_refresh: Option<String>,
    pub(crate) jwks_max_age: Option<String>,
    pub(crate) timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIdentity {
    pub(crate) custom_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    pub(crate) default: Option<RawGrant>,
    #[serde(default)]
    pub(crate) rules: Vec<RawRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGrant {
    pub(crate) scopes: Option<Vec<String>>,
    pub(crate) max_lifetime_minutes: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    #[serde(default)]
    pub(crate) roles: Vec<String>,
    #[serde(default)]
    pub(crate) claims: BTreeMap<String, String>,
    pub(crate) issuer: Option<String>,
    pub(crate) scopes: Option<Vec<String>>,
    pub(crate) max_lifetime_minutes: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRateLimits {
    pub(crate) per_user: Option<RawRateLimit>,
    pub(crate) per_ip: Option<RawRateLimit>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRateLimit {
    pub(crate) requests: Option<u64>,
    pub(crate) window: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTeams {
    pub(crate) client_id: Option<String>,
    pub(crate) caller_claim: Option<String>,
    pub(crate) lifetime_minutes: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRedis {
    pub(crate) url: Option<String>,
    pub(crate) key_prefix: Option<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) rate_limit_fail: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTokenCache {
    pub(crate) min_remaining: Option<String>,
    pub(crate) max_users: Option<u64>,
    pub(crate) current_key: Option<String>,
    #[serde(default)]
    pub(crate) keys: Vec<RawCacheKey>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCacheKey {
    pub(crate) id: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) key_env: Option<String>,
}
