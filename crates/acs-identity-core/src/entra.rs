//! Entra ID access for communication clients: the token exchange and the resource's assignments
//! (api-version 2025-03-02-preview).

use std::collections::BTreeMap;

use acs_identity_types::Feature;
use http::Method;
use http::uri::PathAndQuery;

use crate::assignment::{Upserted, extensible_enum};
use crate::request::RequestTarget;
use crate::token_exchange::token_exchange;
use crate::{Error, Operation, ServiceConfig, response, wire};

extensible_enum! {
    /// Who an Entra assignment is for.
    EntraPrincipalType {
        /// One user.
        User => "user",
        /// The members of a group.
        Group => "group",
        /// Every user of a tenant.
        Tenant => "tenant",
    }
}

/// An Entra access assignment of the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraAssignment {
    /// The Entra object (user, group or tenant id).
    pub object_id: String,
    /// The Entra tenant.
    pub tenant_id: String,
    /// What the object is.
    pub principal_type: EntraPrincipalType,
    /// The Entra applications allowed to exchange tokens for it.
    pub client_ids: Vec<String>,
}

impl From<wire::Assignment> for EntraAssignment {
    fn from(assignment: wire::Assignment) -> Self {
        Self {
            object_id: assignment.object_id,
            tenant_id: assignment.tenant_id,
            principal_type: assignment.principal_type.into(),
            client_ids: assignment.client_ids.unwrap_or_default(),
        }
    }
}

/// The values to store for one object id (`EntraAssignmentCreateOrUpdateRequest`). `#[non_exhaustive]`
/// (the preview model may grow): build it with [`EntraAssignmentSettings::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraAssignmentSettings {
    /// The Entra tenant.
    pub tenant_id: String,
    /// What the object is.
    pub principal_type: EntraPrincipalType,
    /// The Entra applications allowed to exchange tokens.
    pub client_ids: Vec<String>,
}

impl EntraAssignmentSettings {
    /// The settings for an object of `principal_type` in `tenant_id`, allowing `client_ids` to exchange.
    pub fn new(
        tenant_id: impl Into<String>,
        principal_type: EntraPrincipalType,
        client_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            principal_type,
            client_ids: client_ids.into_iter().map(Into::into).collect(),
        }
    }

    fn to_wire(&self) -> wire::EntraAssignmentRequest<'_> {
        wire::EntraAssignmentRequest {
            tenant_id: &self.tenant_id,
            principal_type: self.principal_type.as_str(),
            client_ids: &self.client_ids,
        }
    }
}

/// A page of assignments and the link to the next one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraAssignmentPage {
    /// The assignments of this page.
    pub assignments: Vec<EntraAssignment>,
    /// Where the next page is; pass it to [`ListEntraAssignments::next_page`].
    pub next_link: Option<String>,
}

impl From<wire::AssignmentPage> for EntraAssignmentPage {
    fn from(page: wire::AssignmentPage) -> Self {
        Self {
            assignments: page.value.into_iter().map(Into::into).collect(),
            next_link: page.next_link,
        }
    }
}

token_exchange! {
    /// Exchanges a user's Entra token for an ACS user and token:
    /// `POST /access/entra/:exchangeAccessToken` with body `{}`.
    ///
    /// Authorized by the Entra token itself (`Authorization: Bearer`, scope
    /// `https://communication.azure.com/clients/.default`), so [`Operation::authorization`] is
    /// [`Authorization::Included`](crate::Authorization::Included): do not sign it. Idempotent. `Debug` redacts the token.
    ExchangeEntraToken,
    "exchange_entra_token",
    Feature::EntraExchange,
    "/access/entra/:exchangeAccessToken"
}

/// Lists the resource's Entra assignments: `GET /access/entra/assignments`, one page per call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListEntraAssignments {
    next_link: Option<PathAndQuery>,
}

impl ListEntraAssignments {
    /// The first page.
    pub fn first_page() -> Self {
        Self::default()
    }

    /// The page at `next_link` (from [`EntraAssignmentPage::next_link`]): a path, or an absolute
    /// URL on `service`'s endpoint (anything else is refused, so a signed request never goes
    /// elsewhere). The configured api-version is added if the link has none.
    pub fn next_page(service: &ServiceConfig, next_link: &str) -> Result<Self, Error> {
        let endpoint = service.endpoint.as_str();
        let target = match next_link.strip_prefix(endpoint) {
            Some(rest) if rest.starts_with('/') => rest,
            _ if next_link.starts_with('/') && !next_link.starts_with("//") => next_link,
            _ => {
                return Err(Error::invalid_input(
                    "the next link is not on the service's endpoint",
                ));
            }
        };
        let target = PathAndQuery::try_from(target)
            .map_err(|_| Error::invalid_input("the next link is not a valid path and query"))?;
        Ok(Self {
            next_link: Some(target),
        })
    }
}

impl Operation for ListEntraAssignments {
    type Output = EntraAssignmentPage;
    const NAME: &'static str = "list_entra_assignments";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::EntraAssignments)?;
        let target = RequestTarget::new(service);
        match &self.next_link {
            Some(next_link) => target.path_and_query(next_link),
            None => target.literal("/access/entra/assignments"),
        }
        .empty(Method::GET)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        response::json::<wire::AssignmentPage>(Self::NAME, &response).map(Into::into)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Adds, replaces and removes Entra assignments in one call: `PATCH /access/entra/assignments`
/// (`application/merge-patch+json`). Idempotent (the same patch twice leaves the same state).
///
/// Returns the resulting assignments (an empty page when the service answers 204).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateEntraAssignments {
    /// Object id -> the values to store, or `None` to remove its assignment.
    pub changes: BTreeMap<String, Option<EntraAssignmentSettings>>,
}

impl Operation for UpdateEntraAssignments {
    type Output = EntraAssignmentPage;
    const NAME: &'static str = "update_entra_assignments";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::EntraAssignments)?;
        if self.changes.is_empty() {
            return Err(Error::invalid_input(
                "an assignment update needs at least one change",
            ));
        }
        let body: wire::EntraAssignmentsUpdateRequest<'_> = self
            .changes
            .iter()
            .map(|(object_id, settings)| {
                (
                    object_id.as_str(),
                    settings.as_ref().map(EntraAssignmentSettings::to_wire),
                )
            })
            .collect();
        RequestTarget::new(service)
            .literal("/access/entra/assignments")
            .merge_patch(&body)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        if response.status() == http::StatusCode::NO_CONTENT {
            return Ok(EntraAssignmentPage::default());
        }
        response::json::<wire::AssignmentPage>(Self::NAME, &response).map(Into::into)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Reads one Entra assignment: `GET /access/entra/assignments/{objectId}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetEntraAssignment {
    /// The Entra object.
    pub object_id: String,
}

impl GetEntraAssignment {
    /// The assignment of `object_id`.
    pub fn new(object_id: impl Into<String>) -> Self {
        Self {
            object_id: object_id.into(),
        }
    }
}

impl Operation for GetEntraAssignment {
    type Output = EntraAssignment;
    const NAME: &'static str = "get_entra_assignment";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::EntraAssignments)?;
        assignment_target(service, &self.object_id)?.empty(Method::GET)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        response::json::<wire::Assignment>(Self::NAME, &response).map(Into::into)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Creates or replaces one Entra assignment: `PUT /access/entra/assignments/{objectId}`. Idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsertEntraAssignment {
    /// The Entra object.
    pub object_id: String,
    /// The values to store.
    pub settings: EntraAssignmentSettings,
}

impl Operation for UpsertEntraAssignment {
    type Output = Upserted<EntraAssignment>;
    const NAME: &'static str = "upsert_entra_assignment";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::EntraAssignments)?;
        assignment_target(service, &self.object_id)?.json(Method::PUT, &self.settings.to_wire())
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        let assignment = response::json::<wire::Assignment>(Self::NAME, &response)?;
        Ok(Upserted::new(assignment.into(), response.status()))
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Removes one Entra assignment: `DELETE /access/entra/assignments/{objectId}`. Idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteEntraAssignment {
    /// The Entra object.
    pub object_id: String,
}

impl DeleteEntraAssignment {
    /// Removes the assignment of `object_id`.
    pub fn new(object_id: impl Into<String>) -> Self {
        Self {
            object_id: object_id.into(),
        }
    }
}

impl Operation for DeleteEntraAssignment {
    type Output = ();
    const NAME: &'static str = "delete_entra_assignment";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::EntraAssignments)?;
        assignment_target(service, &self.object_id)?.empty(Method::DELETE)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        response::no_content(&response)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

fn assignment_target<'a>(
    service: &'a ServiceConfig,
    object_id: &str,
) -> Result<RequestTarget<'a>, Error> {
    RequestTarget::new(service)
        .literal("/access/entra/assignments/")
        .segment("object id", object_id)
}
