//! A trusted service, the server half of the ACS identity model's client-server architecture: your clients
//! (browser or mobile apps) never hold the connection string; they ask this service for a token, and it
//!
//! 1. authenticates the caller as one of **your** users ([`AppUsers`]: a demo scheme of static bearer secrets;
//!    plug in your real sign-in instead),
//! 2. maps your user to an ACS identity through its **custom id**: creating a user with a known custom id
//!    returns the same identity, so there is no mapping table to keep,
//! 3. issues a **least-privilege, short-lived** token: `chat` or `voip` depending on the route, valid 60
//!    minutes, in the same request as the create,
//! 4. **throttles** each user ([`RateLimit`], `429 Too Many Requests` with `Retry-After`), and
//! 5. answers cross-origin calls only from an **allow-list of origins** (CORS).
//!
//! The connection string stays in the service: it is in no response and no log line. Failures of the ACS
//! Identity service are logged (without secrets) and answered with a generic `502`.
//!
//! | route | answer |
//! |---|---|
//! | `POST /api/tokens/chat` | `200 {"userId","token","expiresOn","scopes":["chat"]}` |
//! | `POST /api/tokens/voip` | the same with `"scopes":["voip"]` |
//! | no or unknown `Authorization: Bearer` | `401` with `WWW-Authenticate: Bearer` |
//! | over the rate limit | `429` with `Retry-After: <seconds>` |
//!
//! ```
//! use acs_identity_examples::trusted_service::{self, TrustedServiceConfig};
//!
//! let client = acs_identity::CommunicationIdentityClient::from_connection_string(
//!     "endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0",
//! )?;
//! let app: axum::Router = trusted_service::router(client, TrustedServiceConfig::demo())?;
//! # let _ = app;
//! # Ok::<(), acs_identity_examples::BoxError>(())
//! ```

mod app_users;
mod throttle;

use std::sync::Arc;
use std::time::{Duration, Instant};

use acs_identity::{
    CommunicationIdentityClient, CreateUserAndTokenOptions, CustomId, TokenLifetime, TokenScope,
};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use app_users::AppUsers;
pub use throttle::RateLimit;

use crate::{BoxError, rfc3339};
use throttle::Throttle;

/// What the service allows.
#[derive(Debug, Clone)]
pub struct TrustedServiceConfig {
    /// Who may ask for tokens.
    pub app_users: AppUsers,
    /// The web origins allowed to call the service from a browser, e.g. `https://app.contoso.com`.
    pub allowed_origins: Vec<String>,
    /// How often each user may ask.
    pub rate_limit: RateLimit,
    /// How long the issued tokens live.
    pub token_lifetime: TokenLifetime,
}

impl TrustedServiceConfig {
    /// The demo users ([`AppUsers::demo`]), the origin `http://localhost:3000` (a local web app), the default
    /// [`RateLimit`], and 60-minute tokens.
    pub fn demo() -> Self {
        Self {
            app_users: AppUsers::demo(),
            allowed_origins: vec!["http://localhost:3000".to_owned()],
            rate_limit: RateLimit::default(),
            token_lifetime: TokenLifetime::MIN,
        }
    }
}

/// What the handlers share.
struct Service {
    client: CommunicationIdentityClient,
    app_users: AppUsers,
    throttle: Throttle,
    token_lifetime: TokenLifetime,
}

/// The service's routes, ready for `axum::serve`. Fails if an allowed origin is not a valid header value.
pub fn router(
    client: CommunicationIdentityClient,
    config: TrustedServiceConfig,
) -> Result<Router, BoxError> {
    let origins = config
        .allowed_origins
        .iter()
        .map(|origin| {
            HeaderValue::from_str(origin).map_err(|_| format!("invalid allowed origin {origin:?}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::POST])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE])
        .expose_headers([RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    let service = Arc::new(Service {
        client,
        app_users: config.app_users,
        throttle: Throttle::new(config.rate_limit),
        token_lifetime: config.token_lifetime,
    });
    Ok(Router::new()
        .route("/api/tokens/chat", post(chat_token))
        .route("/api/tokens/voip", post(voip_token))
        .layer(cors)
        .with_state(service))
}

async fn chat_token(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    issue(&service, &headers, TokenScope::Chat).await
}

async fn voip_token(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    issue(&service, &headers, TokenScope::Voip).await
}

/// The body of a token answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenResponse {
    user_id: String,
    token: String,
    expires_on: String,
    scopes: Vec<String>,
}

async fn issue(service: &Service, headers: &HeaderMap, scope: TokenScope) -> Response {
    let Some(app_user) = service.app_users.authenticate(headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer")],
            error_body("sign in first"),
        )
            .into_response();
    };
    if let Err(wait) = service.throttle.check(app_user, Instant::now()) {
        // Whole seconds, rounded up: `Retry-After: 0` would invite an immediate retry.
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let retry_after = [(RETRY_AFTER, seconds.max(1).to_string())];
        return (
            StatusCode::TOO_MANY_REQUESTS,
            retry_after,
            error_body("too many token requests"),
        )
            .into_response();
    }
    let custom_id = match CustomId::new(app_user) {
        Ok(custom_id) => custom_id,
        Err(error) => {
            tracing::error!(%error, "an app user id is not a valid custom id");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                error_body("cannot issue a token for this user"),
            )
                .into_response();
        }
    };
    let options = CreateUserAndTokenOptions {
        lifetime: Some(service.token_lifetime),
        custom_id: Some(custom_id),
    };
    match service
        .client
        .create_user_and_token(std::slice::from_ref(&scope), options)
        .await
    {
        Ok(issued) => Json(TokenResponse {
            user_id: issued.user.id().to_owned(),
            expires_on: rfc3339(issued.access_token.expires_on()),
            token: issued.access_token.into_token(),
            scopes: vec![scope.to_string()],
        })
        .into_response(),
        Err(error) => {
            // The error names the ACS code and request ids, never the key or a token.
            tracing::warn!(%error, app_user, "the ACS Identity service failed");
            (
                StatusCode::BAD_GATEWAY,
                error_body("the identity service is unavailable, try again later"),
            )
                .into_response()
        }
    }
}

fn error_body(message: &'static str) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "error": message }))
}
