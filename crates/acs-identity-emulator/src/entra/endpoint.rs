//! `POST /{tenant}/oauth2/v2.0/token` (client credentials), OpenID Connect discovery
//! (`GET /{tenant}/v2.0/.well-known/openid-configuration`) and the JWKS (`GET /{tenant}/discovery/v2.0/keys`),
//! with Entra's error bodies.

use std::time::SystemTime;

use http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, HeaderValue};
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use super::COMMUNICATION_SCOPE;
use super::authority::APP_TOKEN_SECONDS;
use crate::acs::timestamp::{to_datetime, unix_seconds};
use crate::http::body::ResponseBody;
use crate::http::response::{self, HttpResponse};
use crate::state::State;

const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A route of the Entra endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntraRoute {
    Token { tenant: String },
    OpenIdConfiguration { tenant: String },
    Keys { tenant: String },
}

impl EntraRoute {
    /// The operation requests to this route count as.
    pub(crate) fn operation(&self) -> crate::Operation {
        match self {
            Self::Token { .. } => crate::Operation::EntraTokenRequest,
            Self::OpenIdConfiguration { .. } => crate::Operation::OidcDiscovery,
            Self::Keys { .. } => crate::Operation::OidcKeys,
        }
    }
}

/// Matches the Entra paths; everything else is ACS's.
pub(crate) fn entra_route(path: &str) -> Option<EntraRoute> {
    let mut segments = path.strip_prefix('/')?.split('/');
    let tenant = segments.next()?.to_owned();
    let rest: Vec<&str> = segments.collect();
    match rest.as_slice() {
        ["oauth2", "v2.0", "token"] => Some(EntraRoute::Token { tenant }),
        ["v2.0", ".well-known", "openid-configuration"] => {
            Some(EntraRoute::OpenIdConfiguration { tenant })
        }
        ["discovery", "v2.0", "keys"] => Some(EntraRoute::Keys { tenant }),
        _ => None,
    }
}

/// Answers an Entra request.
pub(crate) fn serve(
    state: &State,
    route: &EntraRoute,
    method: &Method,
    body: &[u8],
    now: SystemTime,
) -> HttpResponse {
    let (tenant, expected) = match route {
        EntraRoute::Token { tenant } => (tenant, Method::POST),
        EntraRoute::OpenIdConfiguration { tenant } | EntraRoute::Keys { tenant } => {
            (tenant, Method::GET)
        }
    };
    if method != expected {
        let message = format!("The endpoint only accepts {expected} requests.");
        return oauth_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            900561,
            &message,
            now,
        );
    }
    if Uuid::parse_str(tenant).ok() != Some(state.entra.tenant_id) {
        let message = format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID."
        );
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &message,
            now,
        );
    }
    match route {
        EntraRoute::Token { .. } => token(state, body, now),
        EntraRoute::OpenIdConfiguration { .. } => cacheable(openid_configuration(state)),
        EntraRoute::Keys { .. } => cacheable(keys(state)),
    }
}

#[derive(Default)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
    scope: Option<String>,
}

fn token(state: &State, body: &[u8], now: SystemTime) -> HttpResponse {
    let mut request = TokenRequest::default();
    for (name, value) in form_urlencoded::parse(body) {
        let slot = match name.as_ref() {
            "grant_type" => &mut request.grant_type,
            "client_id" => &mut request.client_id,
            "client_secret" => &mut request.client_secret,
            "client_assertion_type" => &mut request.client_assertion_type,
            "client_assertion" => &mut request.client_assertion,
            "scope" => &mut request.scope,
            _ => continue,
        };
        *slot = Some(value.into_owned());
    }
    let bad = |code, number, message: &str| {
        oauth_error(StatusCode::BAD_REQUEST, code, number, message, now)
    };
    let Some(grant_type) = request.grant_type else {
        return bad(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        );
    };
    if grant_type != "client_credentials" {
        return bad(
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    let Some(client_id) = request.client_id else {
        return bad(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some(scope) = request.scope else {
        return bad(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        );
    };
    let app = &state.entra.app;
    if Uuid::parse_str(&client_id).ok() != Some(app.client_id()) {
        let message =
            format!("Application with identifier '{client_id}' was not found in the directory.");
        return bad("unauthorized_client", 700016, &message);
    }
    if scope.split(' ').any(|s| s != COMMUNICATION_SCOPE) || scope.is_empty() {
        return bad(
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid. The emulator issues tokens for https://communication.azure.com//.default only.",
        );
    }
    let unauthorized = |number, message: &str| {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            number,
            message,
            now,
        )
    };
    match (request.client_secret, request.client_assertion) {
        (Some(secret), None) => {
            if !bool::from(secret.as_bytes().ct_eq(app.client_secret().as_bytes())) {
                let message = format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                );
                return unauthorized(7000215, &message);
            }
        }
        (None, Some(assertion)) => {
            if request.client_assertion_type.as_deref() != Some(CLIENT_ASSERTION_TYPE) {
                return bad(
                    "invalid_request",
                    90014,
                    "The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
                );
            }
            if let Err(problem) = check_assertion(&assertion, now) {
                return unauthorized(problem.0, problem.1);
            }
        }
        (Some(_), Some(_)) => {
            return bad(
                "invalid_request",
                90015,
                "Only one client credential may be sent: client_secret or client_assertion.",
            );
        }
        (None, None) => {
            return unauthorized(
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        }
    }
    response::json(
        StatusCode::OK,
        &TokenResponse {
            token_type: "Bearer",
            expires_in: APP_TOKEN_SECONDS,
            ext_expires_in: APP_TOKEN_SECONDS,
            access_token: state.entra.issue_app_token(now),
        },
    )
}

#[derive(Deserialize)]
struct AssertionClaims {
    exp: Option<i64>,
}

/// Workload identity sends a federated token as the assertion. The emulator trusts any issuer: it checks
/// that the assertion is a JWT and, when it has `exp`, that it has not expired.
fn check_assertion(assertion: &str, now: SystemTime) -> Result<(), (u32, &'static str)> {
    let claims: AssertionClaims = crate::jwt::unverified_claims(assertion).map_err(|_| {
        (
            50027,
            "Invalid JWT token. The client assertion is not a well-formed JWT.",
        )
    })?;
    if claims.exp.is_some_and(|exp| exp <= unix_seconds(now)) {
        return Err((
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    Ok(())
}

#[derive(Serialize)]
struct TokenResponse {
    token_type: &'static str,
    expires_in: u64,
    ext_expires_in: u64,
    access_token: String,
}

#[derive(Serialize)]
struct OAuthError<'a> {
    error: &'a str,
    error_description: String,
    error_codes: [u32; 1],
    timestamp: String,
    trace_id: String,
    correlation_id: String,
    error_uri: String,
}

fn oauth_error(
    status: StatusCode,
    error: &str,
    number: u32,
    message: &str,
    now: SystemTime,
) -> HttpResponse {
    let at = to_datetime(now);
    let timestamp = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let trace_id = Uuid::new_v4().to_string();
    let correlation_id = Uuid::new_v4().to_string();
    let body = OAuthError {
        error,
        error_description: format!(
            "AADSTS{number}: {message} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        error_codes: [number],
        timestamp,
        trace_id,
        correlation_id,
        error_uri: format!("https://login.microsoftonline.com/error?code={number}"),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    response::with_type(
        status,
        HeaderValue::from_static("application/json; charset=utf-8"),
        ResponseBody::sized(bytes),
    )
}

#[derive(Serialize)]
struct OpenIdConfiguration {
    issuer: String,
    token_endpoint: String,
    authorization_endpoint: String,
    jwks_uri: String,
    token_endpoint_auth_methods_supported: [&'static str; 2],
    response_types_supported: [&'static str; 3],
    response_modes_supported: [&'static str; 3],
    scopes_supported: [&'static str; 4],
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: [&'static str; 2],
    claims_supported: [&'static str; 13],
    request_uri_parameter_supported: bool,
    tenant_region_scope: &'static str,
}

fn openid_configuration(state: &State) -> HttpResponse {
    let base = format!("{}{}", state.endpoint, state.entra.tenant_id);
    response::json(
        StatusCode::OK,
        &OpenIdConfiguration {
            issuer: state.entra.issuer.clone(),
            token_endpoint: format!("{base}/oauth2/v2.0/token"),
            authorization_endpoint: format!("{base}/oauth2/v2.0/authorize"),
            jwks_uri: format!("{base}/discovery/v2.0/keys"),
            token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
            // Entra's lists; the emulator itself issues tokens only at the token endpoint and at
            // `/_emulator/sign-in`.
            response_types_supported: ["code", "id_token", "code id_token"],
            response_modes_supported: ["query", "fragment", "form_post"],
            scopes_supported: ["openid", "profile", "email", "offline_access"],
            subject_types_supported: ["pairwise"],
            id_token_signing_alg_values_supported: ["RS256", "ES256"],
            claims_supported: [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "nbf",
                "oid",
                "tid",
                "ver",
                "roles",
                "groups",
                "name",
                "preferred_username",
            ],
            request_uri_parameter_supported: false,
            tenant_region_scope: "NA",
        },
    )
}

/// `{"keys": [...]}`: the published RS256 and ES256 keys, generated on the first request if need be.
fn keys(state: &State) -> HttpResponse {
    match state.entra.signing_keys() {
        Ok(keys) => response::json(StatusCode::OK, &keys.jwks()),
        Err(error) => {
            tracing::error!(%error, "cannot serve the JWKS");
            response::error(&crate::acs::AcsError::internal())
        }
    }
}

/// Entra's caching headers on discovery and keys: relying parties cache them for a day (and refetch on an
/// unknown `kid`, which is what rotation relies on).
fn cacheable(mut response: HttpResponse) -> HttpResponse {
    if response.status() == StatusCode::OK {
        let headers = response.headers_mut();
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("max-age=86400, private"),
        );
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            entra_route("/t/oauth2/v2.0/token"),
            Some(EntraRoute::Token { tenant: "t".into() })
        );
        assert_eq!(
            entra_route("/t/v2.0/.well-known/openid-configuration"),
            Some(EntraRoute::OpenIdConfiguration { tenant: "t".into() })
        );
        assert_eq!(
            entra_route("/t/discovery/v2.0/keys"),
            Some(EntraRoute::Keys { tenant: "t".into() })
        );
        assert_eq!(entra_route("/identities"), None);
        assert_eq!(entra_route("/identities/x/:issueAccessToken"), None);
    }
}
