//! HMAC-SHA256 request signing, the client side.

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
    let date = http_date(now);
    let content_hash = content_sha256(request.body().as_ref());
    let host = signed_host(request.uri(), request.headers());
    let target = request_target(request.uri());
    let signature = compute_signature(
        key,
        &string_to_sign(
            request.method().as_str(),
            &target,
            &date,
            &host,
            &content_hash,
        ),
    );
    let authorization =
        format!("{AUTHORIZATION_SCHEME} SignedHeaders={SIGNED_HEADERS}&Signature={signature}");

    let headers = request.headers_mut();
    // Dates and base64 are visible ASCII, always valid header values.
    if let Ok(value) = HeaderValue::try_from(date) {
        headers.insert(X_MS_DATE, value);
    }
    if let Ok(value) = HeaderValue::try_from(content_hash) {
        headers.insert(X_MS_CONTENT_SHA256, value);
    }
    if let Ok(mut value) = HeaderValue::try_from(authorization) {
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
    STANDARD.encode(Sha256::digest(body))
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
    let mut mac = key.mac();
    mac.update(string_to_sign.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `now` as an RFC 1123 date in GMT, clamped to the years 1970..=9999 that the format and `httpdate` cover.
pub(crate) fn http_date(now: SystemTime) -> String {
    let since_epoch = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .min(LAST_HTTP_DATE);
    httpdate::fmt_http_date(UNIX_EPOCH.checked_add(since_epoch).unwrap_or(UNIX_EPOCH))
}

/// The path and query as the request line will carry them; `/` when the URI has no path.
pub(crate) fn request_target(uri: &Uri) -> String {
    match uri.path_and_query().map(|pq| pq.as_str()) {
        Some(target) if target.starts_with('/') || target == "*" => target.to_owned(),
        Some(target) => format!("/{target}"),
        None => "/".to_owned(),
    }
}

/// The `Host` value the request will carry: its own header, else the URI's host with a non-default port.
fn signed_host(uri: &Uri, headers: &HeaderMap) -> String {
    if let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) {
        return host.to_owned();
    }
    let Some(host) = uri.host() else {
        return String::new();
    };
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    match uri.port_u16() {
        Some(port) if Some(port) != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
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
    fn request_target_is_the_path_and_query_as_sent() {
        let target = |uri: &str| request_target(&uri.parse().unwrap());
        assert_eq!(
            target("http://h:1/identities/8:acs:x/:issueAccessToken?api-version=1"),
            "/identities/8:acs:x/:issueAccessToken?api-version=1"
        );
        assert_eq!(target("http://h/a%3Ab?x=%20y"), "/a%3Ab?x=%20y");
        assert_eq!(target("http://h"), "/");
        assert_eq!(target("http://h?q=1"), "/?q=1");
        assert_eq!(target("/only/path?q"), "/only/path?q");
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
