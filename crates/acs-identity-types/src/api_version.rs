//! Service api-versions and what each one can do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// An api-version of the Communication Identity service (the `api-version` query parameter).
///
/// The default is [`V2025_03_02_Preview`](Self::V2025_03_02_Preview), as in the .NET 1.4.0-beta.1 client: it is
/// the only version with custom ids and get-user, this crate's headline features. Pin
/// [`LATEST_STABLE`](Self::LATEST_STABLE) for a stable contract. Which version has which operation is
/// [`supports`](Self::supports); calling a feature the configured version lacks should fail before any I/O
/// ([`ensure`](Self::ensure) names a version to use instead).
///
/// Versions are ordered by date (the order of their strings): `2025-03-02-preview` sorts between `2023-10-01`
/// and `2025-06-30`. The order is not a capability order: the preview has features `2025-06-30` lacks.
///
/// ```
/// use acs_identity_types::{ApiVersion, Feature};
///
/// let version: ApiVersion = "2025-06-30".parse()?;
/// assert_eq!(version, ApiVersion::LATEST_STABLE);
/// assert!(version.supports(Feature::TeamsExtensionExchange));
/// assert!(!version.supports(Feature::CustomId));
/// assert_eq!(Feature::CustomId.first_version(), Some(ApiVersion::V2025_03_02_Preview));
/// assert_eq!(ApiVersion::default().as_str(), "2025-03-02-preview");
/// # Ok::<(), acs_identity_types::UnknownApiVersion>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `2021-02-22-preview1`: the preview of `2021-03-07`, the same operations and fields.
    #[allow(non_camel_case_types)]
    // `_Preview1` keeps the date readable, as the other SDKs spell it.
    V2021_02_22_Preview1,
    /// `2021-03-07`: the first stable version (create, delete, issue and revoke).
    V2021_03_07,
    /// `2021-03-31-preview1`: adds the Teams user token exchange, with the Entra token alone (no `appId`,
    /// `userId`).
    #[allow(non_camel_case_types)]
    V2021_03_31_Preview1,
    /// `2021-10-31-preview`: as `2021-03-31-preview1`.
    #[allow(non_camel_case_types)]
    V2021_10_31_Preview,
    /// `2021-11-01`: listed by the service, never published as a spec; served as `2021-10-31-preview`.
    V2021_11_01,
    /// `2022-06-01`: the Teams user token exchange checks `appId` and `userId` against the token.
    V2022_06_01,
    /// `2022-09-01`: adds the token lifetime (`expiresInMinutes`) when issuing a token, not yet on create.
    V2022_09_01,
    /// `2022-10-01`: the token lifetime on create too.
    V2022_10_01,
    /// `2023-08-01`: as `2022-10-01` (adds optional `Repeatability-*` headers on create).
    V2023_08_01,
    /// `2023-10-01`: adds the `chat.join`, `chat.join.limited` and `voip.join` scopes.
    V2023_10_01,
    /// `2025-03-02-preview`: adds custom ids, get user, the Teams extension and Entra token exchanges and
    /// their assignments.
    #[allow(non_camel_case_types)] // `_Preview` keeps the date readable, as the other SDKs spell it.
    #[default]
    V2025_03_02_Preview,
    /// `2025-03-31-preview`: listed by the service, never published as a spec; served as
    /// `2025-03-02-preview`.
    #[allow(non_camel_case_types)]
    V2025_03_31_Preview,
    /// `2025-06-30`: the newest stable version on the specs' `main`; adds the Teams extension token exchange
    /// and assignments.
    V2025_06_30,
    /// `2026-09-23`: wire-identical to `2025-06-30` (the Teams extension exchange request tolerates extra
    /// properties).
    V2026_09_23,
}

impl ApiVersion {
    /// The newest stable version on the REST specs' `main`, `2025-06-30`. (`2026-09-23` is selectable, but
    /// whether it has merged upstream could not be confirmed, so it is not the default stable choice.)
    pub const LATEST_STABLE: Self = Self::V2025_06_30;

    /// Every version this crate knows, oldest first.
    pub const ALL: &'static [ApiVersion] = &[
        Self::V2021_02_22_Preview1,
        Self::V2021_03_07,
        Self::V2021_03_31_Preview1,
        Self::V2021_10_31_Preview,
        Self::V2021_11_01,
        Self::V2022_06_01,
        Self::V2022_09_01,
        Self::V2022_10_01,
        Self::V2023_08_01,
        Self::V2023_10_01,
        Self::V2025_03_02_Preview,
        Self::V2025_03_31_Preview,
        Self::V2025_06_30,
        Self::V2026_09_23,
    ];

    /// The `api-version` query value, e.g. `2025-06-30`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V2021_02_22_Preview1 => "2021-02-22-preview1",
            Self::V2021_03_07 => "2021-03-07",
            Self::V2021_03_31_Preview1 => "2021-03-31-preview1",
            Self::V2021_10_31_Preview => "2021-10-31-preview",
            Self::V2021_11_01 => "2021-11-01",
            Self::V2022_06_01 => "2022-06-01",
            Self::V2022_09_01 => "2022-09-01",
            Self::V2022_10_01 => "2022-10-01",
            Self::V2023_08_01 => "2023-08-01",
            Self::V2023_10_01 => "2023-10-01",
            Self::V2025_03_02_Preview => "2025-03-02-preview",
            Self::V2025_03_31_Preview => "2025-03-31-preview",
            Self::V2025_06_30 => "2025-06-30",
            Self::V2026_09_23 => "2026-09-23",
        }
    }

    /// Whether this is a preview version (`-preview`, `-preview1`...).
    pub fn is_preview(self) -> bool {
        self.as_str().contains("-preview")
    }

    /// Whether this version has `feature` (see [`CAPABILITIES`]).
    pub fn supports(self, feature: Feature) -> bool {
        CAPABILITIES
            .iter()
            .any(|(row, versions)| *row == feature && versions.contains(&self))
    }

    /// `Ok` if this version has `feature`; otherwise an error naming a version that has it.
    pub fn ensure(self, feature: Feature) -> Result<(), UnsupportedFeature> {
        if self.supports(feature) {
            Ok(())
        } else {
            Err(UnsupportedFeature {
                feature,
                version: self,
                supported_by: feature.first_version(),
            })
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = UnknownApiVersion;

    /// Exact match on the `api-version` string.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|version| version.as_str() == s)
            .ok_or_else(|| UnknownApiVersion(s.to_owned()))
    }
}

impl Serialize for ApiVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ApiVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// An operation or request field that only some api-versions have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Feature {
    /// `POST /identities`.
    CreateUser,
    /// `POST /identities` with `createTokenWithScopes`.
    CreateUserWithToken,
    /// `POST /identities/{id}/:issueAccessToken`.
    IssueToken,
    /// `POST /identities/{id}/:revokeAccessTokens`.
    RevokeTokens,
    /// `DELETE /identities/{id}`.
    DeleteUser,
    /// The `expiresInMinutes` field (a [`TokenLifetime`](crate::TokenLifetime)) when issuing a token.
    TokenLifetime,
    /// The `expiresInMinutes` field when creating a user with a token.
    CreateTokenLifetime,
    /// The `chat.join`, `chat.join.limited` and `voip.join` scopes.
    JoinScopes,
    /// `POST /teamsUser/:exchangeAccessToken`.
    TeamsUserExchange,
    /// The `appId` and `userId` of the Teams user exchange, checked against the token. Versions without it
    /// take the token alone and ignore the two fields.
    TeamsUserExchangeChecks,
    /// The `customId` of an identity.
    CustomId,
    /// `GET /identities/{id}`.
    GetUser,
    /// `POST /access/teamsExtension/:exchangeAccessToken`.
    TeamsExtensionExchange,
    /// `GET`/`PUT`/`DELETE /access/teamsExtension/tenants/{tenantId}/assignments/{objectId}`.
    TeamsExtensionAssignments,
    /// `POST /access/entra/:exchangeAccessToken`.
    EntraExchange,
    /// `/access/entra/assignments` (list, update, get, upsert, delete).
    EntraAssignments,
}

impl Feature {
    /// Every feature, in declaration order.
    pub const ALL: &'static [Feature] = &[
        Self::CreateUser,
        Self::CreateUserWithToken,
        Self::IssueToken,
        Self::RevokeTokens,
        Self::DeleteUser,
        Self::TokenLifetime,
        Self::CreateTokenLifetime,
        Self::JoinScopes,
        Self::TeamsUserExchange,
        Self::TeamsUserExchangeChecks,
        Self::CustomId,
        Self::GetUser,
        Self::TeamsExtensionExchange,
        Self::TeamsExtensionAssignments,
        Self::EntraExchange,
        Self::EntraAssignments,
    ];

    /// The feature in words, for messages (e.g. `custom id`).
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateUser => "create user",
            Self::CreateUserWithToken => "create user with token",
            Self::IssueToken => "issue token",
            Self::RevokeTokens => "revoke tokens",
            Self::DeleteUser => "delete user",
            Self::TokenLifetime => "token lifetime (expiresInMinutes)",
            Self::CreateTokenLifetime => "token lifetime (expiresInMinutes) on create",
            Self::JoinScopes => "the join scopes (chat.join, chat.join.limited, voip.join)",
            Self::TeamsUserExchange => "Teams user token exchange",
            Self::TeamsUserExchangeChecks => "Teams user exchange appId and userId checks",
            Self::CustomId => "custom id",
            Self::GetUser => "get user",
            Self::TeamsExtensionExchange => "Teams extension token exchange",
            Self::TeamsExtensionAssignments => "Teams extension assignments",
            Self::EntraExchange => "Entra token exchange",
            Self::EntraAssignments => "Entra assignments",
        }
    }

    /// A version that has this feature: the oldest stable one, else the oldest preview.
    pub fn first_version(self) -> Option<ApiVersion> {
        let mut versions = ApiVersion::ALL
            .iter()
            .copied()
            .filter(|version| version.supports(self));
        let any = versions.clone().next();
        versions.find(|version| !version.is_preview()).or(any)
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

use ApiVersion::{
    V2021_03_31_Preview1, V2021_10_31_Preview, V2021_11_01, V2022_06_01, V2022_09_01, V2022_10_01,
    V2023_08_01, V2023_10_01, V2025_03_02_Preview, V2025_03_31_Preview, V2025_06_30, V2026_09_23,
};

/// The capability table: each feature and the api-versions that have it.
///
/// From the OpenAPI documents in Azure/azure-rest-api-specs `specification/communication/data-plane/Identity/`
/// (paths and request fields of `2021-10-31-preview`, `2022-09-01`, `2023-08-01`, `2023-10-01`,
/// `2025-03-02-preview`, `2025-06-30`, `2026-09-23`), and for the others from the official SDKs' changelogs
/// (.NET `Azure.Communication.Identity` 1.1.0-1.3.0, Python `azure-communication-identity` 1.1.0 and 1.3.0):
/// the Teams user exchange took the token alone in `2021-03-31-preview1` and `2021-10-31-preview` and checks
/// `appId`/`userId` from `2022-06-01`; `expiresInMinutes` came to issue in `2022-09-01` and to create in
/// `2022-10-01`; the join scopes in `2023-10-01` (the `2023-08-01` scope enum is `chat`, `voip`). `2021-11-01`
/// and `2025-03-31-preview` have no published spec: they are taken as their predecessors. `2025-06-30` has no
/// custom id, no get user and no Entra operations; those exist only in the previews.
pub const CAPABILITIES: &[(Feature, &[ApiVersion])] = &[
    (Feature::CreateUser, ApiVersion::ALL),
    (Feature::CreateUserWithToken, ApiVersion::ALL),
    (Feature::IssueToken, ApiVersion::ALL),
    (Feature::RevokeTokens, ApiVersion::ALL),
    (Feature::DeleteUser, ApiVersion::ALL),
    (
        Feature::TokenLifetime,
        &[
            V2022_09_01,
            V2022_10_01,
            V2023_08_01,
            V2023_10_01,
            V2025_03_02_Preview,
            V2025_03_31_Preview,
            V2025_06_30,
            V2026_09_23,
        ],
    ),
    (
        Feature::CreateTokenLifetime,
        &[
            V2022_10_01,
            V2023_08_01,
            V2023_10_01,
            V2025_03_02_Preview,
            V2025_03_31_Preview,
            V2025_06_30,
            V2026_09_23,
        ],
    ),
    (
        Feature::JoinScopes,
        &[
            V2023_10_01,
            V2025_03_02_Preview,
            V2025_03_31_Preview,
            V2025_06_30,
            V2026_09_23,
        ],
    ),
    (
        Feature::TeamsUserExchange,
        &[
            V2021_03_31_Preview1,
            V2021_10_31_Preview,
            V2021_11_01,
            V2022_06_01,
            V2022_09_01,
            V2022_10_01,
            V2023_08_01,
            V2023_10_01,
            V2025_03_02_Preview,
            V2025_03_31_Preview,
            V2025_06_30,
            V2026_09_23,
        ],
    ),
    (
        Feature::TeamsUserExchangeChecks,
        &[
            V2022_06_01,
            V2022_09_01,
            V2022_10_01,
            V2023_08_01,
            V2023_10_01,
            V2025_03_02_Preview,
            V2025_03_31_Preview,
            V2025_06_30,
            V2026_09_23,
        ],
    ),
    (
        Feature::CustomId,
        &[V2025_03_02_Preview, V2025_03_31_Preview],
    ),
    (
        Feature::GetUser,
        &[V2025_03_02_Preview, V2025_03_31_Preview],
    ),
    (
        Feature::TeamsExtensionExchange,
        &[
            V2025_03_02_Preview,
            V2025_03_31_Preview,
            V2025_06_30,
            V2026_09_23,
        ],
    ),
    (
        Feature::TeamsExtensionAssignments,
        &[
            V2025_03_02_Preview,
            V2025_03_31_Preview,
            V2025_06_30,
            V2026_09_23,
        ],
    ),
    (
        Feature::EntraExchange,
        &[V2025_03_02_Preview, V2025_03_31_Preview],
    ),
    (
        Feature::EntraAssignments,
        &[V2025_03_02_Preview, V2025_03_31_Preview],
    ),
];

/// An `api-version` string this crate does not know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown api-version `{0}`; supported: {supported}", supported = Supported)]
pub struct UnknownApiVersion(String);

impl UnknownApiVersion {
    /// The string that was given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A feature the configured api-version does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
#[error("{feature} is not available in api-version {version}{}", UseInstead(*supported_by))]
pub struct UnsupportedFeature {
    /// The feature that was asked for.
    pub feature: Feature,
    /// The configured version.
    pub version: ApiVersion,
    /// A version that has the feature, if any.
    pub supported_by: Option<ApiVersion>,
}

/// The known versions, comma-separated.
struct Supported;

impl fmt::Display for Supported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, version) in ApiVersion::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(version.as_str())?;
        }
        Ok(())
    }
}

struct UseInstead(Option<ApiVersion>);

impl fmt::Display for UseInstead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(version) => write!(f, "; use api-version {version}"),
            None => Ok(()),
        }
    }
}
