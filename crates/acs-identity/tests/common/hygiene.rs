//! What the secret-hygiene tests of both clients share: harvesting the secrets that crossed the wire, and
//! looking for them in what was shown.
//!
//! Included by `tests/secret_hygiene.rs` and `tests/hostile_server.rs` of both clients (the first runs the
//! body in `common/secret_hygiene.rs`), and by `acs-identity-blocking/tests/wire_dumps.rs`.

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

/// Fails when `shown` holds any of `secrets` the way an attacker would read it: as is, in a hex dump decoded
/// back to bytes (ureq's protocol crate dumps every byte at TRACE, 16 a line, so a secret spans lines), with
/// line breaks and whitespace removed, and in base64 or percent-encoded form.
pub(crate) fn assert_hidden(shown: &str, secrets: &[String], what: &str) {
    let views = [
        ("as shown", shown.to_owned()),
        ("hex dumps decoded", decode_hex_dumps(shown)),
        ("whitespace removed", shown.split_whitespace().collect()),
    ];
    for secret in secrets {
        assert!(secret.len() >= 16, "{what}: a secret too short to look for");
        for form in forms(secret) {
            for (view, text) in &views {
                assert!(
                    !text.contains(form.as_str()),
                    "{what} shows a secret ({view}): {}",
                    excerpt(text, &form)
                );
            }
        }
    }
}

/// The forms a secret can take in a log: itself, base64 of it, percent-encoded.
fn forms(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let percent: String = secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let mut forms = vec![
        secret.to_owned(),
        STANDARD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        percent.clone(),
        percent.to_lowercase(),
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// Every hex dump in `text` (runs of 4-character groups of hex digits, `--` for padding, as ureq_proto writes
/// them) decoded back to its bytes, one dump after another.
fn decode_hex_dumps(text: &str) -> String {
    let is_group =
        |word: &str| word.len() == 4 && word.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    let mut bytes = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        // The longest run of groups on the line; a dump line has eight.
        let mut best = 0..0;
        let mut start = 0;
        for (i, word) in words.iter().enumerate() {
            if !is_group(word) {
                start = i + 1;
            } else if i + 1 - start > best.len() {
                best = start..i + 1;
            }
        }
        if best.len() < 2 {
            continue;
        }
        for group in &words[best] {
            for pair in [&group[..2], &group[2..]] {
                if let Ok(byte) = u8::from_str_radix(pair, 16) {
                    bytes.push(byte);
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Up to 200 characters around `needle` in `text`, for the failure message.
fn excerpt(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    let mut start = at.saturating_sub(100);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + needle.len() + 100).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    text[start..end].to_owned()
}

#[test]
fn a_secret_split_across_hex_dump_lines_is_found() {
    let secret = "Signature=abcdefghijklmnopqrstuvwxyz0123456789";
    let mut dump = String::new();
    for row in secret.as_bytes().chunks(16) {
        let mut line = "TRACE ureq_proto::util: ".to_owned();
        for i in (0..16).step_by(2) {
            for j in i..i + 2 {
                line += &row.get(j).map_or("--".to_owned(), |b| format!("{b:02x}"));
            }
            line.push(' ');
        }
        dump += &line;
        dump.push('\n');
    }
    assert!(!dump.contains(secret));
    let caught = std::panic::catch_unwind(|| assert_hidden(&dump, &[secret.to_owned()], "a dump"));
    assert!(
        caught.is_err(),
        "the decoded dump must give the secret away"
    );
}
