//! Teams: the Teams user token exchange, the Teams extension token exchange and its assignments.

use std::time::{Duration, SystemTime};

use acs_identity_types::Feature;
use http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use super::identities::{AccessTokenBody, IdentityAndToken};
use super::json::JsonObject;
use super::{AcsError, Caller, Ctx};
use crate::entra::{Audience, EntraClaims};
use crate::http::response::{self, HttpResponse};
use crate::store::AssignmentRecord;

/// Scopes of tokens exchanged for Teams users and Teams extension users.
const TEAMS_SCOPES: [&str; 2] = ["chat", "voip"];

/// `POST /teamsUser/:exchangeAccessToken`: checks the body's `appId` and `userId` against the Entra token's
/// `appid` and `oid` (from 2022-06-01; the earlier versions take the token alone); the ACS token expires with
/// the Entra token.
pub(crate) async fn exchange_teams_user_token(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let body = JsonObject::parse(ctx.body)?;
    let token = body.string("token")?.unwrap_or_default();
    if !ctx.version.supports(Feature::TeamsUserExchangeChecks) {
        let claims = ctx
            .state
            .entra
            .verify(token, Audience::Teams, true, ctx.now)
            .ok_or_else(AcsError::invalid_access_token)?;
        let issued = ctx.state.issue_token(
            format!("orgid:{}", claims.oid),
            &scopes(),
            ctx.now,
            expiry(&claims),
        )?;
        return Ok(response::json(
            StatusCode::OK,
            &AccessTokenBody::from(issued),
        ));
    }
    let app_id = body.string("appId")?.unwrap_or_default();
    let user_id = body.string("userId")?.unwrap_or_default();
    // Model validation first (ASP.NET's `[Required]`), then formats, then the token, then its claims.
    if app_id.is_empty() {
        return Err(AcsError::validation(
            "AppId: The AppId field is required.",
            "AppId",
        ));
    }
    if user_id.is_empty() {
        return Err(AcsError::validation(
            "UserId: The UserId field is required.",
            "UserId",
        ));
    }
    let app_id = Uuid::parse_str(app_id)
        .map_err(|_| AcsError::validation("Provided AppId has invalid format.", "appId"))?;
    let user_id = Uuid::parse_str(user_id)
        .map_err(|_| AcsError::validation("Provided UserId has invalid format.", "userId"))?;
    let claims = ctx
        .state
        .entra
        .verify(token, Audience::Teams, true, ctx.now)
        .ok_or_else(AcsError::invalid_access_token)?;
    if Uuid::parse_str(&claims.appid).ok() != Some(app_id) {
        return Err(AcsError::validation(
            "AAD application is not the expected one.",
            "appId",
        ));
    }
    if Uuid::parse_str(&claims.oid).ok() != Some(user_id) {
        return Err(AcsError::validation(
            "Provided AAD token issued for unexpected user.",
            "userId",
        ));
    }
    let issued = ctx.state.issue_token(
        format!("orgid:{user_id}"),
        &scopes(),
        ctx.now,
        expiry(&claims),
    )?;
    Ok(response::json(
        StatusCode::OK,
        &AccessTokenBody::from(issued),
    ))
}

/// `POST /access/teamsExtension/:exchangeAccessToken`: the caller is the Teams Phone user of the bearer
/// token; it needs an assignment for its tenant and object id, which lists its application when it lists any.
pub(crate) async fn exchange_teams_extension_token(
    ctx: &Ctx<'_>,
) -> Result<HttpResponse, AcsError> {
    let Caller::User(claims) = &ctx.caller else {
        return Err(AcsError::invalid_access_token());
    };
    let (tenant, object) = (claims.tid.clone(), claims.oid.clone());
    let assignment = ctx
        .state
        .db(move |store| store.teams_extension_assignment(&tenant, &object))
        .await?
        .ok_or_else(AcsError::not_assigned)?;
    if let Some(client_ids) = assignment.client_ids.filter(|ids| !ids.is_empty())
        && !client_ids
            .iter()
            .any(|id| id.eq_ignore_ascii_case(&claims.appid))
    {
        return Err(AcsError::client_not_allowed());
    }
    let skypeid = format!(
        "acs:{}_{}_{}",
        ctx.state.resource_id, claims.tid, claims.oid
    );
    let id = format!("8:{skypeid}");
    let issued = ctx
        .state
        .issue_token(skypeid, &scopes(), ctx.now, expiry(claims))?;
    Ok(response::json(
        StatusCode::OK,
        &IdentityAndToken::exchanged(&id, issued),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TeamsExtensionAssignment<'a> {
    object_id: &'a str,
    tenant_id: &'a str,
    principal_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_ids: Option<&'a [String]>,
}

fn assignment_body(record: &AssignmentRecord) -> TeamsExtensionAssignment<'_> {
    TeamsExtensionAssignment {
        object_id: &record.object_id,
        tenant_id: &record.tenant_id,
        principal_type: &record.principal_type,
        client_ids: record.client_ids.as_deref(),
    }
}

/// `GET /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`
pub(crate) async fn get_assignment(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let (tenant, object) = path_ids(ctx)?;
    let record = ctx
        .state
        .db(move |store| store.teams_extension_assignment(&tenant, &object))
        .await?
        .ok_or_else(AcsError::assignment_not_found)?;
    Ok(response::json(StatusCode::OK, &assignment_body(&record)))
}

/// `PUT /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`: 201 when created, 200 when replaced.
pub(crate) async fn upsert_assignment(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let (tenant_id, object_id) = path_ids(ctx)?;
    let body = JsonObject::parse(ctx.body)?;
    let principal_type = principal_type(&body, &["resourceAccount", "user"])?;
    let client_ids = client_ids(&body)?;
    let record = AssignmentRecord {
        tenant_id,
        object_id,
        principal_type,
        client_ids,
    };
    let stored = record.clone();
    let created = ctx
        .state
        .db(move |store| store.upsert_teams_extension_assignment(&stored))
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(response::json(status, &assignment_body(&record)))
}

/// `DELETE /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`: 204, also when absent.
pub(crate) async fn delete_assignment(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let (tenant, object) = path_ids(ctx)?;
    ctx.state
        .db(move |store| store.delete_teams_extension_assignment(&tenant, &object))
        .await?;
    Ok(response::no_content())
}

fn path_ids(ctx: &Ctx<'_>) -> Result<(String, String), AcsError> {
    Ok((
        guid(&ctx.params.tenant_id, "TenantId", "tenantId")?,
        guid(&ctx.params.object_id, "ObjectId", "objectId")?,
    ))
}

/// A GUID in its canonical lowercase form, or `Provided <Name> has invalid format.`
pub(crate) fn guid(value: &str, name: &str, target: &'static str) -> Result<String, AcsError> {
    Uuid::parse_str(value)
        .map(|id| id.to_string())
        .map_err(|_| AcsError::validation(format!("Provided {name} has invalid format."), target))
}

/// `principalType`: required, one of `allowed` (compared case-insensitively, stored as spelled there).
pub(crate) fn principal_type(
    body: &JsonObject,
    allowed: &[&'static str],
) -> Result<String, AcsError> {
    let value = body
        .string("principalType")?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            AcsError::validation(
                "PrincipalType: The PrincipalType field is required.",
                "PrincipalType",
            )
        })?;
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(value))
        .map(|a| (*a).to_owned())
        .ok_or_else(|| {
            AcsError::validation("Provided PrincipalType is not valid.", "principalType")
        })
}

/// `clientIds`: optional, each a GUID.
pub(crate) fn client_ids(body: &JsonObject) -> Result<Option<Vec<String>>, AcsError> {
    body.strings("clientIds")?
        .map(|ids| {
            ids.iter()
                .map(|id| guid(id, "ClientId", "clientIds"))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
}

fn scopes() -> Vec<String> {
    TEAMS_SCOPES.iter().map(|s| (*s).to_owned()).collect()
}

/// Exchanged tokens expire with the Entra token they were exchanged for.
pub(crate) fn expiry(claims: &EntraClaims) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(claims.exp.max(0).unsigned_abs())
}

/// Whether the operation needs the caller to be an Entra user (the exchanges) rather than the resource.
pub(crate) fn needs_user(operation: crate::Operation) -> Option<Audience> {
    match operation {
        crate::Operation::ExchangeTeamsExtensionToken => Some(Audience::Teams),
        crate::Operation::ExchangeEntraToken => Some(Audience::Communication),
        _ => None,
    }
}
