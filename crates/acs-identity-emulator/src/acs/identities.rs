//! `/identities`: create, get, issue token, revoke tokens, delete.

use std::time::Duration;

use acs_identity_types::{CustomId, Feature, TokenScope};
use http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use super::json::JsonObject;
use super::timestamp::{expires_on, last_token_issued_at, unix_nanos, unix_seconds};
use super::token::Issued;
use super::{AcsError, Ctx};
use crate::http::response::{self, HttpResponse};

/// The lifetime of a token when `expiresInMinutes` is absent: 24 hours.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_token_issued_at: Option<String>,
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessTokenBody {
    token: String,
    expires_on: String,
}

impl From<Issued> for AccessTokenBody {
    fn from(issued: Issued) -> Self {
        Self {
            token: issued.token,
            expires_on: expires_on(issued.expires_on),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdentityAndToken<'a> {
    identity: IdentityBody<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<AccessTokenBody>,
}

impl<'a> IdentityAndToken<'a> {
    /// The body of the exchanges: an identity with only its id, and a token.
    pub(crate) fn exchanged(id: &'a str, token: Issued) -> Self {
        Self {
            identity: IdentityBody {
                custom_id: None,
                last_token_issued_at: None,
                id,
            },
            access_token: Some(token.into()),
        }
    }
}

/// `POST /identities`
pub(crate) async fn create(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let body = JsonObject::parse(ctx.body)?;
    let custom_id = match ctx.version.supports(Feature::CustomId) {
        true => body
            .string("customId")?
            .map(|id| {
                CustomId::new(id)
                    .map(CustomId::into_string)
                    .map_err(|_| AcsError::invalid_custom_id())
            })
            .transpose()?,
        false => None,
    };
    let scopes = match body.strings("createTokenWithScopes")? {
        Some(scopes) => known_scopes(ctx, scopes, "createTokenWithScopes")?,
        None => Vec::new(),
    };
    let lifetime = lifetime(ctx, &body, Feature::CreateTokenLifetime)?;

    let now = unix_seconds(ctx.now);
    let token_issued_at = (!scopes.is_empty()).then_some(now);
    let fresh = Uuid::new_v4().to_string();
    let (record, _created) = ctx
        .state
        .db(move |store| store.create_identity(&fresh, custom_id.as_deref(), now, token_issued_at))
        .await?;

    let id = ctx.state.identity_id(&record.suffix);
    let access_token = match scopes.is_empty() {
        true => None,
        false => Some(ctx.issue(&id, &scopes, lifetime)?.into()),
    };
    // As recorded at 2025-03-02-preview: the identity carries `customId` and `lastTokenIssuedAt` only for a
    // create that names a custom id; with a token, `lastTokenIssuedAt` is that token's issue time (the
    // response's `Date`), without one the earlier value.
    let detailed = ctx.version.supports(Feature::GetUser) && record.custom_id.is_some();
    let last_issued = token_issued_at.or(record.last_token_issued_at);
    let identity = IdentityBody {
        custom_id: record.custom_id.as_deref().filter(|_| detailed),
        last_token_issued_at: last_issued.filter(|_| detailed).map(last_token_issued_at),
        id: &id,
    };
    Ok(response::json(
        StatusCode::CREATED,
        &IdentityAndToken {
            identity,
            access_token,
        },
    ))
}

/// `GET /identities/{id}`
pub(crate) async fn get(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let suffix = ctx.own_identity()?.to_owned();
    let record = ctx
        .state
        .db(move |store| store.identity(&suffix))
        .await?
        .ok_or_else(AcsError::identity_not_found)?;
    let id = ctx.state.identity_id(&record.suffix);
    let identity = IdentityBody {
        custom_id: record.custom_id.as_deref(),
        last_token_issued_at: record.last_token_issued_at.map(last_token_issued_at),
        id: &id,
    };
    Ok(response::json(StatusCode::OK, &identity))
}

/// `POST /identities/{id}/:issueAccessToken`
pub(crate) async fn issue_access_token(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let body = JsonObject::parse(ctx.body)?;
    let scopes = match body.strings("scopes")? {
        None => return Err(AcsError::missing_scopes()),
        Some(scopes) if scopes.is_empty() => return Err(AcsError::empty_scopes()),
        Some(scopes) => known_scopes(ctx, scopes, "scopes")?,
    };
    let lifetime = lifetime(ctx, &body, Feature::TokenLifetime)?;
    let suffix = ctx.own_identity()?.to_owned();
    let id = ctx.state.identity_id(&suffix);
    let now = unix_seconds(ctx.now);
    if !ctx
        .state
        .db(move |store| store.record_token_issued(&suffix, now))
        .await?
    {
        return Err(AcsError::identity_not_found());
    }
    let issued = ctx.issue(&id, &scopes, lifetime)?;
    Ok(response::json(
        StatusCode::OK,
        &AccessTokenBody::from(issued),
    ))
}

/// `POST /identities/{id}/:revokeAccessTokens`
pub(crate) async fn revoke_access_tokens(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let suffix = ctx.own_identity()?.to_owned();
    let now = unix_nanos(ctx.now);
    match ctx
        .state
        .db(move |store| store.revoke(&suffix, now))
        .await?
    {
        true => Ok(response::no_content()),
        false => Err(AcsError::identity_not_found()),
    }
}

/// `DELETE /identities/{id}`
pub(crate) async fn delete(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let suffix = ctx.own_identity()?.to_owned();
    match ctx
        .state
        .db(move |store| store.delete_identity(&suffix))
        .await?
    {
        true => Ok(response::no_content()),
        false => Err(AcsError::identity_not_found()),
    }
}

/// Keeps the scopes in request order, without repeats; an unknown scope, or one the api-version lacks (the
/// join scopes before 2023-10-01, by the capability table the clients use), is an error.
fn known_scopes(
    ctx: &Ctx<'_>,
    scopes: Vec<String>,
    target: &'static str,
) -> Result<Vec<String>, AcsError> {
    let mut known: Vec<String> = Vec::with_capacity(scopes.len());
    for scope in scopes {
        let parsed = TokenScope::from(scope.as_str());
        let missing = parsed
            .required_feature()
            .is_some_and(|feature| !ctx.version.supports(feature));
        if matches!(parsed, TokenScope::Other(_)) || missing {
            return Err(AcsError::unknown_scope(target));
        }
        if !known.contains(&scope) {
            known.push(scope);
        }
    }
    Ok(known)
}

/// `expiresInMinutes`, honoured where the api-version has `feature` (issue from 2022-09-01, create from
/// 2022-10-01); older versions do not know the field and ignore it.
fn lifetime(ctx: &Ctx<'_>, body: &JsonObject, feature: Feature) -> Result<Duration, AcsError> {
    if !ctx.version.supports(feature) {
        return Ok(DEFAULT_LIFETIME);
    }
    match body.int32("expiresInMinutes")? {
        None => Ok(DEFAULT_LIFETIME),
        Some(minutes @ 60..=1440) => Ok(Duration::from_secs(minutes.unsigned_abs() * 60)),
        Some(minutes) => Err(AcsError::expires_in_minutes(minutes)),
    }
}

impl Ctx<'_> {
    /// The suffix of the path's identity, which must be a communication user of this resource.
    fn own_identity(&self) -> Result<&str, AcsError> {
        let rest = self
            .params
            .id
            .strip_prefix("8:acs:")
            .ok_or_else(AcsError::malformed_identity)?;
        let (resource, suffix) = rest
            .split_once('_')
            .ok_or_else(AcsError::malformed_identity)?;
        let resource = Uuid::parse_str(resource).map_err(|_| AcsError::malformed_identity())?;
        if suffix.is_empty() {
            return Err(AcsError::malformed_identity());
        }
        if resource != self.state.resource_id {
            return Err(AcsError::identity_not_owned());
        }
        Ok(suffix)
    }

    /// Issues a token for the raw id `id`.
    pub(crate) fn issue(
        &self,
        id: &str,
        scopes: &[String],
        lifetime: Duration,
    ) -> Result<Issued, AcsError> {
        let skypeid = id.strip_prefix("8:").unwrap_or(id).to_owned();
        self.state
            .issue_token(skypeid, scopes, self.now, self.now + lifetime)
    }
}
