//! Issued ACS tokens, reused: a caller asking again for the same scopes and lifetime gets the token issued
//! before while it has more than `token_cache.min_remaining` left; identical requests in flight on this
//! instance share one ACS call (single flight), whether or not the cache is configured.
//!
//! An entry's place is the caller's [`pseudonym`] and a slot, `{sorted scopes}|{minutes}`: the lifetime
//! granted is part of it, so a 60-minute request never gets a 24-hour token. Entries are sealed
//! ([`crate::crypto`]) before they are stored, in memory or in Redis alike.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use acs_identity::{TokenLifetime, TokenScope};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::OnceCell;

use crate::config::TokenCacheConfig;
use crate::crypto::Sealer;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::state::{SharedState, Unavailable, pseudonym};

/// A token for a caller, fresh from ACS or from the cache.
#[derive(Clone)]
pub(crate) struct Issued {
    pub(crate) user_id: String,
    pub(crate) token: String,
    pub(crate) expires_on: OffsetDateTime,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("user_id", &self.user_id)
            .field("token", &"[redacted]")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// What is sealed into an entry.
#[derive(Serialize, Deserialize)]
struct Sealed {
    user_id: String,
    token: String,
    /// RFC 3339, as exact as ACS gave it.
    expires_on: String,
}

type Flight = Arc<OnceCell<Result<Issued, ApiError>>>;

/// The cache (if configured) and the flights in progress.
pub(crate) struct TokenCache {
    state: Arc<SharedState>,
    metrics: Arc<Metrics>,
    cache: Option<(Sealer, Duration)>,
    flights: Mutex<HashMap<String, Flight>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("enabled", &self.cache.is_some())
            .finish_non_exhaustive()
    }
}

/// Where a caller's request for a token belongs.
pub(crate) struct Place {
    user: String,
    slot: String,
}

impl Place {
    pub(crate) fn new(custom_id: &str, scopes: &[TokenScope], lifetime: TokenLifetime) -> Self {
        let mut names: Vec<&str> = scopes.iter().map(TokenScope::as_str).collect();
        names.sort_unstable();
        names.dedup();
        Self {
            user: pseudonym(custom_id),
            slot: format!("{}|{}", names.join(","), lifetime.as_minutes()),
        }
    }
}

/// Removes a finished (or abandoned) flight from the map, whichever way its request ends.
struct Landing<'a> {
    flights: &'a Mutex<HashMap<String, Flight>>,
    key: String,
    flight: Flight,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        let ours = flights
            .get(&self.key)
            .is_some_and(|flight| Arc::ptr_eq(flight, &self.flight));
        // The map and this landing hold two references: nobody else waits for an abandoned flight.
        if ours && (self.flight.initialized() || Arc::strong_count(&self.flight) <= 2) {
            flights.remove(&self.key);
        }
    }
}

impl TokenCache {
    pub(crate) fn new(
        config: Option<&TokenCacheConfig>,
        state: Arc<SharedState>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, crate::crypto::NoRandomness> {
        let cache = config
            .map(|config| {
                Sealer::new(&config.keys, &config.current_key)
                    .map(|sealer| (sealer, config.min_remaining))
            })
            .transpose()?;
        Ok(Self {
            state,
            metrics,
            cache,
            flights: Mutex::new(HashMap::new()),
        })
    }

    /// The token for `place`: from the cache, from a flight in progress, or from `issue` (then cached).
    pub(crate) async fn get_or_issue<F, Fut>(
        &self,
        place: Place,
        issue: F,
    ) -> Result<Issued, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Issued, ApiError>>,
    {
        let key = format!("{}:{}", place.user, place.slot);
        let flight = self
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone();
        let landing = Landing {
            flights: &self.flights,
            key,
            flight: flight.clone(),
        };
        let mut led = false;
        let result = flight
            .get_or_init(|| {
                led = true;
                self.fly(&place, issue)
            })
            .await
            .clone();
        if !led {
            self.metrics.token_cache("shared_flight");
        }
        drop(landing);
        result
    }

    async fn fly<F, Fut>(&self, place: &Place, issue: F) -> Result<Issued, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Issued, ApiError>>,
    {
        let Some((sealer, min_remaining)) = &self.cache else {
            return issue().await;
        };
        let where_ = self.state.place(&place.user, &place.slot);
        let found = match self.state.lookup(&place.user, &place.slot).await {
            Ok(found) => Some(found),
            Err(Unavailable) => {
                self.metrics.token_cache("unavailable");
                None
            }
        };
        if let Some(cached) = found
            .as_ref()
            .and_then(|found| found.entry.as_deref())
            .and_then(|entry| sealer.open(&where_, entry))
            .and_then(|plain| serde_json::from_slice::<Sealed>(&plain).ok())
            .and_then(|sealed| {
                let expires_on = OffsetDateTime::parse(&sealed.expires_on, &Rfc3339).ok()?;
                let left = expires_on - OffsetDateTime::now_utc();
                (left > *min_remaining).then_some(Issued {
                    user_id: sealed.user_id,
                    token: sealed.token,
                    expires_on,
                })
            })
        {
            self.metrics.token_cache("hit");
            return Ok(cached);
        }
        let issued = issue().await?;
        let Some(found) = found else {
            return Ok(issued);
        };
        self.metrics.token_cache("miss");
        let left = issued.expires_on - OffsetDateTime::now_utc() - *min_remaining;
        let Ok(ttl) = Duration::try_from(left) else {
            return Ok(issued);
        };
        let plain = serde_json::to_vec(&Sealed {
            user_id: issued.user_id.clone(),
            token: issued.token.clone(),
            expires_on: issued.expires_on.format(&Rfc3339).unwrap_or_default(),
        })
        .unwrap_or_default();
        if let Ok(entry) = sealer.seal(&where_, &plain) {
            // Not stored (revoked meanwhile, or memory full): the caller still gets their token.
            let _ = self
                .state
                .store(&place.user, &place.slot, entry, found.generation, ttl)
                .await;
        }
        Ok(issued)
    }

    /// Whether `[token_cache]` is configured.
    pub(crate) fn is_enabled(&self) -> bool {
        self.cache.is_some()
    }

    /// Drops every cached token of `custom_id`, here and (through Redis) on every instance.
    pub(crate) async fn forget(&self, custom_id: &str) -> Result<(), Unavailable> {
        self.state.forget(&pseudonym(custom_id)).await
    }
}
