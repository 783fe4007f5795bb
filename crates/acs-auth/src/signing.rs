//! HMAC-SHA256 request signing, the client side.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac as _;
use http::header::{AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use sha2::{Digest as _, Sha256};

use crate::AccessKey;

/// The `Authorization` scheme of ACS access-key requests.
pub const AUTHORIZATION_SCHEME: &str = "HMAC-SHA256";

/// The headers every signature covers, in order: the value of `SignedHeaders=`.
pub const SIGNED_HEADERS: &str = "x-ms-date;host;x-ms-content-sha256";

/// The header that carries the signing time (RFC 1123, GMT).
pub const X_MS_DATE: HeaderName = HeaderName::from_static("x-ms-date");

/// The header that carries the base64 SHA-256 of the body.
pub const X_MS_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-ms-content-sha256");

/// The `Authorization` value up to the signature.
const AUTHORIZATION_PREFIX: &str =
    "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=";

/// SHA-256 and HMAC-SHA256 output size, and its standard padded base64 length.
const DIGEST_LEN: usize = 32;
const DIGEST_BASE64_LEN: usize = 44;

/// An RFC 1123 date, `Sat, 21 Nov 2026 02:42:49 GMT`.
const HTTP_DATE_LEN: usize = 29;

/// 9999-12-31T23:59:59Z, the last instant an RFC 1123 date (four-digit year) can show.
const LAST_HTTP_DATE: Duration = Duration::from_secs(253_402_300_799);

/// Signs a request with an access key at time `now`, for the ACS HMAC-SHA256 scheme.
///
/// Sets, replacing any earlier value so that a retry can simply sign again:
/// - `x-ms-date`: `now` as an RFC 1123 date, `Sat, 21 Nov 2026 02:42:49 GMT` (English names, GMT, whole
///   seconds; times before 1970 or after 9999 are clamped to those years);
/// - `x-ms-content-sha256`: [`content_sha256`] of the body;
/// - `Authorization`: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64>`,
///   marked sensitive so that `http`-aware loggers hide it.
///
/// What is signed is what will be sent:
/// - the method as written (`POST`);
/// - the URI's path and query exactly as they are, with no decoding or re-encoding (`/` when the URI has no
///   path);
/// - the host: the request's own `Host` header when it has one (clients send it as is), otherwise the URI's
///   `host[:port]`, where the port appears only if it is not the scheme's default (443 for https, 80 for
///   http), exactly like the `Host` header hyper, reqwest and ureq derive from the URI;
/// - the body's SHA-256.
///
/// Signing cannot fail: the key was validated when it was built.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use acs_auth::{AccessKey, sign_request};
///
/// let key = AccessKey::from_base64("pw==")?;
/// let mut request = http::Request::get("https://contoso.communicationservices.azure.com/testPath")
///     .body(Vec::new())?;
/// sign_request(&mut request, &key, UNIX_EPOCH + Duration::from_secs(1_649_873_352));
///
/// assert_eq!(request.headers()["x-ms-date"], "Wed, 13 Apr 2022 18:09:12 GMT");
/// assert_eq!(
///     request.headers()["authorization"],
///     "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256\
///      &Signature=RoCrHjw7fb9fpHSbqvRUY2xa8RBS0YvI1cxI1x8AS38="
/// );
/// assert!(request.headers()["authorization"].is_sensitive());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_request<B: AsRef<[u8]>>(
    request: &mut http::Request<B>,
    key: &AccessKey,
    now: SystemTime,
) {
    // Everything is formatted on the stack and streamed into the HMAC: the only allocations are the three
    // header values.
    let date = HttpDateText::new(now);
    let content_hash = Base64Digest::new(&Sha256::digest(request.body().as_ref()));
    let (target_prefix, target) = request_target_parts(request.uri());
    let (host, port) = signed_host_parts(request.uri(), request.headers());
    let mut port_text = PortText::default();
    let colon_port = port.map_or("", |port| port_text.format(port));
    let mac = signature_mac(
        key,
        &[
            request.method().as_str().as_bytes(),
            b"\n",
            target_prefix.as_bytes(),
            target.as_bytes(),
            b"\n",
            date.as_bytes(),
            b";",
            host.as_bytes(),
            colon_port.as_bytes(),
            b";",
            content_hash.as_bytes(),
        ],
    );
    let signature = Base64Digest::new(&mac);
    let mut authorization = [0u8; AUTHORIZATION_PREFIX.len() + DIGEST_BASE64_LEN];
    let (prefix, rest) = authorization.split_at_mut(AUTHORIZATION_PREFIX.len());
    prefix.copy_from_slice(AUTHORIZATION_PREFIX.as_bytes());
    rest.copy_from_slice(signature.as_bytes());

    let headers = request.headers_mut();
    // Dates and base64 are visible ASCII, always valid header values.
    if let Ok(value) = HeaderValue::from_bytes(date.as_bytes()) {
        headers.insert(X_MS_DATE, value);
    }
    if let Ok(value) = HeaderValue::from_bytes(content_hash.as_bytes()) {
        headers.insert(X_MS_CONTENT_SHA256, value);
    }
    if let Ok(mut value) = HeaderValue::from_bytes(&authorization) {
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
}

/// The base64 (standard, padded) SHA-256 of a body: the `x-ms-content-sha256` value.
///
/// ```
/// assert_eq!(acs_auth::content_sha256(b""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
/// ```
pub fn content_sha256(body: &[u8]) -> String {
    Base64Digest::new(&Sha256::digest(body)).as_str().to_owned()
}

/// The string the signature covers: `METHOD\n<path+query>\n<date>;<host>;<content-sha256>`.
///
/// ```
/// let s = acs_auth::string_to_sign("GET", "/testPath", "Wed, 13 Apr 2022 18:09:12 GMT", "contoso", "47DE=");
/// assert_eq!(s, "GET\n/testPath\nWed, 13 Apr 2022 18:09:12 GMT;contoso;47DE=");
/// ```
pub fn string_to_sign(
    method: &str,
    path_and_query: &str,
    date: &str,
    host: &str,
    content_sha256: &str,
) -> String {
    format!("{method}\n{path_and_query}\n{date};{host};{content_sha256}")
}

/// The base64 (standard, padded) HMAC-SHA256 of `string_to_sign` under `key`: the `Signature=` value.
///
/// ```
/// let key = acs_auth::AccessKey::from_base64("pw==")?;
/// assert_eq!(
///     acs_auth::compute_signature(&key, "banana"),
///     "88EC05aAS9iXnaimtNO78JLjiPtfWryQB/5QYEzEsu8="
/// );
/// # Ok::<(), acs_auth::AccessKeyError>(())
/// ```
pub fn compute_signature(key: &AccessKey, string_to_sign: &str) -> String {
    Base64Digest::new(&signature_mac(key, &[string_to_sign.as_bytes()]))
        .as_str()
        .to_owned()
}

/// The HMAC-SHA256 under `key` of the concatenation of `parts`: the string to sign, fed piece by piece so
/// that it never has to be built. Shared by signing and verification.
pub(crate) fn signature_mac(key: &AccessKey, parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
    let mut mac = key.mac();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// `now` as an RFC 1123 date in GMT, clamped to the years 1970..=9999 that the format and `httpdate` cover.
fn clamped_http_date(now: SystemTime) -> httpdate::HttpDate {
    let since_epoch = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .min(LAST_HTTP_DATE);
    httpdate::HttpDate::from(UNIX_EPOCH.checked_add(since_epoch).unwrap_or(UNIX_EPOCH))
}

/// `now` as an RFC 1123 date in GMT, clamped like [`HttpDateText`].
#[cfg(test)]
pub(crate) fn http_date(now: SystemTime) -> String {
    String::from_utf8_lossy(HttpDateText::new(now).as_bytes()).into_owned()
}

/// An RFC 1123 date (`Sat, 21 Nov 2026 02:42:49 GMT`, always 29 ASCII characters), formatted on the stack.
struct HttpDateText {
    text: [u8; HTTP_DATE_LEN],
    len: usize,
}

impl HttpDateText {
    /// `now` in GMT, clamped to the years 1970..=9999 that the format and `httpdate` cover.
    fn new(now: SystemTime) -> Self {
        let mut out = Self {
            text: [0; HTTP_DATE_LEN],
            len: 0,
        };
        // Cannot fail: every date in the clamped range is exactly `HTTP_DATE_LEN` bytes.
        let _ = write!(out, "{}", clamped_http_date(now));
        out
    }

    fn as_bytes(&self) -> &[u8] {
        self.text.get(..self.len).unwrap_or_default()
    }
}

impl fmt::Write for HttpDateText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.text.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The standard, padded base64 of a SHA-256 digest (44 ASCII characters), encoded on the stack.
pub(crate) struct Base64Digest {
    text: [u8; DIGEST_BASE64_LEN],
    len: usize,
}

impl Base64Digest {
    pub(crate) fn new(digest: &[u8]) -> Self {
        let mut text = [0; DIGEST_BASE64_LEN];
        // Cannot fail for a 32-byte digest, which encodes to exactly 44 characters.
        let len = STANDARD.encode_slice(digest, &mut text).unwrap_or(0);
        Self { text, len }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.text.get(..self.len).unwrap_or_default()
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// A port number as it follows a host, `:` and the port in decimal, formatted on the stack.
#[derive(Default)]
struct PortText([u8; 6]);

impl PortText {
    fn format(&mut self, port: u16) -> &str {
        let mut start = self.0.len();
        let mut rest = port;
        for slot in self.0.iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            start = start.saturating_sub(1);
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        start = start.saturating_sub(1);
        if let Some(colon) = self.0.get_mut(start) {
            *colon = b':';
        }
        self.0
            .get(start..)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .unwrap_or_default()
    }
}

/// The path and query as the request line will carry them; `/` when the URI has no path.
pub(crate) fn request_target(uri: &Uri) -> Cow<'_, str> {
    match request_target_parts(uri) {
        ("", target) => Cow::Borrowed(target),
        (prefix, target) => Cow::Owned(format!("{prefix}{target}")),
    }
}

/// [`request_target`] in two pieces, a prefix (`""` or `/`) and the URI's own path and query, so that signing
/// needs no allocation.
fn request_target_parts(uri: &Uri) -> (&'static str, &str) {
    match uri.path_and_query().map(|pq| pq.as_str()) {
        Some(target) if target.starts_with('/') || target == "*" => ("", target),
        Some(target) => ("/", target),
        None => ("/", ""),
    }
}

/// The `Host` value the request will carry: its own header, else the URI's host with a non-default port.
#[cfg(test)]
fn signed_host(uri: &Uri, headers: &HeaderMap) -> String {
    match signed_host_parts(uri, headers) {
        (host, Some(port)) => format!("{host}:{port}"),
        (host, None) => host.to_owned(),
    }
}

/// [`signed_host`] in two pieces: the host (the `Host` header, or the URI's host) and the port that follows
/// it after a `:`, if any.
fn signed_host_parts<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> (&'a str, Option<u16>) {
    if let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) {
        return (host, None);
    }
    let Some(host) = uri.host() else {
        return ("", None);
    };
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    match uri.port_u16() {
        Some(port) if Some(port) != default_port => (host, Some(port)),
        _ => (host, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_clamped_to_what_rfc_1123_can_show() {
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        let before = UNIX_EPOCH.checked_sub(Duration::from_secs(86_400)).unwrap();
        assert_eq!(http_date(before), "Thu, 01 Jan 1970 00:00:00 GMT");
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(http_date(far), "Fri, 31 Dec 9999 23:59:59 GMT");
        let subsecond = UNIX_EPOCH + Duration::from_millis(1_649_873_352_999);
        assert_eq!(http_date(subsecond), "Wed, 13 Apr 2022 18:09:12 GMT");
    }

    #[test]
    fn the_authorization_prefix_names_the_scheme_and_signed_headers() {
        assert_eq!(
            AUTHORIZATION_PREFIX,
            format!("{AUTHORIZATION_SCHEME} SignedHeaders={SIGNED_HEADERS}&Signature=")
        );
    }

    #[test]
    fn stack_formatting_matches_the_allocating_formatters() {
        // Every port, in decimal.
        let mut text = PortText::default();
        for port in [
            0,
            1,
            9,
            10,
            80,
            99,
            100,
            443,
            8080,
            9999,
            10000,
            47123,
            u16::MAX,
        ] {
            assert_eq!(text.format(port), format!(":{port}"));
        }
        // Dates across the range, against httpdate's own String.
        for secs in [
            0,
            1,
            951_782_400,
            1_649_873_352,
            4_102_444_800,
            253_402_300_799,
        ] {
            let time = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(http_date(time), httpdate::fmt_http_date(time));
            assert_eq!(http_date(time).len(), HTTP_DATE_LEN);
        }
        // Digests of every length base64 can pad differently, against the allocating encoder.
        for body in [&b""[..], b"a", b"ab", b"abc", br#"{"scopes":["chat"]}"#] {
            let digest = Sha256::digest(body);
            assert_eq!(Base64Digest::new(&digest).as_str(), STANDARD.encode(digest));
        }
    }

    #[test]
    fn request_target_is_the_path_and_query_as_sent() {
        let target = |uri: &str| request_target(&uri.parse().unwrap()).into_owned();
        assert_eq!(
            target("http://h:1/identities/8:acs:x/:issueAccessToken?api-version=1"),
            "/identities/8:acs:x/:issueAccessToken?api-version=1"
        );
        assert_eq!(target("http://h/a%3Ab?x=%20y"), "/a%3Ab?x=%20y");
        assert_eq!(target("http://h"), "/");
        assert_eq!(target("http://h?q=1"), "/?q=1");
        assert_eq!(target("/only/path?q"), "/only/path?q");
        assert_eq!(target("*"), "*");
    }

    #[test]
    fn host_omits_default_ports_and_prefers_the_host_header() {
        let host = |uri: &str| signed_host(&uri.parse().unwrap(), &HeaderMap::new());
        assert_eq!(host("http://127.0.0.1:47123/x"), "127.0.0.1:47123");
        assert_eq!(host("https://contoso:443/"), "contoso");
        assert_eq!(host("http://contoso:80/"), "contoso");
        assert_eq!(host("https://contoso:80/"), "contoso:80");
        assert_eq!(host("http://user@[::1]:8080/"), "[::1]:8080");
        assert_eq!(host("/relative"), "");

        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("proxy.example:8443"));
        assert_eq!(
            signed_host(&"https://contoso/".parse().unwrap(), &headers),
            "proxy.example:8443"
        );
    }
}
