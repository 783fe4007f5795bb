//! The service's configuration: a TOML file plus environment overrides, validated once at start.
//!
//! Every error names the key (`issuers[0].audiences`) and what is wrong with it; a secret's value is never
//! part of an error.

mod raw;
mod state;
mod validate;
mod validate_state;

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use acs_identity::{ConnectionString, TokenLifetime, TokenScope};
use jsonwebtoken::Algorithm;

pub use state::{CacheKey, RateLimitFailMode, RedisConfig, RedisUrl, TokenCacheConfig};
pub(crate) use validate::is_http_url;
pub use validate::{ConfigError, Problem};

use crate::custom_id::CustomIdTemplate;
use crate::policy::Policy;

/// The environment variable that overrides `acs.connection_string`.
pub const CONNECTION_STRING_ENV: &str = "COMMUNICATION_SERVICES_CONNECTION_STRING";
/// The environment variables that override `acs.entra.*` (the names `azure_identity` reads).
pub const TENANT_ID_ENV: &str = "AZURE_TENANT_ID";
/// See [`TENANT_ID_ENV`].
pub const CLIENT_ID_ENV: &str = "AZURE_CLIENT_ID";
/// See [`TENANT_ID_ENV`].
pub const CLIENT_SECRET_ENV: &str = "AZURE_CLIENT_SECRET";
/// The environment variable that overrides `redis.url` (which may hold a password).
pub const REDIS_URL_ENV: &str = "ACS_TOKEN_SERVICE_REDIS_URL";

/// A validated configuration: nothing in it can fail later.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// How the service listens and bounds its requests.
    pub server: ServerConfig,
    /// How it reaches ACS.
    pub acs: AcsConfig,
    /// The OpenID Connect issuers whose users may sign in.
    pub issuers: Vec<IssuerConfig>,
    /// How a signed-in user becomes an ACS custom id.
    pub custom_id: CustomIdTemplate,
    /// Which scopes and lifetimes a caller may get.
    pub policy: Policy,
    /// Request rates per user and per client address.
    pub rate_limits: RateLimits,
    /// The Teams token exchange (`POST /token/teams`); `None`: the route answers 404.
    pub teams: Option<TeamsConfig>,
    /// Shared state for several instances (`[redis]`); `None`: rate limits and the token cache live in
    /// this process's memory.
    pub redis: Option<RedisConfig>,
    /// The cache of issued ACS tokens (`[token_cache]`); `None`: every `POST /token` calls ACS.
    pub token_cache: Option<TokenCacheConfig>,
}

impl Config {
    /// Reads and validates `path`, then applies the environment overrides of `env` (pass
    /// [`std::env::var`]-like lookups; tests pass their own).
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.display().to_string(),
            message: error.to_string(),
        })?;
        Self::from_toml(&text, env)
    }

    /// Parses and validates a TOML document, then applies the environment overrides.
    pub fn from_toml(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let raw: raw::RawConfig =
            toml::from_str(text).map_err(|error| ConfigError::from_toml(error, text))?;
        validate::validate(raw, &env)
    }
}

/// How the service listens and bounds its requests.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The address to listen on. Default `127.0.0.1:8080`: loopback unless told otherwise.
    pub listen: SocketAddr,
    /// Web origins allowed to call from a browser (CORS); empty: no cross-origin calls.
    pub allowed_origins: Vec<String>,
    /// The largest request body. Default 16 KiB.
    pub max_body_bytes: usize,
    /// The largest request head (request line and headers). Default 16 KiB.
    pub max_header_bytes: usize,
    /// The limit on receiving a request's headers, from their first byte. Default 10 s.
    pub header_timeout: Duration,
    /// The limit on receiving a request's body, from the end of its headers: past it the answer is 408
    /// `body_timeout`. Default 10 s.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request before it is closed. Default 60 s,
    /// the idle timeout of common load balancers (keep it above the one in front of the service).
    pub idle_timeout: Duration,
    /// The limit on a whole request, body read and upstream calls included. Default 30 s.
    pub request_timeout: Duration,
    /// Requests handled at once; more are refused with 503. Default 1024. With `max_body_bytes`, it also
    /// bounds the body bytes held at once (16 MiB by default).
    pub max_concurrent_requests: usize,
    /// Connections served at once; past it, new connections wait in the listen backlog until one
    /// closes. Default 10,000 (the process's open-file limit must allow as many).
    pub max_connections: usize,
    /// How long a shutdown waits for in-flight requests. Default 30 s.
    pub shutdown_grace: Duration,
    /// Where the client address comes from, for the per-address rate limit.
    pub client_ip: ClientIpSource,
}

/// Where the client address of a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientIpSource {
    /// The TCP peer (default): right when nothing sits in front of the service.
    Peer,
    /// The last `X-Forwarded-For` entry (what the proxy in front saw), falling back to the peer. Only behind
    /// a proxy that sets it: otherwise callers choose their own address.
    XForwardedFor,
}

/// How the service reaches ACS.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AcsConfig {
    /// The resource and its credential.
    pub credential: AcsCredential,
    /// The limit on each ACS call, retries included. Default 10 s.
    pub timeout: Duration,
}

/// How the service authenticates to ACS.
#[derive(Clone)]
#[non_exhaustive]
pub enum AcsCredential {
    /// The resource's connection string (HMAC with its access key).
    ConnectionString(ConnectionString),
    /// Entra ID client credentials of an application with a role on the resource.
    Entra {
        /// The resource endpoint, `https://<resource>.communication.azure.com`.
        endpoint: String,
        /// The application's tenant.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// The client secret. Never printed.
        client_secret: String,
        /// The authority host; default `https://login.microsoftonline.com`.
        authority_host: Option<String>,
    },
}

impl fmt::Debug for AcsCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectionString(connection_string) => f
                .debug_tuple("ConnectionString")
                .field(&connection_string.endpoint().as_str())
                .finish(),
            Self::Entra {
                endpoint,
                tenant_id,
                client_id,
                ..
            } => f
                .debug_struct("Entra")
                .field("endpoint", endpoint)
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("client_secret", &"[redacted]")
                .finish_non_exhaustive(),
        }
    }
}

/// One OpenID Connect issuer whose users may sign in.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuerConfig {
    /// The issuer exactly as its tokens' `iss` claim carries it (Auth0's ends with `/`, Entra's v2 with
    /// `/v2.0`).
    pub issuer: String,
    /// Where its discovery document is: default `<issuer>/.well-known/openid-configuration`.
    pub discovery_url: String,
    /// The accepted `aud` values (at least one).
    pub audiences: Vec<String>,
    /// The accepted signature algorithms: RS256 and/or ES256 (default both).
    pub algorithms: Vec<Algorithm>,
    /// Tolerated clock difference for `exp` and `nbf`. Default 60 s, at most 5 minutes.
    pub leeway: Duration,
    /// Claims every token must carry (besides `iss`, `aud`, `exp`, `sub`).
    pub required_claims: Vec<String>,
    /// Roles every caller must hold.
    pub required_roles: Vec<String>,
    /// Where the roles are: a claim name or a dotted path (`realm_access.roles` for Keycloak). Default
    /// `roles`.
    pub roles_claim: String,
    /// The least time between two JWKS fetches caused by an unknown `kid`. Default 30 s.
    pub jwks_min_refresh: Duration,
    /// How long a fetched JWKS is used before it is fetched again. Default 1 hour.
    pub jwks_max_age: Duration,
    /// The limit on each request to the issuer. Default 5 s.
    pub timeout: Duration,
}

/// Request rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimits {
    /// Requests per signed-in user. Default 30 a minute.
    pub per_user: RateLimit,
    /// Requests per client address, counted before sign-in. Default 300 a minute.
    pub per_ip: RateLimit,
}

/// At most `requests` in each `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed in a window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
}

/// The Teams token exchange.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TeamsConfig {
    /// The Entra application (client) id the Teams users' tokens are issued to.
    pub client_id: String,
    /// The claim of the caller's sign-in token that must equal the Teams token's `oid`. Default `oid`.
    pub caller_claim: String,
    /// The lifetime of the exchanged tokens.
    pub lifetime: TokenLifetime,
}

/// The scopes and lifetime a policy rule grants.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grant {
    /// The scopes a caller may ask for.
    pub scopes: Vec<TokenScope>,
    /// The longest lifetime a caller may ask for.
    pub max_lifetime: TokenLifetime,
}
