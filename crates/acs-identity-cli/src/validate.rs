//! What the CLI checks before any request: scope names and user ids. Both would otherwise come back from
//! the service as a 400 that does not say what to type instead.

use acs_identity_blocking::{CommunicationUserIdentifier, TokenScope};

use crate::failure::Failure;

/// The prefixes of an ACS user's id: public cloud, the legacy Skype pool, DoD and GCC High.
const USER_PREFIXES: [&str; 4] = ["8:acs:", "8:spool:", "8:dod-acs:", "8:gcch-acs:"];

/// `name` as a scope: one of the five known ones, exactly, or any text when `allow_unknown` (for scopes the
/// service adds later).
pub(crate) fn scope(name: &str, allow_unknown: bool) -> Result<TokenScope, Failure> {
    if let Some(known) = TokenScope::KNOWN.iter().find(|s| s.as_str() == name) {
        return Ok(known.clone());
    }
    if allow_unknown {
        return Ok(TokenScope::from(name));
    }
    let names: Vec<&str> = TokenScope::KNOWN.iter().map(TokenScope::as_str).collect();
    let hint = match TokenScope::KNOWN
        .iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(name))
    {
        Some(known) => format!(
            "scope names are lowercase: did you mean `{}`?",
            known.as_str()
        ),
        None => format!(
            "known scopes: {}; pass --allow-unknown-scope to send a newer one as is",
            names.join(", ")
        ),
    };
    Err(Failure::Invalid(format!("unknown scope `{name}`: {hint}")))
}

/// `id` as an ACS user, when it looks like one (`8:acs:...`).
pub(crate) fn user(id: &str) -> Result<CommunicationUserIdentifier, Failure> {
    if USER_PREFIXES
        .iter()
        .any(|p| id.starts_with(p) && id.len() > p.len())
    {
        return Ok(CommunicationUserIdentifier::new(id));
    }
    Err(Failure::Invalid(format!(
        "`{id}` is not an ACS user id: those look like `8:acs:<resource id>_<user id>`, as printed by \
         `acs-identity user create` (a custom id is not a user id: use the id printed with it)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug, Failure>) -> String {
        match result.unwrap_err() {
            Failure::Invalid(message) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scopes_are_checked_with_hints() {
        assert_eq!(scope("chat.join", false).unwrap(), TokenScope::ChatJoin);
        assert!(message(scope("Chat", false)).contains("did you mean `chat`?"));
        assert!(message(scope("chats", false)).contains("--allow-unknown-scope"));
        assert_eq!(
            scope("future.scope", true).unwrap(),
            TokenScope::Other("future.scope".into())
        );
    }

    #[test]
    fn user_ids_must_be_acs_ids() {
        assert!(user("8:acs:r_u").is_ok());
        assert!(user("8:gcch-acs:r_u").is_ok());
        assert!(message(user("alice")).contains("8:acs:<resource id>_<user id>"));
        assert!(user("8:acs:").is_err());
    }
}
