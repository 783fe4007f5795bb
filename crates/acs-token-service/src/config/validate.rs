//! From the file as written to a [`Config`] that cannot fail later, collecting every problem at once.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use acs_identity::{ConnectionString, TokenLifetime, TokenScope};
use jsonwebtoken::Algorithm;

use super::raw::{RawAcs, RawConfig, RawGrant, RawIssuer, RawRateLimit, RawServer, RawTeams};
use super::{
    AcsConfig, AcsCredential, CLIENT_ID_ENV, CLIENT_SECRET_ENV, CONNECTION_STRING_ENV,
    ClientIpSource, Config, Grant, IssuerConfig, RateLimit, RateLimits, ServerConfig,
    TENANT_ID_ENV, TeamsConfig,
};
use crate::custom_id::CustomIdTemplate;
use crate::policy::{Policy, Rule};

/// Why a configuration was refused. Names the key; never shows a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: String,
        /// What the system said.
        message: String,
    },
    /// The file is not valid TOML, or a key is unknown or of the wrong type.
    Syntax {
        /// The line (1-based), when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// Keys with values the service cannot work with.
    Invalid(Vec<Problem>),
}

/// One key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// The key, e.g. `issuers[0].audiences`.
    pub key: String,
    /// What is wrong, e.g. `at least one audience is required`.
    pub message: String,
}

impl ConfigError {
    /// A TOML error, without the excerpt of the file that `toml` would print (it may hold a secret).
    pub(super) fn from_toml(error: toml::de::Error, text: &str) -> Self {
        let line = error
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        Self::Syntax {
            line,
            message: error.message().to_owned(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, message } => write!(f, "cannot read {path}: {message}"),
            Self::Syntax {
                line: Some(line),
                message,
            } => write!(f, "line {line}: {message}"),
            Self::Syntax {
                line: None,
                message,
            } => f.write_str(message),
            Self::Invalid(problems) => {
                let count = problems.len();
                write!(
                    f,
                    "{count} problem{} in the configuration:",
                    if count == 1 { "" } else { "s" }
                )?;
                for problem in problems {
                    write!(f, "\n  {}: {}", problem.key, problem.message)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Collects problems while the rest of the file is checked.
#[derive(Default)]
pub(super) struct Problems(Vec<Problem>);

impl Problems {
    pub(super) fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.into(),
            message: message.into(),
        });
    }

    fn duration(&mut self, key: &str, value: Option<&str>, default: Duration) -> Duration {
        self.duration_within(key, value, default, Duration::ZERO, Duration::MAX)
    }

    pub(super) fn duration_within(
        &mut self,
        key: &str,
        value: Option<&str>,
        default: Duration,
        min: Duration,
        max: Duration,
    ) -> Duration {
        let Some(value) = value else { return default };
        match humantime::parse_duration(value) {
            Ok(duration) if duration < min => {
                self.add(
                    key,
                    format!(
                        "{value:?} is shorter than {}",
                        humantime::format_duration(min)
                    ),
                );
                default
            }
            Ok(duration) if duration > max => {
                self.add(
                    key,
                    format!(
                        "{value:?} is longer than {}",
                        humantime::format_duration(max)
                    ),
                );
                default
            }
            Ok(duration) => duration,
            Err(error) => {
                self.add(
                    key,
                    format!("{value:?} is not a duration such as \"30s\" or \"1h30m\" ({error})"),
                );
                default
            }
        }
    }

    pub(super) fn count(
        &mut self,
        key: &str,
        value: Option<u64>,
        default: usize,
        max: u64,
    ) -> usize {
        match value {
            None => default,
            Some(0) => {
                self.add(key, "must be at least 1");
                default
            }
            Some(value) if value > max => {
                self.add(key, format!("{value} is more than the maximum {max}"));
                default
            }
            Some(value) => usize::try_from(value).unwrap_or(default),
        }
    }

    fn lifetime(
        &mut self,
        key: &str,
        minutes: Option<i64>,
        default: TokenLifetime,
    ) -> TokenLifetime {
        let Some(minutes) = minutes else {
            return default;
        };
        match u32::try_from(minutes).ok().map(TokenLifetime::from_minutes) {
            Some(Ok(lifetime)) => lifetime,
            _ => {
                self.add(
                    key,
                    format!("{minutes} is not a token lifetime: ACS issues 60 to 1440 minutes"),
                );
                default
            }
        }
    }

    fn scopes(
        &mut self,
        key: &str,
        scopes: Option<&[String]>,
        default: &[TokenScope],
    ) -> Vec<TokenScope> {
        let Some(scopes) = scopes else {
            return default.to_vec();
        };
        if scopes.is_empty() {
            self.add(
                key,
                "name at least one scope (chat, voip, chat.join, chat.join.limited, voip.join)",
            );
        }
        scopes
            .iter()
            .filter_map(|scope| match TokenScope::from(scope.as_str()) {
                TokenScope::Other(other) => {
                    let hint = TokenScope::KNOWN
                        .iter()
                        .find(|known| known.as_str().eq_ignore_ascii_case(&other))
                        .map(|known| format!(" (did you mean {known:?}?)", known = known.as_str()))
                        .unwrap_or_default();
                    self.add(
                        key,
                        format!(
                            "unknown scope {other:?}{hint}: the scopes are chat, voip, chat.join, chat.join.limited, voip.join"
                        ),
                    );
                    None
                }
                known => Some(known),
            })
            .collect()
    }
}

pub(super) fn validate(
    raw: RawConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut problems = Problems::default();
    let server = server(raw.server, &mut problems);
    let acs = acs(raw.acs, env, &mut problems);
    if raw.issuers.is_empty() {
        problems.add(
            "issuers",
            "configure at least one [[issuers]] whose users may sign in",
        );
    }
    let issuers: Vec<IssuerConfig> = raw
        .issuers
        .into_iter()
        .enumerate()
        .map(|(index, issuer)| self::issuer(index, issuer, &mut problems))
        .collect();
    for (index, issuer) in issuers.iter().enumerate() {
        if issuers[..index]
            .iter()
            .any(|earlier| earlier.issuer == issuer.issuer)
        {
            problems.add(
                format!("issuers[{index}].issuer"),
                format!("{:?} is configured twice", issuer.issuer),
            );
        }
    }
    let custom_id = match CustomIdTemplate::parse(
        raw.identity
            .custom_id
            .as_deref()
            .unwrap_or(CustomIdTemplate::DEFAULT),
    ) {
        Ok(template) => {
            if issuers.len() > 1 && !template.names_issuer() {
                problems.add(
                    "identity.custom_id",
                    "with more than one issuer the template must contain {iss}, or users of two issuers with the same subject would share an identity",
                );
            }
            template
        }
        Err(message) => {
            problems.add("identity.custom_id", message);
            CustomIdTemplate::default()
        }
    };
    let policy = policy(raw.policy, &issuers, &mut problems);
    let rate_limits = RateLimits {
        per_user: rate_limit(
            "rate_limits.per_user",
            raw.rate_limits.per_user,
            30,
            &mut problems,
        ),
        per_ip: rate_limit(
            "rate_limits.per_ip",
            raw.rate_limits.per_ip,
            300,
            &mut problems,
        ),
    };
    let teams = raw.teams.map(|teams| self::teams(teams, &mut problems));
    let redis = super::validate_state::redis(raw.redis, env, &mut problems);
    let token_cache = raw.token_cache.map(|cache| {
        super::validate_state::token_cache(cache, redis.is_some(), env, &mut problems)
    });
    if problems.0.is_empty() {
        Ok(Config {
            server,
            acs,
            issuers,
            custom_id,
            policy,
            rate_limits,
            teams,
            redis,
            token_cache,
        })
    } else {
        Err(ConfigError::Invalid(problems.0))
    }
}

fn server(raw: RawServer, problems: &mut Problems) -> ServerConfig {
    let listen = match raw.listen.as_deref() {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some(listen) => listen.parse().unwrap_or_else(|_| {
            problems.add(
                "server.listen",
                format!("{listen:?} is not an address such as \"127.0.0.1:8080\""),
            );
            SocketAddr::from(([127, 0, 0, 1], 8080))
        }),
    };
    for (index, origin) in raw.allowed_origins.iter().enumerate() {
        let valid = (origin.starts_with("https://") || origin.starts_with("http://"))
            && !origin.ends_with('/')
            && http::HeaderValue::from_str(origin).is_ok()
            && origin
                .parse::<http::Uri>()
                .is_ok_and(|uri| uri.path() == "/" || uri.path().is_empty());
        if !valid {
            problems.add(
                format!("server.allowed_origins[{index}]"),
                format!("{origin:?} is not an origin such as \"https://app.contoso.com\" (scheme, host, optional port, no path)"),
            );
        }
    }
    let client_ip = match raw.client_ip.as_deref() {
        None | Some("peer") => ClientIpSource::Peer,
        Some("x-forwarded-for") => ClientIpSource::XForwardedFor,
        Some(other) => {
            problems.add(
                "server.client_ip",
                format!("{other:?} is neither \"peer\" nor \"x-forwarded-for\""),
            );
            ClientIpSource::Peer
        }
    };
    ServerConfig {
        listen,
        allowed_origins: raw.allowed_origins,
        max_body_bytes: problems.count(
            "server.max_body_bytes",
            raw.max_body_bytes,
            16 * 1024,
            1024 * 1024,
        ),
        max_header_bytes: problems
            .count(
                "server.max_header_bytes",
                raw.max_header_bytes,
                16 * 1024,
                1024 * 1024,
            )
            .max(8192),
        header_timeout: problems.duration_within(
            "server.header_timeout",
            raw.header_timeout.as_deref(),
            Duration::from_secs(10),
            Duration::from_millis(100),
            Duration::from_secs(300),
        ),
        body_timeout: problems.duration_within(
            "server.body_timeout",
            raw.body_timeout.as_deref(),
            Duration::from_secs(10),
            Duration::from_millis(100),
            Duration::from_secs(300),
        ),
        idle_timeout: problems.duration_within(
            "server.idle_timeout",
            raw.idle_timeout.as_deref(),
            Duration::from_secs(60),
            Duration::from_millis(100),
            Duration::from_secs(3600),
        ),
        request_timeout: problems.duration_within(
            "server.request_timeout",
            raw.request_timeout.as_deref(),
            Duration::from_secs(30),
            Duration::from_millis(100),
            Duration::from_secs(600),
        ),
        max_concurrent_requests: problems.count(
            "server.max_concurrent_requests",
            raw.max_concurrent_requests,
            1024,
            1_000_000,
        ),
        max_connections: problems.count(
            "server.max_connections",
            raw.max_connections,
            10_000,
            1_000_000,
        ),
        shutdown_grace: problems.duration(
            "server.shutdown_grace",
            raw.shutdown_grace.as_deref(),
            Duration::from_secs(30),
        ),
        client_ip,
    }
}

fn acs(raw: RawAcs, env: &dyn Fn(&str) -> Option<String>, problems: &mut Problems) -> AcsConfig {
    let timeout = problems.duration_within(
        "acs.timeout",
        raw.timeout.as_deref(),
        Duration::from_secs(10),
        Duration::from_millis(100),
        Duration::from_secs(120),
    );
    let connection_string = env(CONNECTION_STRING_ENV)
        .filter(|value| !value.trim().is_empty())
        .map(|value| (CONNECTION_STRING_ENV.to_owned(), value))
        .or_else(|| {
            raw.connection_string
                .map(|value| ("acs.connection_string".to_owned(), value))
        });
    let entra = raw.entra.unwrap_or_default();
    let entra_value = |key: &str, file: Option<String>, variable: &str| {
        env(variable)
            .filter(|value| !value.trim().is_empty())
            .or(file)
            .map(|value| (key.to_owned(), value))
    };
    let tenant_id = entra_value("acs.entra.tenant_id", entra.tenant_id, TENANT_ID_ENV);
    let client_id = entra_value("acs.entra.client_id", entra.client_id, CLIENT_ID_ENV);
    let client_secret = entra_value(
        "acs.entra.client_secret",
        entra.client_secret,
        CLIENT_SECRET_ENV,
    );
    let credential = match (connection_string, raw.endpoint) {
        (Some((key, value)), _) => match ConnectionString::parse(&value) {
            Ok(connection_string) => Some(AcsCredential::ConnectionString(connection_string)),
            // The parse error never holds the key, so it may be shown.
            Err(error) => {
                problems.add(key, format!("not a connection string: {error}"));
                None
            }
        },
        (None, Some(endpoint)) => {
            let mut missing = Vec::new();
            for (name, value) in [
                ("tenant_id", &tenant_id),
                ("client_id", &client_id),
                ("client_secret", &client_secret),
            ] {
                if value.is_none() {
                    missing.push(name);
                }
            }
            if !missing.is_empty() {
                problems.add(
                    "acs.entra",
                    format!(
                        "with acs.endpoint and no connection string, set {} (or {TENANT_ID_ENV}, {CLIENT_ID_ENV}, {CLIENT_SECRET_ENV})",
                        missing.join(", ")
                    ),
                );
            }
            if acs_identity::Endpoint::parse(&endpoint).is_err() {
                problems.add("acs.endpoint", format!("{endpoint:?} is not a resource endpoint such as \"https://contoso.communication.azure.com\""));
            }
            match (tenant_id, client_id, client_secret) {
                (Some((_, tenant_id)), Some((_, client_id)), Some((_, client_secret))) => {
                    Some(AcsCredential::Entra {
                        endpoint,
                        tenant_id,
                        client_id,
                        client_secret,
                        authority_host: entra.authority_host,
                    })
                }
                _ => None,
            }
        }
        (None, None) => {
            problems.add(
                "acs",
                format!("set acs.connection_string (or {CONNECTION_STRING_ENV}), or acs.endpoint with acs.entra credentials"),
            );
            None
        }
    };
    AcsConfig {
        // A placeholder that is never used: a configuration with problems is refused as a whole.
        credential: credential.unwrap_or_else(|| AcsCredential::Entra {
            endpoint: String::new(),
            tenant_id: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            authority_host: None,
        }),
        timeout,
    }
}

fn issuer(index: usize, raw: RawIssuer, problems: &mut Problems) -> IssuerConfig {
    let key = |name: &str| format!("issuers[{index}].{name}");
    let issuer = raw.issuer.unwrap_or_else(|| {
        problems.add(
            key("issuer"),
            "required: the issuer exactly as its tokens' iss claim has it",
        );
        String::new()
    });
    if !issuer.is_empty() && !is_http_url(&issuer) {
        problems.add(
            key("issuer"),
            format!("{issuer:?} is not an https:// URL (http:// only on loopback)"),
        );
    }
    let discovery_url = raw.discovery_url.unwrap_or_else(|| {
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        )
    });
    if !is_http_url(&discovery_url) {
        problems.add(
            key("discovery_url"),
            format!("{discovery_url:?} is not an https:// URL (http:// only on loopback)"),
        );
    }
    if raw.audiences.is_empty() || raw.audiences.iter().any(|audience| audience.is_empty()) {
        problems.add(
            key("audiences"),
            "name at least one audience (the aud your tokens carry: a client id or API identifier)",
        );
    }
    let algorithms = match raw.algorithms {
        None => vec![Algorithm::RS256, Algorithm::ES256],
        Some(names) => {
            if names.is_empty() {
                problems.add(key("algorithms"), "name at least one of RS256, ES256");
            }
            names
                .iter()
                .filter_map(|name| match name.as_str() {
                    "RS256" => Some(Algorithm::RS256),
                    "ES256" => Some(Algorithm::ES256),
                    other => {
                        problems.add(
                            key("algorithms"),
                            format!("{other:?} is not accepted: only RS256 and ES256 (none and HMAC algorithms are refused by design)"),
                        );
                        None
                    }
                })
                .collect()
        }
    };
    IssuerConfig {
        issuer,
        discovery_url,
        audiences: raw.audiences,
        algorithms,
        leeway: problems.duration_within(
            &key("leeway"),
            raw.leeway.as_deref(),
            Duration::from_secs(60),
            Duration::ZERO,
            Duration::from_secs(300),
        ),
        required_claims: raw.required_claims,
        required_roles: raw.required_roles,
        roles_claim: raw.roles_claim.unwrap_or_else(|| "roles".to_owned()),
        jwks_min_refresh: problems.duration_within(
            &key("jwks_min_refresh"),
            raw.jwks_min_refresh.as_deref(),
            Duration::from_secs(30),
            Duration::from_secs(1),
            Duration::from_secs(24 * 3600),
        ),
        jwks_max_age: problems.duration_within(
            &key("jwks_max_age"),
            raw.jwks_max_age.as_deref(),
            Duration::from_secs(3600),
            Duration::from_secs(10),
            Duration::from_secs(7 * 24 * 3600),
        ),
        timeout: problems.duration_within(
            &key("timeout"),
            raw.timeout.as_deref(),
            Duration::from_secs(5),
            Duration::from_millis(100),
            Duration::from_secs(60),
        ),
    }
}

/// An `https://` URL, or an `http://` one on loopback (a local issuer in development and tests).
pub(crate) fn is_http_url(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    match (uri.scheme_str(), uri.host()) {
        (Some("https"), Some(host)) => !host.is_empty(),
        (Some("http"), Some(host)) => {
            host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}

fn grant(key: &str, raw: Option<RawGrant>, default: &Grant, problems: &mut Problems) -> Grant {
    let raw = raw.unwrap_or_default();
    Grant {
        scopes: problems.scopes(
            &format!("{key}.scopes"),
            raw.scopes.as_deref(),
            &default.scopes,
        ),
        max_lifetime: problems.lifetime(
            &format!("{key}.max_lifetime_minutes"),
            raw.max_lifetime_minutes,
            default.max_lifetime,
        ),
    }
}

fn policy(raw: super::raw::RawPolicy, issuers: &[IssuerConfig], problems: &mut Problems) -> Policy {
    let default = grant(
        "policy.default",
        raw.default,
        &Policy::default().default,
        problems,
    );
    let rules = raw
        .rules
        .into_iter()
        .enumerate()
        .map(|(index, rule)| {
            let key = format!("policy.rules[{index}]");
            if rule.roles.is_empty() && rule.claims.is_empty() && rule.issuer.is_none() {
                problems.add(&key, "a rule needs a condition: roles, claims or issuer (the default grant is policy.default)");
            }
            if rule.scopes.is_none() && rule.max_lifetime_minutes.is_none() {
                problems.add(&key, "a rule grants scopes and/or max_lifetime_minutes");
            }
            if let Some(issuer) = &rule.issuer
                && !issuers.iter().any(|configured| &configured.issuer == issuer)
            {
                problems.add(format!("{key}.issuer"), format!("{issuer:?} is not one of the configured issuers"));
            }
            let grant = Grant {
                scopes: problems.scopes(&format!("{key}.scopes"), rule.scopes.as_deref(), &[]),
                max_lifetime: problems.lifetime(
                    &format!("{key}.max_lifetime_minutes"),
                    rule.max_lifetime_minutes,
                    TokenLifetime::MIN,
                ),
            };
            Rule {
                issuer: rule.issuer,
                roles: rule.roles,
                claims: rule.claims,
                grant,
            }
        })
        .collect();
    Policy { default, rules }
}

fn rate_limit(
    key: &str,
    raw: Option<RawRateLimit>,
    default_requests: u32,
    problems: &mut Problems,
) -> RateLimit {
    let raw = raw.unwrap_or_default();
    let requests = match raw.requests {
        None => default_requests,
        Some(requests) => match u32::try_from(requests) {
            Ok(requests) if requests > 0 => requests,
            _ => {
                problems.add(
                    format!("{key}.requests"),
                    format!("{requests} is not between 1 and {}", u32::MAX),
                );
                default_requests
            }
        },
    };
    RateLimit {
        requests,
        window: problems.duration_within(
            &format!("{key}.window"),
            raw.window.as_deref(),
            Duration::from_secs(60),
            Duration::from_secs(1),
            Duration::from_secs(24 * 3600),
        ),
    }
}

fn teams(raw: RawTeams, problems: &mut Problems) -> TeamsConfig {
    let client_id = raw.client_id.unwrap_or_else(|| {
        problems.add(
            "teams.client_id",
            "required: the Entra application id the Teams users' tokens are issued to",
        );
        String::new()
    });
    TeamsConfig {
        client_id,
        caller_claim: raw.caller_claim.unwrap_or_else(|| "oid".to_owned()),
        lifetime: problems.lifetime(
            "teams.lifetime_minutes",
            raw.lifetime_minutes,
            TokenLifetime::MIN,
        ),
    }
}
