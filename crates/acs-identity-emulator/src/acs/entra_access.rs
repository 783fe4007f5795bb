//! Entra ID access (2025-03-02-preview): the token exchange and the assignments it honours.

use http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::identities::IdentityAndToken;
use super::json::JsonObject;
use super::route::query_param;
use super::teams::{client_ids, expiry, guid, principal_type};
use super::{AcsError, Caller, Ctx};
use crate::http::response::{self, HttpResponse};
use crate::store::AssignmentRecord;

const PRINCIPAL_TYPES: [&str; 3] = ["user", "group", "tenant"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntraAssignment<'a> {
    object_id: &'a str,
    tenant_id: &'a str,
    principal_type: &'a str,
    client_ids: &'a [String],
}

fn body(record: &AssignmentRecord) -> EntraAssignment<'_> {
    EntraAssignment {
        object_id: &record.object_id,
        tenant_id: &record.tenant_id,
        principal_type: &record.principal_type,
        client_ids: record.client_ids.as_deref().unwrap_or_default(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignmentPage<'a> {
    value: Vec<EntraAssignment<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

/// `POST /access/entra/:exchangeAccessToken`: the bearer's user needs an assignment for itself, its tenant or
/// one of its groups, listing the token's application.
pub(crate) async fn exchange(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let Caller::User(claims) = &ctx.caller else {
        return Err(AcsError::invalid_access_token());
    };
    let mut candidates = vec![claims.oid.clone(), claims.tid.clone()];
    candidates.extend(claims.groups.iter().cloned());
    let found = ctx
        .state
        .db(move |store| {
            store.entra_assignments_for(&candidates.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .await?;
    let applies = |record: &&AssignmentRecord| {
        record.tenant_id.eq_ignore_ascii_case(&claims.tid)
            && match record.principal_type.as_str() {
                "user" => record.object_id.eq_ignore_ascii_case(&claims.oid),
                "tenant" => record.object_id.eq_ignore_ascii_case(&claims.tid),
                "group" => claims
                    .groups
                    .iter()
                    .any(|g| g.eq_ignore_ascii_case(&record.object_id)),
                _ => false,
            }
    };
    let matching: Vec<&AssignmentRecord> = found.iter().filter(applies).collect();
    if matching.is_empty() {
        return Err(AcsError::not_assigned());
    }
    let allowed = matching.iter().any(|record| {
        record
            .client_ids
            .iter()
            .flatten()
            .any(|id| id.eq_ignore_ascii_case(&claims.appid))
    });
    if !allowed {
        return Err(AcsError::client_not_allowed());
    }
    let skypeid = format!(
        "acs:{}_wf_{}_{}",
        ctx.state.resource_id, claims.tid, claims.oid
    );
    let id = format!("8:{skypeid}");
    let scopes = vec!["chat".to_owned(), "voip".to_owned()];
    let issued = ctx
        .state
        .issue_token(skypeid, &scopes, ctx.now, expiry(claims))?;
    Ok(response::json(
        StatusCode::OK,
        &IdentityAndToken::exchanged(&id, issued),
    ))
}

/// `GET /access/entra/assignments`: pages in object id order; `nextLink` carries a `skipToken`.
pub(crate) async fn list(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let skip = match query_param(ctx.query, "skipToken") {
        Some(token) => token
            .parse::<u64>()
            .map_err(|_| AcsError::validation("Provided skipToken is not valid.", "skipToken"))?,
        None => 0,
    };
    let take = ctx.state.page_size;
    let (page, more) = ctx
        .state
        .db(move |store| store.entra_assignments(skip, take))
        .await?;
    let next_link = more.then(|| {
        format!(
            "{}access/entra/assignments?api-version={}&skipToken={}",
            ctx.state.endpoint,
            ctx.version,
            skip.saturating_add(take)
        )
    });
    Ok(response::json(
        StatusCode::OK,
        &AssignmentPage {
            value: page.iter().map(body).collect(),
            next_link,
        },
    ))
}

/// `PATCH /access/entra/assignments`: a merge-patch keyed by object id, `null` removing. Answers the
/// assignments that were set.
pub(crate) async fn update(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let patch = JsonObject::parse(ctx.body)?;
    let mut changes = Vec::new();
    for (object_id, value) in patch.entries() {
        let object_id = guid(object_id, "ObjectId", "objectId")?;
        let change = match value {
            Value::Null => None,
            Value::Object(item) => Some(assignment(
                object_id.clone(),
                &JsonObject::from_map(item.clone()),
            )?),
            _ => return Err(AcsError::invalid_body()),
        };
        changes.push((object_id, change));
    }
    let set: Vec<AssignmentRecord> = changes
        .iter()
        .filter_map(|(_, change)| change.clone())
        .collect();
    ctx.state
        .db(move |store| store.patch_entra_assignments(&changes))
        .await?;
    Ok(response::json(
        StatusCode::OK,
        &AssignmentPage {
            value: set.iter().map(body).collect(),
            next_link: None,
        },
    ))
}

/// `GET /access/entra/assignments/{objectId}`
pub(crate) async fn get(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let object_id = guid(&ctx.params.object_id, "ObjectId", "objectId")?;
    let record = ctx
        .state
        .db(move |store| store.entra_assignment(&object_id))
        .await?
        .ok_or_else(AcsError::assignment_not_found)?;
    Ok(response::json(StatusCode::OK, &body(&record)))
}

/// `PUT /access/entra/assignments/{objectId}`: 201 when created, 200 when replaced.
pub(crate) async fn upsert(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let object_id = guid(&ctx.params.object_id, "ObjectId", "objectId")?;
    let record = assignment(object_id, &JsonObject::parse(ctx.body)?)?;
    let stored = record.clone();
    let created = ctx
        .state
        .db(move |store| store.upsert_entra_assignment(&stored))
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(response::json(status, &body(&record)))
}

/// `DELETE /access/entra/assignments/{objectId}`: 204, also when absent.
pub(crate) async fn delete(ctx: &Ctx<'_>) -> Result<HttpResponse, AcsError> {
    let object_id = guid(&ctx.params.object_id, "ObjectId", "objectId")?;
    ctx.state
        .db(move |store| store.delete_entra_assignment(&object_id))
        .await?;
    Ok(response::no_content())
}

/// An `EntraAssignmentCreateOrUpdateRequest`: `tenantId`, `principalType` and `clientIds`, all required.
fn assignment(object_id: String, item: &JsonObject) -> Result<AssignmentRecord, AcsError> {
    let tenant_id = item
        .string("tenantId")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AcsError::validation("TenantId: The TenantId field is required.", "TenantId")
        })?;
    let tenant_id = guid(tenant_id, "TenantId", "tenantId")?;
    let principal_type = principal_type(item, &PRINCIPAL_TYPES)?;
    let client_ids = client_ids(item)?.ok_or_else(|| {
        AcsError::validation("ClientIds: The ClientIds field is required.", "ClientIds")
    })?;
    Ok(AssignmentRecord {
        tenant_id,
        object_id,
        principal_type,
        client_ids: Some(client_ids),
    })
}
