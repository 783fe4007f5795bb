//! The JSON shapes on the wire (private). Requests borrow from the operation; responses are read
//! by name, ignoring unknown fields and key order.

use std::collections::BTreeMap;
use std::fmt;

use acs_identity_types::TokenScope;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The empty object the token exchanges send.
#[derive(Serialize)]
pub(crate) struct Empty {}

/// `CommunicationIdentityCreateRequest`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateIdentityRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) custom_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) create_token_with_scopes: Option<&'a [TokenScope]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expires_in_minutes: Option<u16>,
}

/// `CommunicationIdentityAccessTokenRequest`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessTokenRequest<'a> {
    pub(crate) scopes: &'a [TokenScope],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expires_in_minutes: Option<u16>,
}

/// `TeamsUserExchangeTokenRequest`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TeamsUserExchangeTokenRequest<'a> {
    pub(crate) token: &'a str,
    pub(crate) app_id: &'a str,
    pub(crate) user_id: &'a str,
}

/// `TeamsExtensionAssignmentCreateOrUpdateRequest`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TeamsExtensionAssignmentRequest<'a> {
    pub(crate) principal_type: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub(crate) client_ids: &'a [String],
}

/// `EntraAssignmentCreateOrUpdateRequest`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EntraAssignmentRequest<'a> {
    pub(crate) tenant_id: &'a str,
    pub(crate) principal_type: &'a str,
    pub(crate) client_ids: &'a [String],
}

/// `EntraAssignmentUpdateBulkRequest`: object id -> new values, or `null` to remove.
pub(crate) type EntraAssignmentsUpdateRequest<'a> =
    BTreeMap<&'a str, Option<EntraAssignmentRequest<'a>>>;

/// `CommunicationIdentity`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Identity {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) custom_id: Option<String>,
    #[serde(default)]
    pub(crate) last_token_issued_at: Option<Timestamp>,
}

/// `CommunicationIdentityAccessToken`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessToken {
    pub(crate) token: String,
    pub(crate) expires_on: Timestamp,
}

/// `CommunicationIdentityAccessTokenResult`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdentityAndToken {
    pub(crate) identity: Identity,
    #[serde(default)]
    pub(crate) access_token: Option<AccessToken>,
}

/// `TeamsExtensionAssignmentResponse` and `EntraAssignment` (same shape; `clientIds` optional in
/// the first).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Assignment {
    pub(crate) object_id: String,
    pub(crate) tenant_id: String,
    pub(crate) principal_type: String,
    #[serde(default)]
    pub(crate) client_ids: Option<Vec<String>>,
}

/// `EntraAssignmentsResponse`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssignmentPage {
    pub(crate) value: Vec<Assignment>,
    #[serde(default)]
    pub(crate) next_link: Option<String>,
}

/// `CommunicationErrorResponse`.
#[derive(Deserialize)]
pub(crate) struct ErrorResponse {
    pub(crate) error: CommunicationError,
}

/// `CommunicationError`; lenient, since it only ever explains another failure.
#[derive(Deserialize)]
pub(crate) struct CommunicationError {
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) target: Option<String>,
    #[serde(default)]
    pub(crate) details: Vec<CommunicationError>,
    #[serde(default)]
    pub(crate) innererror: Option<Box<CommunicationError>>,
}

/// An RFC 3339 timestamp with 0 to 9 fractional digits and `Z` or any offset, e.g. the service's
/// `2025-04-14T17:32:27.2078535+00:00`.
pub(crate) struct Timestamp(pub(crate) OffsetDateTime);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        OffsetDateTime::parse(text, &Rfc3339)
            .map(Timestamp)
            .map_err(|error| {
                // Quoted like serde quotes values, so that the decode error's redaction removes it.
                E::custom(format_args!("invalid RFC 3339 timestamp {text:?}: {error}"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<OffsetDateTime, serde_json::Error> {
        serde_json::from_str::<Timestamp>(&format!("\"{text}\"")).map(|timestamp| timestamp.0)
    }

    #[test]
    fn timestamps_the_service_and_others_send() {
        let table = [
            (
                "2025-04-14T17:32:27.2078535+00:00",
                1_744_651_947_207_853_500_i128,
            ),
            ("2025-04-14T15:32:27+00:00", 1_744_644_747_000_000_000),
            ("2025-04-14T15:32:27Z", 1_744_644_747_000_000_000),
            ("2025-04-14T15:32:27.5Z", 1_744_644_747_500_000_000),
            ("2025-04-14T15:32:27.123+00:00", 1_744_644_747_123_000_000),
            (
                "2025-07-10T14:39:39.3244584-07:00",
                1_752_183_579_324_458_400,
            ),
            ("2025-04-14t15:32:27z", 1_744_644_747_000_000_000),
            // RFC 3339 allows a space for the `T`.
            ("2025-04-14 15:32:27Z", 1_744_644_747_000_000_000),
        ];
        for (text, nanos) in table {
            assert_eq!(parse(text).unwrap().unix_timestamp_nanos(), nanos, "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_rfc_3339() {
        for text in [
            "",
            "2025-04-14",
            "2025-04-14T15:32:27",
            "14/04/2025 15:32:27",
            "2025-04-14T15:32:27.+00:00",
        ] {
            let error = parse(text).unwrap_err().to_string();
            assert!(
                error.starts_with("invalid RFC 3339 timestamp"),
                "{text}: {error}"
            );
        }
        assert!(serde_json::from_str::<Timestamp>("12").is_err());
    }
}
