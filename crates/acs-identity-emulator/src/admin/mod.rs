//! `/_emulator/...`: the emulator's own routes, authenticated like the ACS routes (HMAC with the access key,
//! or the registered application's bearer token). `/_emulator/sign-in` is the exception while the emulator
//! listens on loopback: it is for a human with curl, who has no HMAC signer.

mod sign_in;
mod wire;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::request::Parts;
use http::{Method, StatusCode};

use crate::acs::timestamp::expires_on;
use crate::acs::{self, AcsError};
use crate::entra::{COMMUNICATION_SCOPE, EntraUser};
use crate::http::response::{self, HttpResponse};
use crate::state::State;
use crate::{FaultConfig, TokenStatus};

pub(crate) async fn serve(
    state: &Arc<State>,
    parts: &Parts,
    body: &[u8],
    now: SystemTime,
) -> HttpResponse {
    let result = if is_public_key_request(parts) {
        acs_keys(state)
    } else if is_open(state, parts) {
        sign_in::serve(state, parts, body, now)
    } else {
        dispatch(state, parts, body, now)
    };
    match result {
        Ok(response) => response,
        Err(error) => response::error(&error),
    }
}

/// The public key of the ACS access tokens as a JWKS: public, so unauthenticated on any address.
pub(crate) const ACS_KEYS: &str = "/_emulator/acs/keys";

fn is_public_key_request(parts: &Parts) -> bool {
    parts.uri.path() == ACS_KEYS && parts.method == Method::GET
}

/// Whether the route takes requests without authentication: the ACS keys, and the sign-in while the
/// emulator listens on loopback.
pub(crate) fn is_open(state: &State, parts: &Parts) -> bool {
    is_public_key_request(parts) || (state.sign_in_open && parts.uri.path() == "/_emulator/sign-in")
}

fn acs_keys(state: &State) -> Result<HttpResponse, AcsError> {
    let key = state.acs_tokens.key(&state.store).map_err(|error| {
        tracing::error!(%error, "cannot load the ACS token key");
        AcsError::internal()
    })?;
    Ok(response::json(StatusCode::OK, &key.jwks()))
}

fn dispatch(
    state: &Arc<State>,
    parts: &Parts,
    body: &[u8],
    now: SystemTime,
) -> Result<HttpResponse, AcsError> {
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    acs::authenticate(state, parts, target, body, now, None)?;
    let path = parts.uri.path().trim_start_matches("/_emulator");
    let method = &parts.method;
    match (method, path) {
        (&Method::GET, "/info") => Ok(response::json(StatusCode::OK, &info(state))),
        (&Method::GET, "/faults") => Ok(faults_response(state)),
        (&Method::PUT, "/faults") => {
            let config: wire::FaultConfigDto = parse(body)?;
            state
                .faults
                .set(FaultConfig::try_from(config).map_err(invalid)?);
            Ok(faults_response(state))
        }
        (&Method::POST, "/faults/rules") => {
            let rule: wire::FaultRuleDto = parse(body)?;
            state.faults.push(rule.try_into().map_err(invalid)?);
            Ok(faults_response(state))
        }
        (&Method::DELETE, "/faults") => {
            state.faults.clear();
            Ok(response::no_content())
        }
        (&Method::GET, "/requests") => Ok(response::json(
            StatusCode::OK,
            &wire::RequestsDto::from(&state.requests),
        )),
        (&Method::DELETE, "/requests") => {
            state.requests.reset();
            Ok(response::no_content())
        }
        (&Method::POST, "/tokens/:validate") => {
            let request: wire::ValidateDto = parse(body)?;
            let status = crate::acs::token::check(
                &state.acs_tokens,
                &state.store,
                &state.resource_id_text,
                &request.token,
                now,
            );
            Ok(response::json(StatusCode::OK, &validity(&status)))
        }
        (&Method::POST, "/entra/users/:issueToken") => {
            let request: wire::EntraUserDto = parse(body)?;
            let user = request.into_user(now).map_err(invalid)?;
            let token = state.entra.issue_user_token(&user, now);
            Ok(response::json(
                StatusCode::OK,
                &wire::EntraTokenDto {
                    access_token: token.secret(),
                    expires_on: expires_on(token.expires_on()),
                },
            ))
        }
        (&Method::GET | &Method::POST, "/sign-in") => sign_in::serve(state, parts, body, now),
        (
            _,
            "/sign-in"
            | "/info"
            | "/faults"
            | "/faults/rules"
            | "/requests"
            | "/tokens/:validate"
            | "/entra/users/:issueToken",
        ) => Err(AcsError::method_not_allowed(method)),
        _ => Err(AcsError::not_found()),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AcsError> {
    serde_json::from_slice(body).map_err(|_| AcsError::invalid_body())
}

fn invalid(message: String) -> AcsError {
    AcsError::validation(message, "body")
}

fn faults_response(state: &State) -> HttpResponse {
    let rules = state
        .faults
        .rules()
        .iter()
        .map(wire::FaultRuleDto::from)
        .collect();
    response::json(StatusCode::OK, &wire::RulesDto { rules })
}

fn info(state: &State) -> wire::InfoDto<'_> {
    wire::InfoDto {
        endpoint: &state.endpoint,
        resource_id: state.resource_id.to_string(),
        entra_authority: &state.endpoint,
        entra_tenant_id: state.entra.tenant_id.to_string(),
        entra_token_endpoint: format!(
            "{}{}/oauth2/v2.0/token",
            state.endpoint, state.entra.tenant_id
        ),
        entra_client_id: state.entra.app.client_id().to_string(),
        entra_client_secret: state.entra.app.client_secret(),
        oidc_issuer: &state.entra.issuer,
        scope: COMMUNICATION_SCOPE,
        api_versions: acs_identity_types::ApiVersion::ALL
            .iter()
            .map(|v| v.as_str())
            .collect(),
        tls: state.scheme == "https",
    }
}

fn validity(status: &TokenStatus) -> wire::ValidityDto {
    let mut dto = wire::ValidityDto {
        valid: status.is_valid(),
        status: status.name(),
        ..Default::default()
    };
    if let TokenStatus::Valid {
        identity,
        scopes,
        expires_on: at,
    } = status
    {
        dto.identity = Some(identity.clone());
        dto.scopes = Some(scopes.clone());
        dto.expires_on = Some(expires_on(*at));
    }
    dto
}

impl wire::EntraUserDto {
    fn into_user(self, now: SystemTime) -> Result<EntraUser, String> {
        let audience = match self.audience.as_deref() {
            None | Some("teams") => EntraUser::TEAMS_AUDIENCE.to_owned(),
            Some("communication") => EntraUser::COMMUNICATION_AUDIENCE.to_owned(),
            Some(other) => other.to_owned(),
        };
        let expires_at = self.expires_in_seconds.map(|seconds| {
            let delta = Duration::from_secs(seconds.unsigned_abs());
            if seconds >= 0 {
                now + delta
            } else {
                now.checked_sub(delta).unwrap_or(SystemTime::UNIX_EPOCH)
            }
        });
        Ok(EntraUser {
            object_id: self.object_id,
            app_id: self.app_id,
            tenant_id: self.tenant_id,
            audience,
            groups: self.groups,
            expires_at,
        })
    }
}
