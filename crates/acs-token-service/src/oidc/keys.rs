//! An issuer's signing keys: OpenID discovery, then its JWKS, cached and refreshed within limits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use super::IssuerStatus;
use crate::config::IssuerConfig;
use crate::metrics::Metrics;

/// The largest discovery document or JWKS read.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// A verification key and the one algorithm it may verify.
pub(crate) struct Key {
    pub(crate) decoding: DecodingKey,
    pub(crate) algorithm: Algorithm,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// What a lookup found.
pub(crate) enum KeyLookup {
    Found(Arc<Key>),
    /// Not published, even after a refresh (or a refresh was not allowed yet).
    Unknown,
    /// No keys at all: the issuer could not be reached.
    Unavailable,
}

#[derive(Default)]
struct Cached {
    keys: HashMap<String, Arc<Key>>,
    fetched_at: Option<Instant>,
}

#[derive(Default)]
struct RefreshState {
    last_attempt: Option<Instant>,
    last_error: Option<String>,
}

/// The keys of one issuer.
pub(crate) struct KeySet {
    issuer: String,
    discovery_url: String,
    min_refresh: Duration,
    max_age: Duration,
    timeout: Duration,
    http: reqwest::Client,
    metrics: Arc<Metrics>,
    cached: RwLock<Cached>,
    /// Held while fetching: concurrent refreshes become one.
    refresh: Mutex<RefreshState>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl KeySet {
    pub(crate) fn new(config: &IssuerConfig, http: reqwest::Client, metrics: Arc<Metrics>) -> Self {
        Self {
            issuer: config.issuer.clone(),
            discovery_url: config.discovery_url.clone(),
            min_refresh: config.jwks_min_refresh,
            max_age: config.jwks_max_age,
            timeout: config.timeout,
            http,
            metrics,
            cached: RwLock::default(),
            refresh: Mutex::default(),
        }
    }

    /// The key `kid`, refreshing the set when it is unknown or old (at most once per `min_refresh`).
    pub(crate) async fn lookup(&self, kid: &str, now: Instant) -> KeyLookup {
        {
            let cached = self.cached.read().await;
            if let Some(key) = cached.keys.get(kid)
                && cached
                    .fetched_at
                    .is_some_and(|at| now.saturating_duration_since(at) < self.max_age)
            {
                return KeyLookup::Found(key.clone());
            }
        }
        self.refresh(now).await;
        let cached = self.cached.read().await;
        match cached.keys.get(kid) {
            // A stale key is still better than none when the issuer is away.
            Some(key) => KeyLookup::Found(key.clone()),
            None if cached.fetched_at.is_none() => KeyLookup::Unavailable,
            None => KeyLookup::Unknown,
        }
    }

    /// The issuer's readiness; `force` fetches even within the refresh limit (at start).
    pub(crate) async fn status(&self, now: Instant, force: bool) -> IssuerStatus {
        let loaded = self.cached.read().await.fetched_at.is_some();
        if force || !loaded {
            self.refresh_within(
                now,
                if force {
                    Duration::ZERO
                } else {
                    self.min_refresh
                },
            )
            .await;
        }
        let cached = self.cached.read().await;
        let error = self.refresh.lock().await.last_error.clone();
        IssuerStatus {
            issuer: self.issuer.clone(),
            ready: cached.fetched_at.is_some(),
            error,
            keys: cached.keys.len(),
        }
    }

    async fn refresh(&self, now: Instant) {
        self.refresh_within(now, self.min_refresh).await;
    }

    async fn refresh_within(&self, now: Instant, min_interval: Duration) {
        let mut state = self.refresh.lock().await;
        if let Some(last) = state.last_attempt {
            // Someone refreshed while we waited for the lock, or too recently: use what they got.
            if last >= now || now.saturating_duration_since(last) < min_interval {
                return;
            }
        }
        state.last_attempt = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(issuer = %self.issuer, keys = keys.len(), "fetched the issuer's signing keys");
                state.last_error = None;
                *self.cached.write().await = Cached {
                    keys,
                    fetched_at: Some(Instant::now()),
                };
            }
            Err(error) => {
                tracing::warn!(issuer = %self.issuer, %error, "could not fetch the issuer's signing keys");
                self.metrics.upstream_error("issuer");
                state.last_error = Some(error);
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<Key>>, String> {
        let discovery = self.get_json(&self.discovery_url).await?;
        match discovery.get("issuer").and_then(Value::as_str) {
            Some(issuer) if issuer == self.issuer => {}
            Some(issuer) => {
                return Err(format!(
                    "the discovery document names the issuer {issuer:?}, not the configured {:?}",
                    self.issuer
                ));
            }
            None => return Err("the discovery document has no issuer".to_owned()),
        }
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or("the discovery document has no jwks_uri")?;
        if !crate::config::is_http_url(jwks_uri) {
            return Err(format!("the jwks_uri {jwks_uri:?} is not https"));
        }
        let jwks = self.get_json(jwks_uri).await?;
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("the JWKS has no keys array")?;
        let keys: HashMap<String, Arc<Key>> = keys.iter().filter_map(verification_key).collect();
        if keys.is_empty() {
            return Err("the JWKS has no RS256 or ES256 signing key with a kid".to_owned());
        }
        Ok(keys)
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let mut response = self
            .http
            .get(url)
            .timeout(self.timeout)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| format!("GET {url}: {}", describe(&error)))?;
        if !response.status().is_success() {
            return Err(format!("GET {url}: HTTP {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| format!("GET {url}: {}", describe(&error)))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("GET {url}: the document is larger than 256 KiB"));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|error| format!("GET {url}: not JSON ({error})"))
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    }
}

/// A JWKS entry usable for signature checks: a `kid`, `use` not `enc`, RSA (RS256) or P-256 (ES256).
fn verification_key(entry: &Value) -> Option<(String, Arc<Key>)> {
    let jwk: Jwk = serde_json::from_value(entry.clone()).ok()?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let kid = jwk.common.key_id.clone()?;
    // The key type decides the algorithm; a declared `alg` must agree with it.
    let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        _ => return None,
    };
    let decoding = DecodingKey::from_jwk(&jwk).ok()?;
    Some((
        kid,
        Arc::new(Key {
            decoding,
            algorithm,
        }),
    ))
}
