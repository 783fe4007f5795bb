//! The ACS Identity routes: authentication, api-version, dispatch.

mod entra_access;
mod error;
mod identities;
mod json;
mod route;
pub(crate) mod signer;
mod teams;
pub(crate) mod timestamp;
pub(crate) mod token;

use std::sync::Arc;
use std::time::SystemTime;

use acs_identity_types::ApiVersion;
use http::header::{AUTHORIZATION, HOST};
use http::request::Parts;

pub(crate) use error::AcsError;
pub(crate) use route::{Params, Unrouted, route};

use crate::Operation;
use crate::entra::{Audience, EntraClaims};
use crate::http::response::{self, HttpResponse};
use crate::state::State;

/// Who is calling.
#[derive(Debug)]
pub(crate) enum Caller {
    /// HMAC-signed with the access key.
    AccessKey,
    /// A bearer token of the registered application.
    Application,
    /// A bearer token of an Entra user (the exchanges).
    User(Box<EntraClaims>),
}

/// Everything a handler needs.
pub(crate) struct Ctx<'a> {
    pub(crate) state: &'a Arc<State>,
    pub(crate) version: ApiVersion,
    pub(crate) params: Params,
    pub(crate) body: &'a [u8],
    pub(crate) query: Option<&'a str>,
    pub(crate) caller: Caller,
    pub(crate) now: SystemTime,
}

/// The pre-GA api-version the service still lists: its own wire (`POST /identities` answering 200 `{"id"}`,
/// `POST /identities/{id}/token`, `PATCH /identities/{id}` to revoke), which no current client speaks.
const LEGACY_PREVIEW: &str = "2020-07-20-preview2";

/// Answers an ACS request: authentication, then routing errors, then the api-version, then the operation.
pub(crate) async fn serve(
    state: &Arc<State>,
    parts: &Parts,
    routed: Result<(Operation, Params), Unrouted>,
    body: &[u8],
    now: SystemTime,
) -> HttpResponse {
    match dispatch(state, parts, routed, body, now).await {
        Ok(response) => response,
        Err(error) => response::error(&error),
    }
}

async fn dispatch(
    state: &Arc<State>,
    parts: &Parts,
    routed: Result<(Operation, Params), Unrouted>,
    body: &[u8],
    now: SystemTime,
) -> Result<HttpResponse, AcsError> {
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let audience = routed.as_ref().ok().and_then(|(op, _)| user_audience(*op));
    let caller = authenticate(state, parts, target, body, now, audience)?;
    if route::query_param(parts.uri.query(), "api-version").as_deref() == Some(LEGACY_PREVIEW) {
        return Err(AcsError::legacy_api_version(LEGACY_PREVIEW));
    }
    let (operation, params) = routed.map_err(|unrouted| match unrouted {
        Unrouted::NotFound => AcsError::not_found(),
        Unrouted::MethodNotAllowed => AcsError::method_not_allowed(&parts.method),
    })?;
    let version = api_version(state, parts, target, operation)?;
    let ctx = Ctx {
        state,
        version,
        params,
        body,
        query: parts.uri.query(),
        caller,
        now,
    };
    match operation {
        Operation::CreateIdentity => identities::create(&ctx).await,
        Operation::GetIdentity => identities::get(&ctx).await,
        Operation::IssueAccessToken => identities::issue_access_token(&ctx).await,
        Operation::RevokeAccessTokens => identities::revoke_access_tokens(&ctx).await,
        Operation::DeleteIdentity => identities::delete(&ctx).await,
        Operation::ExchangeTeamsUserAccessToken => teams::exchange_teams_user_token(&ctx).await,
        Operation::ExchangeTeamsExtensionToken => teams::exchange_teams_extension_token(&ctx).await,
        Operation::GetTeamsExtensionAssignment => teams::get_assignment(&ctx).await,
        Operation::UpsertTeamsExtensionAssignment => teams::upsert_assignment(&ctx).await,
        Operation::DeleteTeamsExtensionAssignment => teams::delete_assignment(&ctx).await,
        Operation::ExchangeEntraToken => entra_access::exchange(&ctx).await,
        Operation::ListEntraAssignments => entra_access::list(&ctx).await,
        Operation::UpdateEntraAssignments => entra_access::update(&ctx).await,
        Operation::GetEntraAssignment => entra_access::get(&ctx).await,
        Operation::UpsertEntraAssignment => entra_access::upsert(&ctx).await,
        Operation::DeleteEntraAssignment => entra_access::delete(&ctx).await,
        Operation::EntraTokenRequest
        | Operation::OidcDiscovery
        | Operation::OidcKeys
        | Operation::Unmatched => Err(AcsError::not_found()),
    }
}

/// The audience of the Entra user token an operation takes instead of the resource's credentials: the
/// exchanges'.
pub(crate) fn user_audience(operation: Operation) -> Option<Audience> {
    teams::needs_user(operation)
}

/// HMAC with the access key, or a bearer token of the emulator's Entra ID. The exchanges (`user_audience`)
/// take an Entra user's token instead, and answer `InvalidAccessToken` without one.
pub(crate) fn authenticate(
    state: &State,
    parts: &Parts,
    target: &str,
    body: &[u8],
    now: SystemTime,
    user_audience: Option<Audience>,
) -> Result<Caller, AcsError> {
    authenticate_with(state, parts, target, Some(body), now, user_audience)
}

/// [`authenticate`] on the head alone, before the body is read: the bearer token whole; for HMAC
/// everything but the body's hash (the signature covers `x-ms-content-sha256`, not the body). Refuses
/// with what `authenticate` would answer for the complete request.
pub(crate) fn authenticate_head(
    state: &State,
    parts: &Parts,
    target: &str,
    now: SystemTime,
    user_audience: Option<Audience>,
) -> Result<(), AcsError> {
    authenticate_with(state, parts, target, None, now, user_audience).map(drop)
}

/// `body: None` checks the head alone.
fn authenticate_with(
    state: &State,
    parts: &Parts,
    target: &str,
    body: Option<&[u8]>,
    now: SystemTime,
    user_audience: Option<Audience>,
) -> Result<Caller, AcsError> {
    let bearer = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim());
    if let Some(audience) = user_audience {
        let claims = bearer.and_then(|token| state.entra.verify(token, audience, true, now));
        return claims
            .map(|claims| Caller::User(Box::new(claims)))
            .ok_or_else(AcsError::invalid_access_token);
    }
    if let Some(token) = bearer {
        return match state
            .entra
            .verify(token, Audience::Communication, false, now)
        {
            Some(_) => Ok(Caller::Application),
            None => Err(AcsError::denied(
                "InvalidBearerToken",
                "The bearer token is not a valid, unexpired token of the emulator's Entra ID for https://communication.azure.com.",
            )
            .with_auth_error(
                "the bearer token is not a valid, unexpired application token of the emulator's Entra ID for https://communication.azure.com"
                    .to_owned(),
            )),
        };
    }
    let (method, headers, key) = (&parts.method, &parts.headers, &state.access_key);
    match body {
        Some(body) => state.hmac.explain(method, target, headers, body, key, now),
        None => state
            .hmac
            .explain_headers(method, target, headers, key, now),
    }
    .map(|()| Caller::AccessKey)
    .map_err(|rejection| {
        AcsError::denied("InvalidHmacSignature", rejection.error().message())
            .with_auth_error(rejection.to_string())
    })
}

/// The request's api-version, which must exist and include the operation.
fn api_version(
    state: &State,
    parts: &Parts,
    target: &str,
    operation: Operation,
) -> Result<ApiVersion, AcsError> {
    let raw = route::query_param(parts.uri.query(), "api-version")
        .filter(|v| !v.is_empty())
        .ok_or_else(AcsError::api_version_unspecified)?;
    let unsupported = || {
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or(&state.authority);
        AcsError::unsupported_api_version(&format!("{}://{host}{target}", state.scheme), &raw)
    };
    let version: ApiVersion = raw.parse().map_err(|_| unsupported())?;
    match route::feature(operation) {
        Some(feature) if !version.supports(feature) => Err(unsupported()),
        _ => Ok(version),
    }
}
