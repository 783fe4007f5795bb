//! The operations the emulator serves, the unit of request counting and fault targeting.

use std::fmt;

/// An operation of the emulator: one ACS route, or one of its Entra ID's (token endpoint, OpenID Connect
/// discovery and keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /identities`
    CreateIdentity,
    /// `GET /identities/{id}` (2025-03-02-preview)
    GetIdentity,
    /// `POST /identities/{id}/:issueAccessToken`
    IssueAccessToken,
    /// `POST /identities/{id}/:revokeAccessTokens`
    RevokeAccessTokens,
    /// `DELETE /identities/{id}`
    DeleteIdentity,
    /// `POST /teamsUser/:exchangeAccessToken`
    ExchangeTeamsUserAccessToken,
    /// `POST /access/teamsExtension/:exchangeAccessToken`
    ExchangeTeamsExtensionToken,
    /// `GET /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`
    GetTeamsExtensionAssignment,
    /// `PUT /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`
    UpsertTeamsExtensionAssignment,
    /// `DELETE /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`
    DeleteTeamsExtensionAssignment,
    /// `POST /access/entra/:exchangeAccessToken` (2025-03-02-preview)
    ExchangeEntraToken,
    /// `GET /access/entra/assignments` (2025-03-02-preview)
    ListEntraAssignments,
    /// `PATCH /access/entra/assignments` (2025-03-02-preview)
    UpdateEntraAssignments,
    /// `GET /access/entra/assignments/{objectId}` (2025-03-02-preview)
    GetEntraAssignment,
    /// `PUT /access/entra/assignments/{objectId}` (2025-03-02-preview)
    UpsertEntraAssignment,
    /// `DELETE /access/entra/assignments/{objectId}` (2025-03-02-preview)
    DeleteEntraAssignment,
    /// `POST /{tenant}/oauth2/v2.0/token`, the emulator's Entra token endpoint.
    EntraTokenRequest,
    /// `GET /{tenant}/v2.0/.well-known/openid-configuration`, the OpenID Connect discovery document.
    OidcDiscovery,
    /// `GET /{tenant}/discovery/v2.0/keys`, the OpenID Connect issuer's JWKS.
    OidcKeys,
    /// A request to the ACS routes that matched no operation.
    Unmatched,
}

impl Operation {
    /// Every operation, in declaration order.
    pub const ALL: [Operation; 20] = [
        Self::CreateIdentity,
        Self::GetIdentity,
        Self::IssueAccessToken,
        Self::RevokeAccessTokens,
        Self::DeleteIdentity,
        Self::ExchangeTeamsUserAccessToken,
        Self::ExchangeTeamsExtensionToken,
        Self::GetTeamsExtensionAssignment,
        Self::UpsertTeamsExtensionAssignment,
        Self::DeleteTeamsExtensionAssignment,
        Self::ExchangeEntraToken,
        Self::ListEntraAssignments,
        Self::UpdateEntraAssignments,
        Self::GetEntraAssignment,
        Self::UpsertEntraAssignment,
        Self::DeleteEntraAssignment,
        Self::EntraTokenRequest,
        Self::OidcDiscovery,
        Self::OidcKeys,
        Self::Unmatched,
    ];

    /// The operation's name, as the admin routes write it (`"IssueAccessToken"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::CreateIdentity => "CreateIdentity",
            Self::GetIdentity => "GetIdentity",
            Self::IssueAccessToken => "IssueAccessToken",
            Self::RevokeAccessTokens => "RevokeAccessTokens",
            Self::DeleteIdentity => "DeleteIdentity",
            Self::ExchangeTeamsUserAccessToken => "ExchangeTeamsUserAccessToken",
            Self::ExchangeTeamsExtensionToken => "ExchangeTeamsExtensionToken",
            Self::GetTeamsExtensionAssignment => "GetTeamsExtensionAssignment",
            Self::UpsertTeamsExtensionAssignment => "UpsertTeamsExtensionAssignment",
            Self::DeleteTeamsExtensionAssignment => "DeleteTeamsExtensionAssignment",
            Self::ExchangeEntraToken => "ExchangeEntraToken",
            Self::ListEntraAssignments => "ListEntraAssignments",
            Self::UpdateEntraAssignments => "UpdateEntraAssignments",
            Self::GetEntraAssignment => "GetEntraAssignment",
            Self::UpsertEntraAssignment => "UpsertEntraAssignment",
            Self::DeleteEntraAssignment => "DeleteEntraAssignment",
            Self::EntraTokenRequest => "EntraTokenRequest",
            Self::OidcDiscovery => "OidcDiscovery",
            Self::OidcKeys => "OidcKeys",
            Self::Unmatched => "Unmatched",
        }
    }

    /// The operation with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether this is an ACS operation (not one of Entra's: the token endpoint, OpenID Connect discovery and
    /// keys), the default target of fault rules.
    pub const fn is_acs(self) -> bool {
        !matches!(
            self,
            Self::EntraTokenRequest | Self::OidcDiscovery | Self::OidcKeys
        )
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_index_matches() {
        for (i, op) in Operation::ALL.into_iter().enumerate() {
            assert_eq!(Operation::from_name(op.name()), Some(op));
            assert_eq!(op.index(), i);
        }
    }
}
