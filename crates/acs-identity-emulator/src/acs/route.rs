//! Matching an ACS request path to an operation. Literal segments compare case-insensitively (ASP.NET
//! routing does); every segment is percent-decoded, so `8%3Aacs%3A...` and `8:acs:...` route alike.

use std::borrow::Cow;

use acs_identity_types::Feature;
use http::Method;
use percent_encoding::percent_decode_str;

use crate::Operation;

/// The path parameters of a matched route, decoded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Params {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) object_id: String,
}

/// Why a path did not route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unrouted {
    NotFound,
    MethodNotAllowed,
}

/// Routes `method path` (the path as received, without the query).
pub(crate) fn route(method: &Method, path: &str) -> Result<(Operation, Params), Unrouted> {
    // Borrowed unless a segment has escapes: routing allocates little.
    let segments: Vec<Cow<'_, str>> = match path.strip_prefix('/') {
        Some(rest) => rest
            .split('/')
            .map(|segment| percent_decode_str(segment).decode_utf8().ok())
            .collect::<Option<_>>()
            .ok_or(Unrouted::NotFound)?,
        None => return Err(Unrouted::NotFound),
    };
    let s: Vec<&str> = segments.iter().map(|segment| segment.as_ref()).collect();
    let is = |segment: &str, literal: &str| segment.eq_ignore_ascii_case(literal);
    let mut params = Params::default();
    let candidates: &[(Method, Operation)] = match s.as_slice() {
        [a] if is(a, "identities") => &[(Method::POST, Operation::CreateIdentity)],
        [a, id] if is(a, "identities") && !id.is_empty() => {
            params.id = (*id).to_owned();
            &[
                (Method::GET, Operation::GetIdentity),
                (Method::DELETE, Operation::DeleteIdentity),
            ]
        }
        [a, id, action] if is(a, "identities") && !id.is_empty() => {
            params.id = (*id).to_owned();
            if is(action, ":issueAccessToken") {
                &[(Method::POST, Operation::IssueAccessToken)]
            } else if is(action, ":revokeAccessTokens") {
                &[(Method::POST, Operation::RevokeAccessTokens)]
            } else {
                return Err(Unrouted::NotFound);
            }
        }
        [a, b] if is(a, "teamsUser") && is(b, ":exchangeAccessToken") => {
            &[(Method::POST, Operation::ExchangeTeamsUserAccessToken)]
        }
        [a, b, c]
            if is(a, "access") && is(b, "teamsExtension") && is(c, ":exchangeAccessToken") =>
        {
            &[(Method::POST, Operation::ExchangeTeamsExtensionToken)]
        }
        [a, b, c, tenant, d, object]
            if is(a, "access")
                && is(b, "teamsExtension")
                && is(c, "tenants")
                && is(d, "assignments") =>
        {
            params.tenant_id = (*tenant).to_owned();
            params.object_id = (*object).to_owned();
            &[
                (Method::GET, Operation::GetTeamsExtensionAssignment),
                (Method::PUT, Operation::UpsertTeamsExtensionAssignment),
                (Method::DELETE, Operation::DeleteTeamsExtensionAssignment),
            ]
        }
        [a, b, c] if is(a, "access") && is(b, "entra") && is(c, ":exchangeAccessToken") => {
            &[(Method::POST, Operation::ExchangeEntraToken)]
        }
        [a, b, c] if is(a, "access") && is(b, "entra") && is(c, "assignments") => &[
            (Method::GET, Operation::ListEntraAssignments),
            (Method::PATCH, Operation::UpdateEntraAssignments),
        ],
        [a, b, c, object] if is(a, "access") && is(b, "entra") && is(c, "assignments") => {
            params.object_id = (*object).to_owned();
            &[
                (Method::GET, Operation::GetEntraAssignment),
                (Method::PUT, Operation::UpsertEntraAssignment),
                (Method::DELETE, Operation::DeleteEntraAssignment),
            ]
        }
        _ => return Err(Unrouted::NotFound),
    };
    candidates
        .iter()
        .find(|(m, _)| m == method)
        .map(|(_, op)| (*op, params))
        .ok_or(Unrouted::MethodNotAllowed)
}

/// The api-version feature an operation belongs to.
pub(crate) fn feature(operation: Operation) -> Option<Feature> {
    Some(match operation {
        Operation::CreateIdentity => Feature::CreateUser,
        Operation::GetIdentity => Feature::GetUser,
        Operation::IssueAccessToken => Feature::IssueToken,
        Operation::RevokeAccessTokens => Feature::RevokeTokens,
        Operation::DeleteIdentity => Feature::DeleteUser,
        Operation::ExchangeTeamsUserAccessToken => Feature::TeamsUserExchange,
        Operation::ExchangeTeamsExtensionToken => Feature::TeamsExtensionExchange,
        Operation::GetTeamsExtensionAssignment
        | Operation::UpsertTeamsExtensionAssignment
        | Operation::DeleteTeamsExtensionAssignment => Feature::TeamsExtensionAssignments,
        Operation::ExchangeEntraToken => Feature::EntraExchange,
        Operation::ListEntraAssignments
        | Operation::UpdateEntraAssignments
        | Operation::GetEntraAssignment
        | Operation::UpsertEntraAssignment
        | Operation::DeleteEntraAssignment => Feature::EntraAssignments,
        Operation::EntraTokenRequest
        | Operation::OidcDiscovery
        | Operation::OidcKeys
        | Operation::Unmatched => return None,
    })
}

/// The decoded value of query parameter `name` (case-insensitive name), if present.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        decode(key)
            .filter(|k| k.eq_ignore_ascii_case(name))
            .and_then(|_| decode(&value.replace('+', " ")))
    })
}

fn decode(segment: &str) -> Option<String> {
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str =
        "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-14a2-493b-8a72-5a3a0d000081";

    #[test]
    fn both_encodings_route_alike() {
        let encoded = ID.replace(':', "%3A");
        for id in [ID.to_owned(), encoded] {
            let (op, params) = route(
                &Method::POST,
                &format!("/identities/{id}/:issueAccessToken"),
            )
            .unwrap();
            assert_eq!(op, Operation::IssueAccessToken);
            assert_eq!(params.id, ID);
            let (op, _) = route(
                &Method::POST,
                &format!("/identities/{id}/%3ArevokeAccessTokens"),
            )
            .unwrap();
            assert_eq!(op, Operation::RevokeAccessTokens);
            assert_eq!(
                route(&Method::DELETE, &format!("/identities/{id}"))
                    .unwrap()
                    .0,
                Operation::DeleteIdentity
            );
        }
    }

    #[test]
    fn every_route_and_the_misses() {
        let cases = [
            (Method::POST, "/identities", Operation::CreateIdentity),
            (Method::GET, "/identities/x", Operation::GetIdentity),
            (
                Method::POST,
                "/TeamsUser/:ExchangeAccessToken",
                Operation::ExchangeTeamsUserAccessToken,
            ),
            (
                Method::POST,
                "/access/teamsExtension/:exchangeAccessToken",
                Operation::ExchangeTeamsExtensionToken,
            ),
            (
                Method::PUT,
                "/access/teamsExtension/tenants/t/assignments/o",
                Operation::UpsertTeamsExtensionAssignment,
            ),
            (
                Method::POST,
                "/access/entra/:exchangeAccessToken",
                Operation::ExchangeEntraToken,
            ),
            (
                Method::PATCH,
                "/access/entra/assignments",
                Operation::UpdateEntraAssignments,
            ),
            (
                Method::DELETE,
                "/access/entra/assignments/o",
                Operation::DeleteEntraAssignment,
            ),
        ];
        for (method, path, expected) in cases {
            assert_eq!(route(&method, path).unwrap().0, expected, "{method} {path}");
        }
        assert_eq!(
            route(&Method::GET, "/identities"),
            Err(Unrouted::MethodNotAllowed)
        );
        assert_eq!(
            route(&Method::POST, "/identities/x/:other"),
            Err(Unrouted::NotFound)
        );
        assert_eq!(route(&Method::POST, "/nothing"), Err(Unrouted::NotFound));
        assert_eq!(
            route(&Method::POST, "/identities/%FF"),
            Err(Unrouted::NotFound)
        );
    }

    #[test]
    fn query_params_decode() {
        assert_eq!(
            query_param(Some("a=1&API-VERSION=2023-10-01"), "api-version").as_deref(),
            Some("2023-10-01")
        );
        assert_eq!(
            query_param(Some("skipToken=1%2B2"), "skiptoken").as_deref(),
            Some("1+2")
        );
        assert_eq!(query_param(None, "api-version"), None);
    }
}
