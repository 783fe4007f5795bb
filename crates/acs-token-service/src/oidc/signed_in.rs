//! A caller whose token passed every check.

use serde_json::{Map, Value};

use super::SignInError;

/// A signed-in caller: the validated token's issuer, subject, roles and claims.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SignedIn {
    /// The issuer (`iss`).
    pub issuer: String,
    /// The subject (`sub`).
    pub subject: String,
    roles: Vec<String>,
    claims: Map<String, Value>,
}

impl SignedIn {
    pub(super) fn new(
        issuer: String,
        claims: Map<String, Value>,
        roles_claim: &str,
    ) -> Result<Self, SignInError> {
        let subject = match claims.get("sub") {
            Some(Value::String(subject)) if !subject.is_empty() => subject.clone(),
            _ => return Err(SignInError::MissingClaim("sub".into())),
        };
        let roles = match lookup(&claims, roles_claim) {
            Some(Value::Array(roles)) => roles
                .iter()
                .filter_map(|role| role.as_str().map(str::to_owned))
                .collect(),
            // Some providers put space-separated roles in one string.
            Some(Value::String(roles)) => roles.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        Ok(Self {
            issuer,
            subject,
            roles,
            claims,
        })
    }

    /// A claim by name or dotted path (`realm_access.roles`).
    pub fn claim(&self, path: &str) -> Option<&Value> {
        lookup(&self.claims, path)
    }

    /// A string or number claim as text.
    pub fn claim_text(&self, path: &str) -> Option<String> {
        match self.claim(path)? {
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    /// Whether a claim equals `value`, or is an array holding it.
    pub fn claim_matches(&self, path: &str, value: &str) -> bool {
        match self.claim(path) {
            Some(Value::String(text)) => text == value,
            Some(Value::Number(number)) => number.to_string() == value,
            Some(Value::Bool(flag)) => flag.to_string() == value,
            Some(Value::Array(items)) => items.iter().any(|item| item.as_str() == Some(value)),
            _ => false,
        }
    }

    /// The caller's roles (from the issuer's `roles_claim`).
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// Whether the caller holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|held| held == role)
    }

    #[cfg(test)]
    pub(crate) fn for_tests(issuer: &str, subject: &str, claims: Value) -> Self {
        let mut claims = match claims {
            Value::Object(claims) => claims,
            _ => Map::new(),
        };
        claims.insert("sub".into(), Value::String(subject.into()));
        Self::new(issuer.into(), claims, "roles").unwrap()
    }
}

fn lookup<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    // A claim whose name has dots (`https://contoso.com/roles`, Auth0's namespaced claims) wins.
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    let mut segments = path.split('.');
    let mut value = claims.get(segments.next()?)?;
    for segment in segments {
        value = value.as_object()?.get(segment)?;
    }
    Some(value)
}
