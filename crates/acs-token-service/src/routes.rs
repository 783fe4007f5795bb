//! The routes: identity and tokens of the signed-in caller, health, readiness and metrics.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use acs_connection_guard::Linger;
use acs_identity::{
    CommunicationUserIdentifier, CreateUserAndTokenOptions, CreateUserOptions, CustomId,
    ExchangeTeamsUserToken, TokenLifetime, TokenScope,
};
use axum::body::{Bytes, HttpBody as _};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, MatchedPath, Request, State};
use axum::http::header::{CONNECTION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::ClientIpSource;
use crate::error::ApiError;
use crate::oidc::{self, IssuerStatus, SignInError, SignedIn};
use crate::rate_limit::Decision;
use crate::request_body;
use crate::service::Shared;
use crate::state::pseudonym;
use crate::token_cache::{Issued, Place};

type Service = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/user", post(create_user).get(get_user).delete(delete_user))
        .route("/token", post(issue_token))
        .route("/token/revoke", post(revoke_tokens))
        .route("/token/teams", post(teams_token))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(|| async { ApiError::not_found() })
        .layer(middleware::from_fn_with_state(shared.clone(), envelope))
        .with_state(shared)
}

/// Around every request: the concurrency cap, the body and whole-request deadlines, closing the
/// connection when a body is left unread, and the metrics.
async fn envelope(State(shared): Service, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = route_label(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let linger = request.extensions().get::<Linger>().cloned();
    let (request, body_read) = request_body::bounded(request, shared.config.server.body_timeout);
    let mut response = match shared.in_flight.clone().try_acquire_owned() {
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the service is at its limit of requests in progress; try again shortly",
        )
        .into_response(),
        Ok(_permit) => {
            match tokio::time::timeout(shared.config.server.request_timeout, next.run(request))
                .await
            {
                Ok(response) => response,
                Err(_) => ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "request_timeout",
                    "the request took longer than the service allows; try again",
                )
                .into_response(),
            }
        }
    };
    // A body refused before it was read (sign-in first) is not waited for: the connection closes.
    if body_read.is_some_and(|read| !read.load(Ordering::Relaxed)) {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        if let Some(linger) = linger {
            linger.on_close();
        }
    }
    shared
        .metrics
        .request(route, response.status().as_u16(), started.elapsed());
    response
}

/// A fixed set of labels: an attacker's paths must not grow the metrics.
fn route_label(path: Option<&str>) -> &'static str {
    match path {
        Some("/user") => "/user",
        Some("/token") => "/token",
        Some("/token/revoke") => "/token/revoke",
        Some("/token/teams") => "/token/teams",
        Some("/healthz") => "/healthz",
        Some("/readyz") => "/readyz",
        Some("/metrics") => "/metrics",
        _ => "unmatched",
    }
}

/// A signed-in caller within their rate limits, and their custom id. Extracted from the headers alone, so
/// a request is refused before its body is read.
pub(crate) struct Caller {
    user: SignedIn,
    custom_id: CustomId,
}

impl FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let limits = shared.config.rate_limits;
        let ip = client_ip(parts, shared.config.server.client_ip);
        match shared
            .state
            .check_rate("ip", &pseudonym(&ip), limits.per_ip)
            .await
        {
            Decision::Allowed => {}
            Decision::Limited(wait) => {
                shared.metrics.throttled("ip");
                return Err(ApiError::throttled(wait, "address"));
            }
            Decision::Unavailable => return Err(ApiError::rate_limit_unavailable()),
        }
        let user = match oidc::bearer_token(parts.headers.get(axum::http::header::AUTHORIZATION)) {
            Ok(token) => shared.verifier.verify(token).await,
            Err(error) => Err(error),
        }
        .map_err(|error| {
            shared.metrics.sign_in_failed(error.code());
            tracing::info!(check = error.code(), "sign-in refused");
            ApiError::from(error)
        })?;
        let custom_id = shared.config.custom_id.render(&user).map_err(|missing| {
            shared.metrics.sign_in_failed("missing_claim");
            ApiError::from(SignInError::MissingClaim(missing.0))
        })?;
        match shared
            .state
            .check_rate("user", &pseudonym(custom_id.as_str()), limits.per_user)
            .await
        {
            Decision::Allowed => {}
            Decision::Limited(wait) => {
                shared.metrics.throttled("user");
                return Err(ApiError::throttled(wait, "user"));
            }
            Decision::Unavailable => return Err(ApiError::rate_limit_unavailable()),
        }
        Ok(Self { user, custom_id })
    }
}

fn client_ip(parts: &Parts, source: ClientIpSource) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    let forwarded = match source {
        ClientIpSource::Peer => None,
        ClientIpSource::XForwardedFor => parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(',').next())
            .map(str::trim)
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
            .map(str::to_owned),
    };
    forwarded.or(peer).unwrap_or_else(|| "unknown".to_owned())
}

/// A JSON body, refused with our own error shape (and a 413 past the size limit).
pub(crate) struct JsonBody<T>(T);

impl<T: DeserializeOwned> FromRequest<Arc<Shared>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, shared: &Arc<Shared>) -> Result<Self, Self::Rejection> {
        let limit = shared.config.server.max_body_bytes;
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the request body is larger than {limit} bytes"),
            )
        };
        // An announced length past the limit is refused unread.
        if request
            .body()
            .size_hint()
            .lower()
            .try_into()
            .map_or(true, |announced: usize| announced > limit)
        {
            return Err(too_large());
        }
        let body = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|error| {
                if request_body::caused_by::<request_body::BodyTimeout>(&error) {
                    let timeout = shared.config.server.body_timeout;
                    ApiError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        "body_timeout",
                        format!(
                            "the request body did not arrive within {}",
                            humantime::format_duration(timeout)
                        ),
                    )
                } else if request_body::caused_by::<http_body_util::LengthLimitError>(&error) {
                    too_large()
                } else {
                    ApiError::invalid_body("the request body was cut off")
                }
            })?;
        parse_json(&body).map(Self)
    }
}

fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        ApiError::invalid_body(format!("the body is not the JSON expected: {error}"))
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserBody {
    id: String,
    custom_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_token_issued_at: Option<String>,
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// Creates the caller's identity, or gets it: the custom id maps the caller to one identity.
async fn resolve(
    shared: &Shared,
    caller: &Caller,
) -> Result<CommunicationUserIdentifier, ApiError> {
    let options = CreateUserOptions::default().custom_id(caller.custom_id.clone());
    shared
        .client
        .create_user_with_options(options)
        .await
        .map_err(|error| upstream(shared, &error))
}

fn upstream(shared: &Shared, error: &acs_identity::Error) -> ApiError {
    shared.metrics.upstream_error("acs");
    tracing::warn!(%error, "the ACS call failed");
    ApiError::upstream(error)
}

async fn create_user(State(shared): Service, caller: Caller) -> Result<Json<UserBody>, ApiError> {
    let user = resolve(&shared, &caller).await?;
    Ok(Json(UserBody {
        id: user.raw_id().to_owned(),
        custom_id: caller.custom_id.into_string(),
        last_token_issued_at: None,
    }))
}

async fn get_user(State(shared): Service, caller: Caller) -> Result<Json<UserBody>, ApiError> {
    let user = resolve(&shared, &caller).await?;
    let detail = shared
        .client
        .get_user_detail(&user)
        .await
        .map_err(|error| upstream(&shared, &error))?;
    Ok(Json(UserBody {
        id: user.raw_id().to_owned(),
        custom_id: detail
            .custom_id
            .unwrap_or_else(|| caller.custom_id.into_string()),
        last_token_issued_at: detail.last_token_issued_at.map(rfc3339),
    }))
}

async fn delete_user(State(shared): Service, caller: Caller) -> Result<StatusCode, ApiError> {
    let user = resolve(&shared, &caller).await?;
    shared
        .client
        .delete_user(&user)
        .await
        .map_err(|error| upstream(&shared, &error))?;
    tracing::info!(custom_id = %caller.custom_id, "deleted the caller's identity");
    forget_tokens(&shared, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_tokens(State(shared): Service, caller: Caller) -> Result<StatusCode, ApiError> {
    let user = resolve(&shared, &caller).await?;
    shared
        .client
        .revoke_tokens(&user)
        .await
        .map_err(|error| upstream(&shared, &error))?;
    forget_tokens(&shared, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// After ACS revoked the caller's tokens: drop them from the cache of every instance. Should the shared
/// store be away, the caller is told to send the request again (ACS's part is idempotent), and this
/// instance retries the drop before it next uses the cache.
async fn forget_tokens(shared: &Shared, caller: &Caller) -> Result<(), ApiError> {
    if !shared.tokens.is_enabled() {
        return Ok(());
    }
    shared
        .tokens
        .forget(caller.custom_id.as_str())
        .await
        .map_err(|_| ApiError::cache_unavailable())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenRequest {
    scopes: Vec<String>,
    expires_in_minutes: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenBody {
    user_id: String,
    custom_id: String,
    token: String,
    expires_on: String,
    scopes: Vec<String>,
}

async fn issue_token(
    State(shared): Service,
    caller: Caller,
    JsonBody(request): JsonBody<TokenRequest>,
) -> Result<Json<TokenBody>, ApiError> {
    let scopes: Vec<TokenScope> = request
        .scopes
        .iter()
        .map(|scope| TokenScope::from(scope.as_str()))
        .collect();
    let lifetime = request
        .expires_in_minutes
        .map(|minutes| {
            u32::try_from(minutes)
                .ok()
                .and_then(|minutes| TokenLifetime::from_minutes(minutes).ok())
                .ok_or_else(|| {
                    ApiError::invalid_body(format!(
                        "expiresInMinutes {minutes} is not a token lifetime: 60 to 1440 minutes"
                    ))
                })
        })
        .transpose()?;
    let lifetime = shared
        .config
        .policy
        .authorize(&caller.user, &scopes, lifetime)?;
    let place = Place::new(caller.custom_id.as_str(), &scopes, lifetime);
    let issued = shared
        .tokens
        .get_or_issue(place, || async {
            let options = CreateUserAndTokenOptions::default()
                .lifetime(lifetime)
                .custom_id(caller.custom_id.clone());
            let issued = shared
                .client
                .create_user_and_token(&scopes, options)
                .await
                .map_err(|error| upstream(&shared, &error))?;
            for scope in &scopes {
                shared.metrics.token_issued(scope.as_str());
            }
            Ok(Issued {
                user_id: issued.user.raw_id().to_owned(),
                token: issued.access_token.token().to_owned(),
                expires_on: issued.access_token.expires_on(),
            })
        })
        .await?;
    Ok(Json(TokenBody {
        user_id: issued.user_id,
        custom_id: caller.custom_id.into_string(),
        token: issued.token,
        expires_on: rfc3339(issued.expires_on),
        scopes: scopes
            .iter()
            .map(|scope| scope.as_str().to_owned())
            .collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamsRequest {
    /// The Teams user's Entra ID access token.
    token: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TeamsBody {
    token: String,
    expires_on: String,
}

async fn teams_token(
    State(shared): Service,
    caller: Caller,
    JsonBody(request): JsonBody<TeamsRequest>,
) -> Result<Json<TeamsBody>, ApiError> {
    let Some(teams) = &shared.config.teams else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "teams_disabled",
            "this service does not exchange Teams tokens (no [teams] section in its configuration)",
        ));
    };
    // ACS verifies the Teams token itself; the service only makes sure it is the caller's own.
    let object_id = crate::oidc::unverified_claim(&request.token, "oid").ok_or_else(|| {
        ApiError::invalid_body("token is not an Entra ID access token with an oid claim")
    })?;
    let caller_id = caller.user.claim_text(&teams.caller_claim);
    if caller_id.as_deref() != Some(object_id.as_str()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_your_token",
            format!(
                "the Teams token belongs to another user than the one signed in (its oid differs from your {} claim)",
                teams.caller_claim
            ),
        ));
    }
    let exchange = ExchangeTeamsUserToken::new(request.token, teams.client_id.clone(), object_id);
    let token = shared
        .client
        .get_token_for_teams_user(exchange)
        .await
        .map_err(|error| upstream(&shared, &error))?;
    shared.metrics.token_issued("teams");
    Ok(Json(TeamsBody {
        token: token.token().to_owned(),
        expires_on: rfc3339(token.expires_on()),
    }))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// What `/readyz` reports.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Readiness {
    ready: bool,
    acs: Component,
    issuers: Vec<IssuerStatus>,
    /// With `[redis]` only. While Redis is away the service is degraded (no shared cache, rate limits as
    /// `redis.rate_limit_fail` says) and only ready if those limits do not fail closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    redis: Option<Component>,
}

#[derive(Debug, Clone, Serialize)]
struct Component {
    ready: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn readyz(State(shared): Service) -> Response {
    let readiness = {
        let mut cached = shared.readiness.lock().await;
        match &*cached {
            Some((at, readiness)) if at.elapsed() < crate::service::READINESS_TTL => {
                readiness.clone()
            }
            _ => {
                let readiness = check_readiness(&shared).await;
                *cached = Some((Instant::now(), readiness.clone()));
                readiness
            }
        }
    };
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness)).into_response()
}

async fn check_readiness(shared: &Shared) -> Readiness {
    // A user of another resource is the cheapest question: ACS checks the credential first, then answers
    // 401 `IdentityNotOwned`. Any other refusal of the credential means the service cannot work.
    let probe = CommunicationUserIdentifier::new(
        "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000",
    );
    let acs = match shared.client.get_user_detail(&probe).await {
        Ok(_) => Component {
            ready: true,
            error: None,
        },
        Err(error) => {
            let code = error.service_error().and_then(|service| service.code());
            match error.status() {
                Some(_) if code == Some("IdentityNotOwned") => Component {
                    ready: true,
                    error: None,
                },
                Some(status)
                    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN =>
                {
                    Component {
                        ready: false,
                        error: Some(format!(
                            "ACS refused the service's credential (HTTP {status})"
                        )),
                    }
                }
                Some(status) if status.is_client_error() => Component {
                    ready: true,
                    error: None,
                },
                _ => Component {
                    ready: false,
                    error: Some(format!("ACS is not reachable ({:?})", error.kind())),
                },
            }
        }
    };
    let issuers = shared.verifier.readiness().await;
    let redis = shared.state.readiness().await.map(|result| match result {
        Ok(()) => Component {
            ready: true,
            error: None,
        },
        Err(error) => Component {
            ready: false,
            error: Some(error),
        },
    });
    let redis_ok = redis
        .as_ref()
        .is_none_or(|redis| redis.ready || shared.state.serves_without_store());
    Readiness {
        ready: acs.ready && issuers.iter().all(|issuer| issuer.ready) && redis_ok,
        acs,
        issuers,
        redis,
    }
}

async fn metrics(State(shared): Service) -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        shared.metrics.encode(),
    )
        .into_response()
}
