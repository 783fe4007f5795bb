//! Teams extension (Teams Phone) access: the token exchange and the per-tenant assignments
//! (api-version 2025-06-30 and 2025-03-02-preview).

use acs_identity_types::Feature;
use http::Method;

use crate::assignment::{Upserted, extensible_enum};
use crate::request::RequestTarget;
use crate::token_exchange::token_exchange;
use crate::{Error, Operation, ServiceConfig, response, wire};

extensible_enum! {
    /// Who a Teams extension assignment is for.
    TeamsExtensionPrincipalType {
        /// A Teams resource account.
        ResourceAccount => "resourceAccount",
        /// A user.
        User => "user",
    }
}

/// A Teams extension access assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TeamsExtensionAssignment {
    /// The Entra tenant.
    pub tenant_id: String,
    /// The Entra object (user or resource account).
    pub object_id: String,
    /// What the object is.
    pub principal_type: TeamsExtensionPrincipalType,
    /// The Entra applications allowed to exchange tokens for it (empty: none listed).
    pub client_ids: Vec<String>,
}

impl From<wire::Assignment> for TeamsExtensionAssignment {
    fn from(assignment: wire::Assignment) -> Self {
        Self {
            tenant_id: assignment.tenant_id,
            object_id: assignment.object_id,
            principal_type: assignment.principal_type.into(),
            client_ids: assignment.client_ids.unwrap_or_default(),
        }
    }
}

token_exchange! {
    /// Exchanges a Teams extension user's Entra token for an ACS user and token:
    /// `POST /access/teamsExtension/:exchangeAccessToken` with body `{}`.
    ///
    /// The request is authorized by the Entra token itself (`Authorization: Bearer`, scope
    /// `https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls`), so
    /// [`Operation::authorization`] is [`Authorization::Included`](crate::Authorization::Included): do not sign it. Idempotent.
    /// `Debug` redacts the token.
    ExchangeTeamsExtensionToken,
    "exchange_teams_extension_token",
    Feature::TeamsExtensionExchange,
    "/access/teamsExtension/:exchangeAccessToken"
}

/// Reads a Teams extension assignment:
/// `GET /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetTeamsExtensionAssignment {
    /// The Entra tenant.
    pub tenant_id: String,
    /// The Entra object.
    pub object_id: String,
}

impl GetTeamsExtensionAssignment {
    /// The assignment of `object_id` in `tenant_id`.
    pub fn new(tenant_id: impl Into<String>, object_id: impl Into<String>) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            object_id: object_id.into(),
        }
    }
}

impl Operation for GetTeamsExtensionAssignment {
    type Output = TeamsExtensionAssignment;
    const NAME: &'static str = "get_teams_extension_assignment";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::TeamsExtensionAssignments)?;
        assignment_target(service, &self.tenant_id, &self.object_id)?.empty(Method::GET)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        response::json::<wire::Assignment>(Self::NAME, &response).map(Into::into)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Creates or replaces a Teams extension assignment:
/// `PUT /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`. Idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsertTeamsExtensionAssignment {
    /// The Entra tenant.
    pub tenant_id: String,
    /// The Entra object.
    pub object_id: String,
    /// What the object is.
    pub principal_type: TeamsExtensionPrincipalType,
    /// The Entra applications allowed to exchange tokens (empty: the field is left out).
    pub client_ids: Vec<String>,
}

impl UpsertTeamsExtensionAssignment {
    /// Assigns `object_id` of `tenant_id` as `principal_type`, without client ids.
    pub fn new(
        tenant_id: impl Into<String>,
        object_id: impl Into<String>,
        principal_type: TeamsExtensionPrincipalType,
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            object_id: object_id.into(),
            principal_type,
            client_ids: Vec::new(),
        }
    }
}

impl Operation for UpsertTeamsExtensionAssignment {
    type Output = Upserted<TeamsExtensionAssignment>;
    const NAME: &'static str = "upsert_teams_extension_assignment";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::TeamsExtensionAssignments)?;
        let body = wire::TeamsExtensionAssignmentRequest {
            principal_type: self.principal_type.as_str(),
            client_ids: &self.client_ids,
        };
        assignment_target(service, &self.tenant_id, &self.object_id)?.json(Method::PUT, &body)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        let assignment = response::json::<wire::Assignment>(Self::NAME, &response)?;
        Ok(Upserted::new(assignment.into(), response.status()))
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Removes a Teams extension assignment:
/// `DELETE /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`. Idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTeamsExtensionAssignment {
    /// The Entra tenant.
    pub tenant_id: String,
    /// The Entra object.
    pub object_id: String,
}

impl DeleteTeamsExtensionAssignment {
    /// Removes the assignment of `object_id` in `tenant_id`.
    pub fn new(tenant_id: impl Into<String>, object_id: impl Into<String>) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            object_id: object_id.into(),
        }
    }
}

impl Operation for DeleteTeamsExtensionAssignment {
    type Output = ();
    const NAME: &'static str = "delete_teams_extension_assignment";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::TeamsExtensionAssignments)?;
        assignment_target(service, &self.tenant_id, &self.object_id)?.empty(Method::DELETE)
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
    tenant_id: &str,
    object_id: &str,
) -> Result<RequestTarget<'a>, Error> {
    RequestTarget::new(service)
        .literal("/access/teamsExtension/tenants/")
        .segment("tenant id", tenant_id)?
        .literal("/assignments/")
        .segment("object id", object_id)
}
