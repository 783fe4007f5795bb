//! What the secret-hygiene tests of both clients share: harvesting the secrets that crossed the wire, and
//! looking for them in what was shown.
//!
//! Included by `acs-identity/tests/secret_hygiene.rs` and `acs-identity-blocking/tests/secret_hygiene.rs`.

/// Every value that follows one of `markers` in `wire`, up to a delimiter.
pub(crate) fn harvest(wire: &str) -> Vec<String> {
    let markers = [
        ("Signature=", &['\r', '\n', '&'][..]),
        ("Bearer ", &['\r', '\n'][..]),
        ("client_secret=", &['&', '\r', '\n'][..]),
        ("\"token\":\"", &['"'][..]),
        ("\"access_token\":\"", &['"'][..]),
    ];
    let mut found = Vec::new();
    for (marker, ends) in markers {
        for (at, _) in wire.match_indices(marker) {
            let rest = &wire[at + marker.len()..];
            let value = &rest[..rest.find(ends).unwrap_or(rest.len())];
            found.push(value.to_owned());
        }
    }
    found.sort();
    found.dedup();
    found
}

pub(crate) fn assert_hidden(shown: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(secret.len() >= 16, "{what}: a secret too short to look for");
        assert!(
            !shown.contains(secret.as_str()),
            "{what} shows a secret: {shown}"
        );
    }
}
