//! The service: its configuration, its ACS client, its verifier and counters, and the router over them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use acs_identity::{
    ClientOptions, ClientSecretCredential, CommunicationIdentityClient, Endpoint, RetryOptions,
};
use axum::Router;
use axum::http::Method;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use tokio::sync::{Mutex, Semaphore};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::{AcsCredential, Config};
use crate::metrics::Metrics;
use crate::oidc::Verifier;
use crate::routes;
use crate::state::SharedState;
use crate::token_cache::TokenCache;

/// How long a `/readyz` answer is reused, so that probing it cannot flood ACS or the issuers.
pub(crate) const READINESS_TTL: Duration = Duration::from_secs(5);

/// Why the service could not be built from a valid configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The ACS endpoint or Entra authority was refused.
    #[error("acs: {0}")]
    Acs(String),
    /// The HTTP client for the issuers could not be built (TLS setup).
    #[error("the HTTP client for the identity providers could not be built")]
    Http,
    /// The operating system's random source failed (for the token cache's key or nonces).
    #[error("the operating system's random source is not available")]
    Randomness,
}

/// The token service: build it from a [`Config`], then [`serve`](crate::serve) it or mount its
/// [`router`](Self::router) in your own axum application.
#[derive(Clone, Debug)]
pub struct TokenService {
    pub(crate) shared: Arc<Shared>,
}

/// What every request handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) client: CommunicationIdentityClient,
    pub(crate) verifier: Verifier,
    pub(crate) state: Arc<SharedState>,
    pub(crate) tokens: TokenCache,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) in_flight: Arc<Semaphore>,
    pub(crate) readiness: Mutex<Option<(Instant, routes::Readiness)>>,
}

impl TokenService {
    /// The service for `config`, with an ACS client made from its credential.
    pub fn new(config: Config) -> Result<Self, BuildError> {
        let client = acs_client(&config)?;
        Self::with_client(config, client)
    }

    /// The service with your own ACS client (its options are yours; the configuration's `acs` section is
    /// then only used for readiness reporting).
    pub fn with_client(
        config: Config,
        client: CommunicationIdentityClient,
    ) -> Result<Self, BuildError> {
        let tls = crate::tls::client_config().ok_or(BuildError::Http)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("acs-token-service/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|_| BuildError::Http)?;
        let metrics = Arc::new(Metrics::new());
        let state = Arc::new(SharedState::new(&config, &metrics));
        let tokens = TokenCache::new(config.token_cache.as_ref(), state.clone(), metrics.clone())
            .map_err(|_| BuildError::Randomness)?;
        let shared = Shared {
            verifier: Verifier::new(&config.issuers, http, &metrics),
            state,
            tokens,
            in_flight: Arc::new(Semaphore::new(config.server.max_concurrent_requests)),
            readiness: Mutex::new(None),
            metrics,
            client,
            config,
        };
        Ok(Self {
            shared: Arc::new(shared),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Fetches every issuer's keys now, so the first callers need not wait; failures are logged and
    /// retried on demand.
    pub async fn warm_up(&self) {
        for status in self.shared.verifier.prefetch().await {
            if !status.ready {
                tracing::warn!(issuer = %status.issuer, "the issuer's keys are not available yet");
            }
        }
    }

    /// The routes with every layer: CORS, limits, timeouts, metrics. Serve it with
    /// [`serve`](crate::serve) (which also bounds header reads and shuts down gracefully) or with
    /// `axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())`.
    pub fn router(&self) -> Router {
        let config = &self.shared.config.server;
        let origins: Vec<_> = config
            .allowed_origins
            .iter()
            .filter_map(|origin| origin.parse().ok())
            .collect();
        let cors = CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([AUTHORIZATION, CONTENT_TYPE])
            .expose_headers([RETRY_AFTER])
            .max_age(Duration::from_secs(600));
        routes::router(self.shared.clone()).layer(cors)
    }
}

fn acs_client(config: &Config) -> Result<CommunicationIdentityClient, BuildError> {
    let options = ClientOptions::default()
        .timeout(config.acs.timeout)
        .attempt_timeout(config.acs.timeout)
        .application_id("acs-token-service".to_owned())
        .retry(RetryOptions::default().max_total(config.acs.timeout));
    Ok(match &config.acs.credential {
        AcsCredential::ConnectionString(connection_string) => {
            CommunicationIdentityClient::new(connection_string.clone(), options)
        }
        AcsCredential::Entra {
            endpoint,
            tenant_id,
            client_id,
            client_secret,
            authority_host,
        } => {
            let endpoint =
                Endpoint::parse(endpoint).map_err(|error| BuildError::Acs(error.to_string()))?;
            let mut credential = ClientSecretCredential::new(
                tenant_id.as_str(),
                client_id.as_str(),
                client_secret.as_str(),
            );
            if let Some(host) = authority_host {
                credential = credential
                    .with_authority(host)
                    .map_err(|error| BuildError::Acs(error.to_string()))?;
            }
            CommunicationIdentityClient::with_token_source(endpoint, credential, options)
        }
    })
}
