//! What a call sent that must never come back out of it in an error: the `Authorization` of each attempt (an
//! HMAC signature or a bearer token) and the secrets an operation puts in its body, in the forms a server may
//! echo them in; and the bounded, redacted text an error keeps of what the server said.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use http::HeaderMap;
use http::header::AUTHORIZATION;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What replaces an echoed secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// What ends a text that was cut to its limit (counted in the limit).
pub(crate) const TRUNCATED: &str = "...[truncated]";

/// Secrets shorter than this are not looked for: no credential is that short, and a short needle would
/// replace ordinary words. It is longer than [`REDACTED`], so a replacement never lengthens a text.
const MIN_SECRET_LEN: usize = 16;

/// How many distinct secrets a call remembers (the newest win): three per attempt for the last attempts.
const MAX_SECRETS: usize = 24;

/// Percent-encoding of everything but RFC 3986's unreserved characters (`encodeURIComponent`, .NET's
/// `Uri.EscapeDataString`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The same, leaving `/` as is (Python's `urllib.parse.quote`).
const PATH: &AsciiSet = &COMPONENT.remove(b'/');

/// The secrets one call sent. `Debug` shows how many, never one.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct SentSecrets {
    secrets: VecDeque<String>,
}

impl fmt::Debug for SentSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[redacted; {} secrets]", self.secrets.len())
    }
}

impl SentSecrets {
    /// Remembers the `Authorization` of an attempt about to be sent: the whole value, and the credential in
    /// it (the HMAC `Signature=`, or what follows the scheme, e.g. a bearer token).
    pub(crate) fn add_authorization(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(AUTHORIZATION) {
            let text = String::from_utf8_lossy(value.as_bytes());
            let text = text.trim();
            self.add(text);
            if let Some((_, signature)) = text.split_once("Signature=") {
                self.add(signature.split('&').next().unwrap_or(signature));
            } else if let Some((_, credential)) = text.split_once(' ') {
                self.add(credential.trim());
            }
        }
    }

    /// Remembers `secret` (ignored when shorter than 16 bytes).
    pub(crate) fn add(&mut self, secret: &str) {
        if secret.len() < MIN_SECRET_LEN || self.secrets.iter().any(|known| known == secret) {
            return;
        }
        if self.secrets.len() == MAX_SECRETS {
            self.secrets.pop_front();
        }
        self.secrets.push_back(secret.to_owned());
    }

    /// Every form a server may echo a secret in, longest first (so that a whole `Authorization` value goes
    /// before the signature inside it): as sent, percent-encoded (upper- or lower-case hex, `/` encoded or
    /// not, a space as `+`, or every character but letters and digits), JSON-escaped `/` (`\/`), and base64
    /// (standard with or without padding, or URL-safe).
    fn needles(&self) -> Vec<String> {
        let mut needles = Vec::with_capacity(self.secrets.len() * 11);
        for secret in &self.secrets {
            let component = utf8_percent_encode(secret, COMPONENT).to_string();
            let path = utf8_percent_encode(secret, PATH).to_string();
            needles.extend([
                secret.clone(),
                lower_hex(&component),
                lower_hex(&path),
                component.replace("%20", "+"),
                component,
                path,
                utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
                secret.replace('/', "\\/"),
                STANDARD.encode(secret),
                STANDARD_NO_PAD.encode(secret),
                URL_SAFE_NO_PAD.encode(secret),
            ]);
        }
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        needles
    }

    /// What looks for these secrets in what a server said: every form of each, built once.
    pub(crate) fn redactor(&self) -> Redactor {
        let needles = self.needles();
        let reach = needles.first().map_or(0, String::len);
        Redactor { needles, reach }
    }
}

/// The forms of a call's secrets, ready to be looked for. No `Debug`: it holds them.
pub(crate) struct Redactor {
    /// Longest first.
    needles: Vec<String>,
    /// The length of the longest.
    reach: usize,
}

impl Redactor {
    /// `text` with every secret replaced by [`REDACTED`], then cut to at most `limit` bytes on a char boundary
    /// and marked with [`TRUNCATED`]; the flag says whether it was cut.
    ///
    /// Only the start of a long text is searched (`limit` plus the longest needle), so the cost does not grow
    /// with the text.
    pub(crate) fn bounded(&self, text: &str, limit: usize) -> (String, bool) {
        let searched = floor_char_boundary(text, limit.saturating_add(self.reach));
        let start = text.get(..searched).unwrap_or(text);
        cut(
            start,
            searched >= text.len(),
            limit,
            &self.needles,
            self.reach,
        )
    }

    /// [`bounded`](Self::bounded) for bytes that may not be UTF-8 (invalid sequences become U+FFFD): only the
    /// start that is searched is decoded.
    pub(crate) fn bounded_bytes(&self, bytes: &[u8], limit: usize) -> (String, bool) {
        let searched = limit.saturating_add(self.reach);
        let start = String::from_utf8_lossy(bytes.get(..searched).unwrap_or(bytes));
        cut(
            &start,
            bytes.len() <= searched,
            limit,
            &self.needles,
            self.reach,
        )
    }
}

/// `start` (the start of a text, or all of it when `whole`) with every needle replaced, cut to `limit` bytes.
fn cut(start: &str, whole: bool, limit: usize, needles: &[String], reach: usize) -> (String, bool) {
    let redacted = redact(start, needles);
    if whole && redacted.len() <= limit {
        return (redacted.into_owned(), false);
    }
    let mut keep = limit.saturating_sub(TRUNCATED.len());
    if !whole {
        // A secret running on past `start` is in it only in part, so unredacted, within its last `reach`
        // bytes (replacements never lengthen a text; a few bytes more for a char split at the end of
        // decoded bytes): the cut falls before them.
        keep = keep.min(redacted.len().saturating_sub(reach.saturating_add(4)));
    }
    let keep = floor_char_boundary(&redacted, keep);
    let mut out = String::with_capacity(keep + TRUNCATED.len());
    out.push_str(redacted.get(..keep).unwrap_or_default());
    out.push_str(TRUNCATED);
    (out, true)
}

/// `text` with every needle (longest first) replaced by [`REDACTED`].
fn redact<'a>(text: &'a str, needles: &[String]) -> Cow<'a, str> {
    let mut text = Cow::Borrowed(text);
    for needle in needles {
        if text.contains(needle.as_str()) {
            text = Cow::Owned(text.replace(needle.as_str(), REDACTED));
        }
    }
    text
}

/// `encoded` with the hex digits of its `%XX` escapes in lower case.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if c == '%' {
            hex_left = 2;
            out.push(c);
        } else if hex_left > 0 {
            hex_left -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The largest char boundary of `text` at or below `index`.
pub(crate) fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index)
        .rev()
        .find(|&at| text.is_char_boundary(at))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNATURE: &str = "u7Xz+9kQ/3vR2mW1pL0aB4cD5eF6gH7iJ8kL9mN0o/Q=";

    fn hmac() -> String {
        format!(
            "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={SIGNATURE}"
        )
    }

    fn secrets(authorization: &str) -> SentSecrets {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization.parse().unwrap());
        let mut secrets = SentSecrets::default();
        secrets.add_authorization(&headers);
        secrets
    }

    fn shown(secrets: &SentSecrets, text: &str) -> String {
        secrets.redactor().bounded(text, 1 << 20).0
    }

    #[test]
    fn the_signature_and_the_whole_header_are_redacted_in_every_form() {
        let secrets = secrets(&hmac());
        let whole = hmac();
        let forms = [
            whole.clone(),
            SIGNATURE.to_owned(),
            utf8_percent_encode(&whole, COMPONENT).to_string(),
            lower_hex(&utf8_percent_encode(SIGNATURE, COMPONENT).to_string()),
            utf8_percent_encode(SIGNATURE, PATH).to_string(),
            STANDARD_NO_PAD.encode(&whole),
            base64::engine::general_purpose::STANDARD.encode(SIGNATURE),
            URL_SAFE_NO_PAD.encode(SIGNATURE),
            SIGNATURE.replace('/', "\\/"),
        ];
        for form in forms {
            let text = format!("before {form} after");
            let out = shown(&secrets, &text);
            assert!(
                out.starts_with("before ") && out.contains(REDACTED),
                "{out}"
            );
            assert!(
                !out.contains(SIGNATURE) && !out.contains(&form),
                "{form}: {out}"
            );
        }
        // The whole header goes as one, not as a header with a redacted signature in it.
        assert_eq!(shown(&secrets, &format!("got {whole}")), "got [redacted]");
        // Echoed in HTML, `&` as `&amp;`: the signature inside still goes.
        let html = whole.replace('&', "&amp;");
        assert!(!shown(&secrets, &html).contains(SIGNATURE));
    }

    #[test]
    fn a_bearer_token_is_redacted_alone_and_with_its_scheme() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl";
        let secrets = secrets(&format!("Bearer {token}"));
        for text in [
            format!("Bearer {token}"),
            format!("token {token} is expired"),
            format!("Bearer%20{token}"),
            format!("Bearer+{token}"),
            STANDARD_NO_PAD.encode(token),
            STANDARD_NO_PAD.encode(format!("Bearer {token}")),
        ] {
            let out = shown(&secrets, &text);
            assert!(!out.contains(token), "{out}");
            assert!(out.contains(REDACTED), "{out}");
        }
    }

    #[test]
    fn short_values_are_not_secrets_and_debug_shows_none() {
        let mut secrets = secrets("Bearer short");
        secrets.add("tiny");
        assert_eq!(shown(&secrets, "Bearer short tiny"), "Bearer short tiny");
        let secrets = self::secrets(&hmac());
        let debug = format!("{secrets:?}");
        assert_eq!(debug, "[redacted; 2 secrets]");
    }

    #[test]
    fn only_the_newest_secrets_are_kept() {
        let mut secrets = SentSecrets::default();
        for n in 0..MAX_SECRETS + 5 {
            secrets.add(&format!("secret-number-{n:04}"));
        }
        assert_eq!(secrets.secrets.len(), MAX_SECRETS);
        assert_eq!(
            shown(&secrets, "secret-number-0000"),
            "secret-number-0000",
            "the oldest went"
        );
        assert_eq!(shown(&secrets, "secret-number-0028"), REDACTED);
    }

    #[test]
    fn texts_are_cut_on_a_char_boundary_with_a_marker() {
        let none = SentSecrets::default();
        assert_eq!(
            none.redactor().bounded("short", 64),
            ("short".to_owned(), false)
        );
        // 'é' is two bytes: a limit in the middle of one moves back before it.
        let text = "é".repeat(100);
        for limit in [20, 21, 22, 23, 199] {
            let (out, cut) = none.redactor().bounded(&text, limit);
            assert!(
                cut && out.len() <= limit && out.ends_with(TRUNCATED),
                "{limit}: {out}"
            );
            assert!(out.trim_end_matches(TRUNCATED).chars().all(|c| c == 'é'));
        }
        assert_eq!(none.redactor().bounded(&text, 200), (text.clone(), false));
        // A limit shorter than the marker keeps the marker alone.
        assert_eq!(none.redactor().bounded(&text, 3).0, TRUNCATED);
    }

    #[test]
    fn a_secret_across_the_cut_leaves_no_part_of_it() {
        let secrets = secrets(&hmac());
        let limit = 256;
        // The signature at every offset around the cut and around the end of what is searched.
        for offset in 0..600 {
            for tail in ["", "x", &"y".repeat(400)] {
                let text = format!("{}{SIGNATURE}{tail}", "a".repeat(offset));
                let (out, _) = secrets.redactor().bounded(&text, limit);
                assert!(out.len() <= limit, "{offset}: {} bytes", out.len());
                let sig = SIGNATURE.as_bytes();
                // No 4-byte run of the signature is left (the filler has none).
                for window in sig.windows(4) {
                    let run = std::str::from_utf8(window).unwrap();
                    assert!(!out.contains(run), "{offset} {}: {out}", tail.len());
                }
            }
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_cut_the_same_way() {
        let secrets = secrets(&hmac());
        for offset in 0..300 {
            let mut body = vec![0xff; offset];
            body.extend_from_slice(hmac().as_bytes());
            body.extend_from_slice("é".repeat(300).as_bytes());
            let (out, cut) = secrets.redactor().bounded_bytes(&body, 128);
            assert!(cut && out.len() <= 128, "{offset}");
            assert!(
                !out.contains("Signature") && !out.contains("u7Xz"),
                "{offset}: {out}"
            );
        }
        assert_eq!(
            secrets.redactor().bounded_bytes(b"plain \xff", 64),
            ("plain \u{fffd}".to_owned(), false)
        );
    }

    #[test]
    fn long_texts_cost_the_limit_not_their_length() {
        let secrets = secrets(&hmac());
        let text = format!("{}{}", hmac(), "z".repeat(4 << 20));
        let (out, cut) = secrets.redactor().bounded(&text, 4096);
        assert!(cut);
        assert!(out.starts_with(REDACTED), "{}", &out[..40]);
        assert!(out.len() <= 4096);
    }
}
