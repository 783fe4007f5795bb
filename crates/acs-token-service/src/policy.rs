//! Least privilege: which scopes and lifetimes a signed-in caller may get.
//!
//! Every caller gets the default grant (`chat`, 60 minutes unless configured otherwise). Each rule whose
//! conditions all hold (issuer, roles held, claims equal) adds its scopes, and raises the longest lifetime
//! to its own. A request for a scope or lifetime beyond the caller's grant is refused with 403 and says
//! which; it is never silently narrowed.

use std::collections::BTreeMap;

use acs_identity::{TokenLifetime, TokenScope};

use crate::config::Grant;
use crate::oidc::SignedIn;

/// The policy of a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// What every signed-in caller may get.
    pub default: Grant,
    /// What some callers may get besides.
    pub rules: Vec<Rule>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            default: Grant {
                scopes: vec![TokenScope::Chat],
                max_lifetime: TokenLifetime::MIN,
            },
            rules: Vec::new(),
        }
    }
}

/// A grant for callers that meet every condition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rule {
    /// Only callers of this issuer.
    pub issuer: Option<String>,
    /// Only callers holding all these roles.
    pub roles: Vec<String>,
    /// Only callers whose claims (name or dotted path) have these values (or, for an array claim, hold them).
    pub claims: BTreeMap<String, String>,
    /// What the rule grants.
    pub grant: Grant,
}

impl Rule {
    fn applies_to(&self, caller: &SignedIn) -> bool {
        self.issuer
            .as_ref()
            .is_none_or(|issuer| issuer == &caller.issuer)
            && self.roles.iter().all(|role| caller.has_role(role))
            && self
                .claims
                .iter()
                .all(|(claim, value)| caller.claim_matches(claim, value))
    }
}

/// A refused request: what was asked beyond the grant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Scopes outside the grant.
    #[error("the scopes {denied} are not allowed for you (allowed: {allowed})")]
    Scopes {
        /// The refused scopes, comma-separated.
        denied: String,
        /// The allowed ones, comma-separated.
        allowed: String,
    },
    /// A lifetime beyond the grant.
    #[error("a {asked}-minute token is not allowed for you (at most {max} minutes)")]
    Lifetime {
        /// Minutes asked for.
        asked: u16,
        /// The most allowed.
        max: u16,
    },
    /// No scope asked for.
    #[error("name at least one scope")]
    NoScopes,
}

impl PolicyError {
    /// The error code of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Scopes { .. } => "scope_not_allowed",
            Self::Lifetime { .. } => "lifetime_not_allowed",
            Self::NoScopes => "no_scopes",
        }
    }
}

impl Policy {
    /// What `caller` may get.
    pub fn grant_for(&self, caller: &SignedIn) -> Grant {
        let mut grant = self.default.clone();
        for rule in self.rules.iter().filter(|rule| rule.applies_to(caller)) {
            for scope in &rule.grant.scopes {
                if !grant.scopes.contains(scope) {
                    grant.scopes.push(scope.clone());
                }
            }
            grant.max_lifetime = grant.max_lifetime.max(rule.grant.max_lifetime);
        }
        grant
    }

    /// Checks a request against the caller's grant; `lifetime: None` means the shortest, 60 minutes.
    pub fn authorize(
        &self,
        caller: &SignedIn,
        scopes: &[TokenScope],
        lifetime: Option<TokenLifetime>,
    ) -> Result<TokenLifetime, PolicyError> {
        if scopes.is_empty() {
            return Err(PolicyError::NoScopes);
        }
        let grant = self.grant_for(caller);
        let denied: Vec<&str> = scopes
            .iter()
            .filter(|scope| !grant.scopes.contains(scope))
            .map(TokenScope::as_str)
            .collect();
        if !denied.is_empty() {
            return Err(PolicyError::Scopes {
                denied: denied.join(", "),
                allowed: grant
                    .scopes
                    .iter()
                    .map(TokenScope::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let lifetime = lifetime.unwrap_or(TokenLifetime::MIN);
        if lifetime > grant.max_lifetime {
            return Err(PolicyError::Lifetime {
                asked: lifetime.as_minutes(),
                max: grant.max_lifetime.as_minutes(),
            });
        }
        Ok(lifetime)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lifetime(minutes: u32) -> TokenLifetime {
        TokenLifetime::from_minutes(minutes).unwrap()
    }

    fn policy() -> Policy {
        Policy {
            default: Grant {
                scopes: vec![TokenScope::Chat],
                max_lifetime: lifetime(60),
            },
            rules: vec![
                Rule {
                    issuer: None,
                    roles: vec!["caller".into()],
                    claims: BTreeMap::new(),
                    grant: Grant {
                        scopes: vec![TokenScope::Voip],
                        max_lifetime: lifetime(120),
                    },
                },
                Rule {
                    issuer: Some("https://other".into()),
                    roles: vec![],
                    claims: BTreeMap::from([("tier".to_owned(), "gold".to_owned())]),
                    grant: Grant {
                        scopes: vec![TokenScope::ChatJoin],
                        max_lifetime: lifetime(600),
                    },
                },
            ],
        }
    }

    #[test]
    fn the_default_is_chat_for_an_hour() {
        let caller = SignedIn::for_tests("https://i", "alice", json!({}));
        let policy = policy();
        assert_eq!(
            policy.authorize(&caller, &[TokenScope::Chat], None),
            Ok(lifetime(60))
        );
        assert_eq!(
            policy.authorize(&caller, &[TokenScope::Chat, TokenScope::Voip], None),
            Err(PolicyError::Scopes {
                denied: "voip".into(),
                allowed: "chat".into()
            })
        );
        assert_eq!(
            policy.authorize(&caller, &[TokenScope::Chat], Some(lifetime(61))),
            Err(PolicyError::Lifetime { asked: 61, max: 60 })
        );
        assert_eq!(
            policy.authorize(&caller, &[], None),
            Err(PolicyError::NoScopes)
        );
    }

    #[test]
    fn rules_add_to_the_grant_when_all_their_conditions_hold() {
        let policy = policy();
        let caller = SignedIn::for_tests("https://i", "bob", json!({"roles": ["caller"]}));
        assert_eq!(
            policy.authorize(
                &caller,
                &[TokenScope::Voip, TokenScope::Chat],
                Some(lifetime(120))
            ),
            Ok(lifetime(120))
        );
        // The tier rule is for another issuer only.
        let gold_here = SignedIn::for_tests("https://i", "carol", json!({"tier": "gold"}));
        assert!(
            policy
                .authorize(&gold_here, &[TokenScope::ChatJoin], None)
                .is_err()
        );
        let gold_there = SignedIn::for_tests("https://other", "carol", json!({"tier": "gold"}));
        assert_eq!(
            policy.grant_for(&gold_there),
            Grant {
                scopes: vec![TokenScope::Chat, TokenScope::ChatJoin],
                max_lifetime: lifetime(600)
            }
        );
    }
}
