//! How the examples print tokens and times.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How many characters of a token the examples show: the JWT header, enough to recognise a token, not
/// enough to use it.
const SHOWN: usize = 20;

/// The start of `token` followed by `...`: examples print tokens truncated.
///
/// ```
/// assert_eq!(acs_identity_examples::truncated("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"), "eyJhbGciOiJIUzI1NiJ9...");
/// ```
pub fn truncated(token: &str) -> String {
    let shown: String = token.chars().take(SHOWN).collect();
    format!("{shown}...")
}

/// A timestamp in RFC 3339, e.g. `2025-04-14T17:32:27.2078535Z`.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}
