//! The wire form of an identifier, `CommunicationIdentifierModel`, and the serde of [`CommunicationIdentifier`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationUserIdentifier,
    IdentifierError, IdentifierKind, MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier,
    PhoneNumberIdentifier, TeamsExtensionUserIdentifier, UnknownIdentifier, prefix,
};

/// An identifier as it travels in JSON: `rawId`, `kind`, and at most one nested object named after the kind.
///
/// Serializing writes `rawId`, `kind` and (except for unknown identifiers) exactly one nested object.
/// Deserializing is lenient where the official SDKs are:
/// - `kind` is optional; without it the nested object decides. A `kind` this crate does not know, or one that
///   does not match the nested object, gives an unknown identifier with the `rawId`.
/// - `rawId` is optional when the nested object lets us compute it; it is taken as sent, never re-parsed.
/// - For a phone number, `isAnonymous` and `assertedId` win over what the rawId implies, when present.
/// - A missing `cloud` means `public` (as the spec says); an unknown cloud gives an unknown identifier.
/// - Unknown JSON properties are ignored.
///
/// It rejects two or more nested objects, and a nested object without its required properties
/// (`id`; `value`; `userId` and `isAnonymous`; `appId`; `userId`, `tenantId` and `resourceId`).
///
/// ```
/// use acs_identity_types::{CommunicationIdentifier, CommunicationIdentifierModel};
///
/// let id = CommunicationIdentifier::from_raw_id("4:+14255550123");
/// let json = serde_json::to_string(&CommunicationIdentifierModel::from(&id))?;
/// assert_eq!(
///     json,
///     r#"{"rawId":"4:+14255550123","kind":"phoneNumber","phoneNumber":{"value":"+14255550123","isAnonymous":false}}"#
/// );
/// // `CommunicationIdentifier` itself (de)serializes through this model.
/// assert_eq!(serde_json::from_str::<CommunicationIdentifier>(&json)?, id);
///
/// let two = r#"{"rawId":"x","communicationUser":{"id":"x"},"phoneNumber":{"value":"+1"}}"#;
/// assert!(serde_json::from_str::<CommunicationIdentifierModel>(two).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Wire")]
pub struct CommunicationIdentifierModel {
    wire: Wire,
}

impl CommunicationIdentifierModel {
    /// The `rawId` property, if present.
    pub fn raw_id(&self) -> Option<&str> {
        self.wire.raw_id.as_deref()
    }

    /// The `kind` property, if present, as sent.
    pub fn kind(&self) -> Option<&str> {
        self.wire.kind.as_deref()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    communication_user: Option<UserWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<PhoneWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    microsoft_teams_user: Option<TeamsUserWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    microsoft_teams_app: Option<TeamsAppWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    teams_extension_user: Option<TeamsExtensionUserWire>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct UserWire {
    id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneWire {
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_anonymous: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    asserted_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TeamsUserWire {
    user_id: Option<String>,
    is_anonymous: Option<bool>,
    cloud: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TeamsAppWire {
    app_id: Option<String>,
    cloud: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TeamsExtensionUserWire {
    user_id: Option<String>,
    tenant_id: Option<String>,
    resource_id: Option<String>,
    cloud: Option<String>,
}

impl TryFrom<Wire> for CommunicationIdentifierModel {
    type Error = IdentifierError;

    fn try_from(wire: Wire) -> Result<Self, Self::Error> {
        let present: Vec<&'static str> = [
            (
                wire.communication_user.is_some(),
                IdentifierKind::CommunicationUser,
            ),
            (wire.phone_number.is_some(), IdentifierKind::PhoneNumber),
            (
                wire.microsoft_teams_user.is_some(),
                IdentifierKind::MicrosoftTeamsUser,
            ),
            (
                wire.microsoft_teams_app.is_some(),
                IdentifierKind::MicrosoftTeamsApp,
            ),
            (
                wire.teams_extension_user.is_some(),
                IdentifierKind::TeamsExtensionUser,
            ),
        ]
        .into_iter()
        .filter_map(|(is_present, kind)| is_present.then_some(kind.as_str()))
        .collect();
        if present.len() > 1 {
            return Err(IdentifierError::MultipleNestedModels { present });
        }
        Ok(Self { wire })
    }
}

impl Serialize for CommunicationIdentifierModel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.wire.serialize(serializer)
    }
}

impl From<&CommunicationIdentifier> for CommunicationIdentifierModel {
    fn from(identifier: &CommunicationIdentifier) -> Self {
        let mut wire = Wire {
            raw_id: Some(identifier.raw_id().to_owned()),
            kind: Some(identifier.kind().as_str().to_owned()),
            ..Wire::default()
        };
        match identifier {
            CommunicationIdentifier::CommunicationUser(user) => {
                wire.communication_user = Some(UserWire {
                    id: Some(user.id().to_owned()),
                });
            }
            CommunicationIdentifier::PhoneNumber(phone) => {
                wire.phone_number = Some(PhoneWire {
                    value: Some(phone.phone_number().to_owned()),
                    is_anonymous: Some(phone.is_anonymous()),
                    asserted_id: phone.asserted_id().map(str::to_owned),
                });
            }
            CommunicationIdentifier::MicrosoftTeamsUser(user) => {
                wire.microsoft_teams_user = Some(TeamsUserWire {
                    user_id: Some(user.user_id().to_owned()),
                    is_anonymous: Some(user.is_anonymous()),
                    cloud: Some(user.cloud().as_str().to_owned()),
                });
            }
            CommunicationIdentifier::MicrosoftTeamsApp(app) => {
                wire.microsoft_teams_app = Some(TeamsAppWire {
                    app_id: Some(app.app_id().to_owned()),
                    cloud: Some(app.cloud().as_str().to_owned()),
                });
            }
            CommunicationIdentifier::TeamsExtensionUser(user) => {
                wire.teams_extension_user = Some(TeamsExtensionUserWire {
                    user_id: Some(user.user_id().to_owned()),
                    tenant_id: Some(user.tenant_id().to_owned()),
                    resource_id: Some(user.resource_id().to_owned()),
                    cloud: Some(user.cloud().as_str().to_owned()),
                });
            }
            CommunicationIdentifier::Unknown(_) => {}
        }
        Self { wire }
    }
}

impl TryFrom<CommunicationIdentifierModel> for CommunicationIdentifier {
    type Error = IdentifierError;

    fn try_from(model: CommunicationIdentifierModel) -> Result<Self, Self::Error> {
        use IdentifierKind as K;

        let Wire {
            raw_id,
            kind,
            communication_user,
            phone_number,
            microsoft_teams_user,
            microsoft_teams_app,
            teams_extension_user,
        } = model.wire;
        // Without `kind`, the (single) nested object decides.
        let kind_is = |expected: K| {
            kind.as_deref()
                .is_none_or(|kind| kind.eq_ignore_ascii_case(expected.as_str()))
        };

        if let Some(user) = communication_user
            && kind_is(K::CommunicationUser)
        {
            let id = required(user.id, K::CommunicationUser, "id")?;
            return Ok(CommunicationUserIdentifier::new(id).into());
        }
        if let Some(phone) = phone_number
            && kind_is(K::PhoneNumber)
        {
            let value = required(phone.value, K::PhoneNumber, "value")?;
            let raw_id = raw_id.unwrap_or_else(|| format!("{}{value}", prefix::PHONE));
            let phone_number = PhoneNumberIdentifier::new(value)
                .with_raw_id(raw_id)
                .with_wire_properties(phone.is_anonymous, phone.asserted_id);
            return Ok(phone_number.into());
        }
        if let Some(user) = microsoft_teams_user
            && kind_is(K::MicrosoftTeamsUser)
        {
            let user_id = required(user.user_id, K::MicrosoftTeamsUser, "userId")?;
            let is_anonymous = required(user.is_anonymous, K::MicrosoftTeamsUser, "isAnonymous")?;
            let Some(cloud) = parse_cloud(user.cloud.as_deref()) else {
                return unknown_cloud(raw_id, user.cloud);
            };
            let user = MicrosoftTeamsUserIdentifier::new(user_id, is_anonymous, cloud);
            let user = match raw_id {
                Some(raw_id) => user.with_raw_id(raw_id),
                None => user,
            };
            return Ok(user.into());
        }
        if let Some(app) = microsoft_teams_app
            && kind_is(K::MicrosoftTeamsApp)
        {
            let app_id = required(app.app_id, K::MicrosoftTeamsApp, "appId")?;
            let Some(cloud) = parse_cloud(app.cloud.as_deref()) else {
                return unknown_cloud(raw_id, app.cloud);
            };
            let app = MicrosoftTeamsAppIdentifier::new(app_id, cloud);
            let app = match raw_id {
                Some(raw_id) => app.with_raw_id(raw_id),
                None => app,
            };
            return Ok(app.into());
        }
        if let Some(user) = teams_extension_user
            && kind_is(K::TeamsExtensionUser)
        {
            let user_id = required(user.user_id, K::TeamsExtensionUser, "userId")?;
            let tenant_id = required(user.tenant_id, K::TeamsExtensionUser, "tenantId")?;
            let resource_id = required(user.resource_id, K::TeamsExtensionUser, "resourceId")?;
            let Some(cloud) = parse_cloud(user.cloud.as_deref()) else {
                return unknown_cloud(raw_id, user.cloud);
            };
            let user = TeamsExtensionUserIdentifier::new(user_id, tenant_id, resource_id, cloud);
            let user = match raw_id {
                Some(raw_id) => user.with_raw_id(raw_id),
                None => user,
            };
            return Ok(user.into());
        }
        raw_id
            .map(|raw_id| UnknownIdentifier::new(raw_id).into())
            .ok_or(IdentifierError::MissingRawId)
    }
}

fn required<T>(
    value: Option<T>,
    kind: IdentifierKind,
    property: &'static str,
) -> Result<T, IdentifierError> {
    value.ok_or(IdentifierError::MissingProperty {
        kind: kind.as_str(),
        property,
    })
}

/// A missing cloud is the public cloud; `None` for a cloud this crate does not know.
fn parse_cloud(value: Option<&str>) -> Option<CommunicationCloudEnvironment> {
    value.map_or(Some(CommunicationCloudEnvironment::Public), |value| {
        value.parse().ok()
    })
}

/// An identifier of an unknown cloud is kept as an unknown identifier, if it has a rawId.
fn unknown_cloud(
    raw_id: Option<String>,
    cloud: Option<String>,
) -> Result<CommunicationIdentifier, IdentifierError> {
    match raw_id {
        Some(raw_id) => Ok(UnknownIdentifier::new(raw_id).into()),
        None => Err(IdentifierError::UnknownCloud {
            value: cloud.unwrap_or_default(),
        }),
    }
}

impl Serialize for CommunicationIdentifier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CommunicationIdentifierModel::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CommunicationIdentifier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let model = CommunicationIdentifierModel::deserialize(deserializer)?;
        Self::try_from(model).map_err(serde::de::Error::custom)
    }
}
