//! Users signing in to an application that trusts the emulator as its OpenID Connect issuer.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};
use uuid::Uuid;

use super::SigningAlgorithm;
use crate::acs::timestamp::unix_seconds;

/// Lifetime of sign-in tokens when [`SignInUser::expires_at`] is not set: Entra's usual hour.
pub(crate) const SIGN_IN_TOKEN_SECONDS: u64 = 3600;

/// A user signing in, for whom [`RunningEmulator::sign_in`](crate::RunningEmulator::sign_in) mints a token
/// (an Entra v2.0 access token: `iss`, `aud`, `sub`, `oid`, `tid`, `iat`, `nbf`, `exp`, `ver: "2.0"`, and
/// `roles`, `groups`, `name`, `preferred_username` when set), signed with the issuer's published key.
///
/// Every field has a default; set the ones the test is about with the builder methods:
///
/// ```
/// use acs_identity_emulator::{SignInUser, SigningAlgorithm};
///
/// let alice = SignInUser::default()
///     .subject("alice")
///     .role("Tokens.Issue")
///     .algorithm(SigningAlgorithm::Es256);
/// assert_eq!(alice.subject.as_deref(), Some("alice"));
/// ```
///
/// `#[non_exhaustive]`: more claims may get a field of their own. Read the fields; build one from
/// [`SignInUser::default`] (or [`with_subject`](Self::with_subject)) with the builder methods.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SignInUser {
    /// `sub`; `None` means the object id, as text.
    pub subject: Option<String>,
    /// `oid`. Default: a new random id.
    pub object_id: Uuid,
    /// `aud`; `None` means the registered application's client id
    /// ([`RunningEmulator::entra_app`](crate::RunningEmulator::entra_app)).
    pub audience: Option<String>,
    /// `tid`; `None` means the emulator's tenant.
    pub tenant_id: Option<Uuid>,
    /// `roles` (application roles), left out when empty.
    pub roles: Vec<String>,
    /// `groups`, left out when empty.
    pub groups: Vec<String>,
    /// `name`, left out when `None`.
    pub name: Option<String>,
    /// `preferred_username`, left out when `None`.
    pub preferred_username: Option<String>,
    /// `nbf`; `None` means now. May be in the future.
    pub not_before: Option<SystemTime>,
    /// `exp`; `None` means one hour from now. May be in the past.
    pub expires_at: Option<SystemTime>,
    /// Which key signs the token. Default RS256.
    pub algorithm: SigningAlgorithm,
    /// More claims, added last: one named like a claim above replaces it.
    pub extra_claims: Map<String, Value>,
}

impl Default for SignInUser {
    fn default() -> Self {
        Self {
            subject: None,
            object_id: Uuid::new_v4(),
            audience: None,
            tenant_id: None,
            roles: Vec::new(),
            groups: Vec::new(),
            name: None,
            preferred_username: None,
            not_before: None,
            expires_at: None,
            algorithm: SigningAlgorithm::default(),
            extra_claims: Map::new(),
        }
    }
}

impl SignInUser {
    /// A user with this subject (`sub`), every other field defaulted.
    pub fn with_subject(subject: impl Into<String>) -> Self {
        Self::default().subject(subject)
    }

    /// Sets [`subject`](Self::subject).
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets [`object_id`](Self::object_id).
    #[must_use]
    pub fn object_id(mut self, object_id: Uuid) -> Self {
        self.object_id = object_id;
        self
    }

    /// Sets [`audience`](Self::audience).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets [`tenant_id`](Self::tenant_id).
    #[must_use]
    pub fn tenant_id(mut self, tenant_id: Uuid) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    /// Adds one role to [`roles`](Self::roles).
    #[must_use]
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Sets [`roles`](Self::roles), replacing any added before.
    #[must_use]
    pub fn roles(mut self, roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Adds one group to [`groups`](Self::groups).
    #[must_use]
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.groups.push(group.into());
        self
    }

    /// Sets [`groups`](Self::groups), replacing any added before.
    #[must_use]
    pub fn groups(mut self, groups: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`name`](Self::name).
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets [`preferred_username`](Self::preferred_username).
    #[must_use]
    pub fn preferred_username(mut self, username: impl Into<String>) -> Self {
        self.preferred_username = Some(username.into());
        self
    }

    /// Sets [`not_before`](Self::not_before).
    #[must_use]
    pub fn not_before(mut self, at: SystemTime) -> Self {
        self.not_before = Some(at);
        self
    }

    /// Sets [`expires_at`](Self::expires_at).
    #[must_use]
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Sets [`algorithm`](Self::algorithm).
    #[must_use]
    pub fn algorithm(mut self, algorithm: SigningAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Adds one claim to [`extra_claims`](Self::extra_claims) (replacing one of the same name).
    #[must_use]
    pub fn extra_claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra_claims.insert(name.into(), value.into());
        self
    }

    /// Sets [`extra_claims`](Self::extra_claims), replacing any added before.
    #[must_use]
    pub fn extra_claims(mut self, claims: Map<String, Value>) -> Self {
        self.extra_claims = claims;
        self
    }

    /// When the token expires: [`expires_at`](Self::expires_at) or one hour after `now`.
    pub(crate) fn expiry(&self, now: SystemTime) -> SystemTime {
        self.expires_at
            .unwrap_or(now + Duration::from_secs(SIGN_IN_TOKEN_SECONDS))
    }

    /// The token's claims.
    pub(crate) fn claims(
        &self,
        issuer: &str,
        default_audience: &str,
        default_tenant: Uuid,
        now: SystemTime,
    ) -> Value {
        let mut claims = Map::new();
        let mut put = |name: &str, value: Value| {
            claims.insert(name.to_owned(), value);
        };
        put("iss", issuer.into());
        put(
            "aud",
            self.audience.as_deref().unwrap_or(default_audience).into(),
        );
        put(
            "sub",
            self.subject
                .clone()
                .unwrap_or_else(|| self.object_id.to_string())
                .into(),
        );
        put("oid", self.object_id.to_string().into());
        put(
            "tid",
            self.tenant_id.unwrap_or(default_tenant).to_string().into(),
        );
        put("iat", unix_seconds(now).into());
        put("nbf", unix_seconds(self.not_before.unwrap_or(now)).into());
        put("exp", unix_seconds(self.expiry(now)).into());
        put("ver", "2.0".into());
        if !self.roles.is_empty() {
            put("roles", self.roles.clone().into());
        }
        if !self.groups.is_empty() {
            put("groups", self.groups.clone().into());
        }
        if let Some(name) = &self.name {
            put("name", name.clone().into());
        }
        if let Some(username) = &self.preferred_username {
            put("preferred_username", username.clone().into());
        }
        claims.extend(self.extra_claims.clone());
        Value::Object(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let tenant = Uuid::new_v4();
        let user = SignInUser::default();
        let claims = user.claims("https://issuer/v2.0", "client", tenant, now);
        assert_eq!(claims["sub"], user.object_id.to_string());
        assert_eq!(claims["oid"], user.object_id.to_string());
        assert_eq!(claims["aud"], "client");
        assert_eq!(claims["tid"], tenant.to_string());
        assert_eq!(claims["iat"], 1_000);
        assert_eq!(claims["nbf"], 1_000);
        assert_eq!(claims["exp"], 4_600);
        assert_eq!(claims["ver"], "2.0");
        assert!(claims.get("roles").is_none());
        assert!(claims.get("name").is_none());

        let mut extra = Map::new();
        extra.insert("iss".into(), "https://evil/".into());
        extra.insert("scp".into(), "Tokens.Read".into());
        let user = SignInUser {
            roles: vec!["a".into()],
            name: Some("Alice".into()),
            extra_claims: extra,
            ..SignInUser::with_subject("alice")
        };
        let claims = user.claims("https://issuer/v2.0", "client", tenant, now);
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["roles"], serde_json::json!(["a"]));
        assert_eq!(claims["name"], "Alice");
        assert_eq!(claims["iss"], "https://evil/");
        assert_eq!(claims["scp"], "Tokens.Read");
    }
}
