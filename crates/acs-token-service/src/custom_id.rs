//! From a signed-in user to the ACS custom id of their identity: no mapping table, the id is derived.
//!
//! A template such as `{iss}|{sub}` (the default) names claims of the validated token:
//!
//! - `{iss}` and `{sub}` are the token's issuer and subject; `{claim:NAME}` any other string or number
//!   claim (a dotted `NAME` reads a nested one). A claim the token lacks makes the sign-in fail: the
//!   user would otherwise share an identity with everyone else who lacks it.
//! - Placeholders are separated by punctuation (`|`, `/`, `:`...). In each value, `%` and every punctuation
//!   character of the template's own text are percent-encoded, so that two different users cannot render
//!   to the same id (`a|b` + `c` vs `a` + `b|c`).
//! - ACS takes at most 256 characters. A longer result (or one longer than 256 UTF-16 units, what the
//!   service may count) is replaced by `sha256:` and the unpadded base64url SHA-256 of the full result: 50
//!   characters, different for every different input.
//!
//! Changing the template maps every user to a new identity: choose it once.

use std::fmt::Write as _;

use acs_identity::CustomId;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::oidc::SignedIn;

/// A parsed custom id template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomIdTemplate {
    parts: Vec<Part>,
    /// The characters encoded in values: `%` and the punctuation of the template's literal text.
    reserved: Vec<char>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Issuer,
    Subject,
    Claim(String),
}

impl Default for CustomIdTemplate {
    fn default() -> Self {
        Self {
            parts: vec![Part::Issuer, Part::Text("|".into()), Part::Subject],
            reserved: vec!['%', '|'],
        }
    }
}

/// Why a custom id could not be derived from a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the token has no string claim {0:?}, which the custom id template needs")]
pub struct MissingClaim(pub String);

impl CustomIdTemplate {
    /// The default template: issuer and subject.
    pub const DEFAULT: &'static str = "{iss}|{sub}";

    /// Parses a template; the error says what is wrong.
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| format!("{template:?}: a '{{' is not closed"))?;
                    parts.push(match &rest[1..end] {
                        "iss" => Part::Issuer,
                        "sub" => Part::Subject,
                        name => match name.strip_prefix("claim:") {
                            Some(claim) if !claim.is_empty() => Part::Claim(claim.to_owned()),
                            _ => {
                                return Err(format!(
                                    "{template:?}: unknown placeholder {{{name}}}; use {{iss}}, {{sub}} or {{claim:NAME}}"
                                ));
                            }
                        },
                    });
                    rest = &rest[end + 1..];
                }
                found => {
                    let end = found.unwrap_or(rest.len());
                    let text = &rest[..end];
                    if text.contains('}') {
                        return Err(format!("{template:?}: a '}}' without its '{{'"));
                    }
                    parts.push(Part::Text(text.to_owned()));
                    rest = &rest[end..];
                }
            }
        }
        if !parts
            .iter()
            .any(|part| matches!(part, Part::Subject | Part::Claim(_)))
        {
            return Err(format!(
                "{template:?} names no user: include {{sub}} or a {{claim:NAME}} that tells users apart"
            ));
        }
        // Two values must be told apart by a separator that no value can contain.
        for pair in parts.windows(2) {
            if !matches!(pair[0], Part::Text(_)) && !matches!(pair[1], Part::Text(_)) {
                return Err(format!(
                    "{template:?}: put a separator such as '|' between two placeholders"
                ));
            }
        }
        for triple in parts.windows(3) {
            if let [first, Part::Text(text), last] = triple
                && !matches!(first, Part::Text(_))
                && !matches!(last, Part::Text(_))
                && text.chars().all(char::is_alphanumeric)
            {
                return Err(format!(
                    "{template:?}: separate placeholders by punctuation such as '|', not by {text:?}"
                ));
            }
        }
        let mut reserved = vec!['%'];
        for part in &parts {
            if let Part::Text(text) = part {
                for c in text.chars().filter(|c| !c.is_alphanumeric()) {
                    if !reserved.contains(&c) {
                        reserved.push(c);
                    }
                }
            }
        }
        Ok(Self { parts, reserved })
    }

    /// Whether the template tells issuers apart.
    pub fn names_issuer(&self) -> bool {
        self.parts.contains(&Part::Issuer)
    }

    /// The custom id of a signed-in user.
    pub fn render(&self, user: &SignedIn) -> Result<CustomId, MissingClaim> {
        let mut rendered = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => rendered.push_str(text),
                Part::Issuer => self.push_value(&mut rendered, &user.issuer),
                Part::Subject => self.push_value(&mut rendered, &user.subject),
                Part::Claim(name) => {
                    let value = user
                        .claim_text(name)
                        .ok_or_else(|| MissingClaim(name.clone()))?;
                    self.push_value(&mut rendered, &value);
                }
            }
        }
        let fits = rendered.chars().count() <= CustomId::MAX_CHARS
            && rendered.encode_utf16().count() <= CustomId::MAX_CHARS;
        let id = if fits && !rendered.trim().is_empty() {
            rendered
        } else {
            format!(
                "sha256:{}",
                URL_SAFE_NO_PAD.encode(Sha256::digest(rendered.as_bytes()))
            )
        };
        // Both forms are 1..=256 non-blank characters by construction.
        CustomId::new(id).map_err(|_| MissingClaim("sub".into()))
    }

    fn push_value(&self, out: &mut String, value: &str) {
        for c in value.chars() {
            if self.reserved.contains(&c) {
                let mut buffer = [0; 4];
                for byte in c.encode_utf8(&mut buffer).bytes() {
                    let _ = write!(out, "%{byte:02X}");
                }
            } else {
                out.push(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user(issuer: &str, subject: &str) -> SignedIn {
        SignedIn::for_tests(issuer, subject, json!({"tier": "gold", "org": {"id": 42}}))
    }

    #[test]
    fn default_is_issuer_and_subject() {
        let template = CustomIdTemplate::parse(CustomIdTemplate::DEFAULT).unwrap();
        assert_eq!(template, CustomIdTemplate::default());
        let id = template
            .render(&user("https://login.example.com", "alice"))
            .unwrap();
        assert_eq!(id.as_str(), "https://login.example.com|alice");
    }

    #[test]
    fn values_cannot_forge_the_separator() {
        let template = CustomIdTemplate::default();
        let a = template.render(&user("https://a|b", "c")).unwrap();
        let b = template.render(&user("https://a", "b|c")).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str(), "https://a%7Cb|c");
        assert_eq!(b.as_str(), "https://a|b%7Cc");
        let percent = template.render(&user("https://a", "%7C")).unwrap();
        assert_eq!(percent.as_str(), "https://a|%257C");
    }

    #[test]
    fn claims_are_read_by_path() {
        let template = CustomIdTemplate::parse("org-{claim:org.id}/{claim:tier}/{sub}").unwrap();
        assert!(!template.names_issuer());
        let id = template.render(&user("https://i", "bob")).unwrap();
        assert_eq!(id.as_str(), "org-42/gold/bob");
        let id = template.render(&user("https://i", "a/b-c")).unwrap();
        assert_eq!(id.as_str(), "org-42/gold/a%2Fb%2Dc");
        let missing = CustomIdTemplate::parse("{claim:email}").unwrap();
        assert_eq!(
            missing.render(&user("https://i", "bob")),
            Err(MissingClaim("email".into()))
        );
    }

    #[test]
    fn long_ids_become_a_digest() {
        let template = CustomIdTemplate::default();
        let long_subject = "s".repeat(300);
        let id = template.render(&user("https://i", &long_subject)).unwrap();
        assert!(id.as_str().starts_with("sha256:"));
        assert_eq!(id.as_str().len(), 50);
        let other = template.render(&user("https://j", &long_subject)).unwrap();
        assert_ne!(id, other);
        // 200 emoji are 200 characters but 400 UTF-16 units: digested too.
        let emoji = template
            .render(&user("https://i", &"😀".repeat(200)))
            .unwrap();
        assert!(emoji.as_str().starts_with("sha256:"));
    }

    #[test]
    fn bad_templates_say_why() {
        for (template, needle) in [
            ("{iss}", "names no user"),
            ("{iss}|{sub", "not closed"),
            ("{nope}", "unknown placeholder"),
            ("{claim:}", "unknown placeholder"),
            ("a}b{sub}", "without its"),
            ("{iss}{sub}", "separator"),
            ("{iss}x{sub}", "punctuation"),
        ] {
            let error = CustomIdTemplate::parse(template).unwrap_err();
            assert!(error.contains(needle), "{template}: {error}");
        }
    }
}
