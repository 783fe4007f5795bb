//! How the examples print tokens and times.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

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

/// A timestamp in RFC 3339 in UTC, to the second, e.g. `2026-12-03T09:00:00Z`: every example prints times
/// this way, as the `acs-identity` CLI does.
///
/// ```
/// let at = time::macros::datetime!(2026-12-03 10:00:00.8083676 +01:00);
/// assert_eq!(acs_identity_examples::rfc3339(at), "2026-12-03T09:00:00Z");
/// ```
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}
