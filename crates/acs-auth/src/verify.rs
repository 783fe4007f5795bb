//! HMAC-SHA256 request verification, the service side.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, DATE, HOST};
use http::{HeaderMap, Method};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::signing::{Base64Digest, X_MS_CONTENT_SHA256, X_MS_DATE, request_target, signature_mac};
use crate::{AUTHORIZATION_SCHEME, AccessKey};

/// Checks the HMAC-SHA256 signature of a received request, the way the service does.
///
/// A request passes when:
/// - `Authorization` is `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64>`
///   (scheme, parameter names and header names compared case-insensitively; the three headers in that
///   order; other parameters, such as App Configuration's `Credential=`, ignored);
/// - the date, taken from `x-ms-date`, or from `Date` when there is no `x-ms-date`, is an HTTP date within
///   ±[`max_clock_skew`](Self::max_clock_skew) of `now`;
/// - `x-ms-content-sha256` equals the SHA-256 of the body actually received;
/// - the signature over the method, the request-target exactly as received, the date, the `Host` header and
///   the content hash matches, compared in constant time.
///
/// [`explain`](Self::explain) says in detail why a request failed ([`Rejection`](crate::Rejection)).
///
/// It keeps no state: the same signed request repeated within the window passes again, because the
/// JavaScript SDK re-sends one signature on all its retries.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use acs_auth::{AccessKey, HmacVerification, sign_request};
///
/// let key = AccessKey::from_base64("pw==")?;
/// let signed_at = UNIX_EPOCH + Duration::from_secs(1_649_873_352);
/// let mut request = http::Request::post("http://127.0.0.1:47123/identities?api-version=2023-10-01")
///     .body(b"{}".to_vec())?;
/// sign_request(&mut request, &key, signed_at);
/// request.headers_mut().insert("host", "127.0.0.1:47123".parse()?);
///
/// let verification = HmacVerification::default();
/// let received_at = signed_at + Duration::from_secs(3);
/// verification.verify(
///     request.method(),
///     "/identities?api-version=2023-10-01",
///     request.headers(),
///     request.body(),
///     &key,
///     received_at,
/// )?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HmacVerification {
    /// How far the request's date may be from `now`, in either direction. Default: 15 minutes, the window
    /// Azure documents for the same scheme in App Configuration (and uses in Storage). The ACS service was
    /// seen accepting dates a few seconds ahead of its clock; the JavaScript SDK's retries re-send one date
    /// for up to a few minutes, which a tighter window would reject.
    pub max_clock_skew: Duration,
}

impl Default for HmacVerification {
    fn default() -> Self {
        Self {
            max_clock_skew: Duration::from_secs(15 * 60),
        }
    }
}

impl HmacVerification {
    /// Sets [`max_clock_skew`](Self::max_clock_skew).
    #[must_use]
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }
}

impl HmacVerification {
    /// Verifies a request from its parts. `request_target` is the path and query exactly as received on the
    /// request line (`/identities?api-version=2023-10-01`), never decoded or normalised. The host is the
    /// `Host` header.
    pub fn verify(
        &self,
        method: &Method,
        request_target: &str,
        headers: &HeaderMap,
        body: &[u8],
        key: &AccessKey,
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let host = headers.get(HOST).map(|h| h.as_bytes());
        self.check(method, request_target, host, headers, Some(body), key, now)
    }

    /// Verifies a whole received request: the target is the URI's path and query, the host is the `Host`
    /// header or, without one, the URI's authority (where an HTTP/2 `:authority` ends up).
    pub fn verify_request<B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
        key: &AccessKey,
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let target = request_target(request.uri());
        self.check(
            request.method(),
            &target,
            received_host(request),
            request.headers(),
            Some(request.body().as_ref()),
            key,
            now,
        )
    }

    /// What the headers alone can prove, before the body arrives: everything [`verify`](Self::verify)
    /// checks except that `x-ms-content-sha256` is the body's hash. The signature covers that header, not
    /// the body, so it is checked here too: a request passes exactly when `verify` would pass it with a
    /// body whose SHA-256 is the header's value.
    ///
    /// A server calls it on the head, refuses at once what fails (without reading a body it would discard),
    /// and calls `verify` once the body is in. The reasons are `verify`'s, but for one case: a request
    /// whose signature and body hash are both wrong is refused here for its signature, where `verify`,
    /// which hashes the body first, names the hash.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use acs_auth::{AccessKey, HmacVerification, VerifyError, sign_request};
    ///
    /// let key = AccessKey::from_base64("pw==")?;
    /// let at = UNIX_EPOCH + Duration::from_secs(1_649_873_352);
    /// let mut request = http::Request::post("http://127.0.0.1:47123/identities").body(b"{}".to_vec())?;
    /// sign_request(&mut request, &key, at);
    /// request.headers_mut().insert("host", "127.0.0.1:47123".parse()?);
    ///
    /// let verification = HmacVerification::default();
    /// verification.verify_headers(request.method(), "/identities", request.headers(), &key, at)?;
    /// let wrong = AccessKey::from_base64("cXc=")?;
    /// assert_eq!(
    ///     verification.verify_headers(request.method(), "/identities", request.headers(), &wrong, at),
    ///     Err(VerifyError::SignatureMismatch)
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_headers(
        &self,
        method: &Method,
        request_target: &str,
        headers: &HeaderMap,
        key: &AccessKey,
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let host = headers.get(HOST).map(|h| h.as_bytes());
        self.check(method, request_target, host, headers, None, key, now)
    }

    /// Checks the request; `body: None` checks the head alone (see [`verify_headers`](Self::verify_headers)).
    #[allow(clippy::too_many_arguments)] // private: the public entry points differ only in where host comes from
    pub(crate) fn check(
        &self,
        method: &Method,
        request_target: &str,
        host: Option<&[u8]>,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        key: &AccessKey,
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let authorization = headers
            .get(AUTHORIZATION)
            .ok_or(VerifyError::MissingHeader("authorization"))?;
        let signature = parse_authorization(authorization.as_bytes())?;

        let date = signed_date(headers).ok_or(VerifyError::MissingHeader("x-ms-date"))?;
        let signed_at = date
            .to_str()
            .ok()
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .ok_or(VerifyError::MalformedDate)?;
        let skew = match signed_at.duration_since(now) {
            Ok(ahead) => ahead,
            Err(behind) => behind.duration(),
        };
        if skew > self.max_clock_skew {
            return Err(VerifyError::DateOutOfWindow);
        }

        let host = host.ok_or(VerifyError::MissingHeader("host"))?;
        let content_hash = headers
            .get(X_MS_CONTENT_SHA256)
            .ok_or(VerifyError::MissingHeader("x-ms-content-sha256"))?;
        if let Some(body) = body
            && content_hash.as_bytes() != Base64Digest::new(&Sha256::digest(body)).as_bytes()
        {
            return Err(VerifyError::ContentHashMismatch);
        }

        let expected = signature_mac(
            key,
            &[
                method.as_str().as_bytes(),
                b"\n",
                request_target.as_bytes(),
                b"\n",
                date.as_bytes(),
                b";",
                host,
                b";",
                content_hash.as_bytes(),
            ],
        );
        if bool::from(expected.as_slice().ct_eq(&signature)) {
            Ok(())
        } else {
            Err(VerifyError::SignatureMismatch)
        }
    }
}

/// The date the signature covers: `x-ms-date`, else `Date`.
pub(crate) fn signed_date(headers: &HeaderMap) -> Option<&http::HeaderValue> {
    headers.get(X_MS_DATE).or_else(|| headers.get(DATE))
}

/// The host a received request was sent to: its `Host` header or, without one, the URI's authority (where
/// an HTTP/2 `:authority` ends up), without any userinfo.
pub(crate) fn received_host<B>(request: &http::Request<B>) -> Option<&[u8]> {
    match request.headers().get(HOST) {
        Some(host) => Some(host.as_bytes()),
        None => request
            .uri()
            .authority()
            .map(|a| a.as_str().rsplit('@').next().unwrap_or_default().as_bytes()),
    }
}

/// Parses `HMAC-SHA256 SignedHeaders=...&Signature=...` and returns the decoded signature.
pub(crate) fn parse_authorization(value: &[u8]) -> Result<Vec<u8>, VerifyError> {
    let value = std::str::from_utf8(value)
        .map_err(|_| VerifyError::MalformedAuthorization)?
        .trim();
    let (scheme, parameters) = value
        .split_once(' ')
        .ok_or(VerifyError::MalformedAuthorization)?;
    if !scheme.eq_ignore_ascii_case(AUTHORIZATION_SCHEME) {
        return Err(VerifyError::MalformedAuthorization);
    }
    let mut signed_headers = None;
    let mut signature = None;
    for parameter in parameters.trim().split('&') {
        let (name, value) = parameter
            .split_once('=')
            .ok_or(VerifyError::MalformedAuthorization)?;
        let slot = match name.trim() {
            n if n.eq_ignore_ascii_case("SignedHeaders") => &mut signed_headers,
            n if n.eq_ignore_ascii_case("Signature") => &mut signature,
            _ => continue,
        };
        if slot.replace(value.trim()).is_some() {
            return Err(VerifyError::MalformedAuthorization);
        }
    }
    let signed_headers = signed_headers.ok_or(VerifyError::MalformedAuthorization)?;
    let signature = signature.ok_or(VerifyError::MalformedAuthorization)?;

    let mut names = signed_headers.split(';');
    let expected_names = ["x-ms-date", "host", "x-ms-content-sha256"];
    let exact = expected_names.iter().all(|expected| {
        names
            .next()
            .is_some_and(|n| n.eq_ignore_ascii_case(expected))
    });
    if !exact || names.next().is_some() {
        return Err(VerifyError::UnsupportedSignedHeaders);
    }
    STANDARD
        .decode(signature)
        .map_err(|_| VerifyError::MalformedAuthorization)
}

/// Why a request failed HMAC verification. Never contains a signature, key or header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A header the scheme needs is absent: `"authorization"`, `"x-ms-date"` (nor `Date`), `"host"` or
    /// `"x-ms-content-sha256"`.
    #[error("{}", self.message())]
    MissingHeader(&'static str),
    /// `Authorization` is not `HMAC-SHA256 SignedHeaders=...&Signature=<base64>`.
    #[error("{}", self.message())]
    MalformedAuthorization,
    /// `SignedHeaders` is not `x-ms-date;host;x-ms-content-sha256`.
    #[error("{}", self.message())]
    UnsupportedSignedHeaders,
    /// The date header is not an HTTP date.
    #[error("{}", self.message())]
    MalformedDate,
    /// The date is further from the verifier's clock than the allowed skew.
    #[error("{}", self.message())]
    DateOutOfWindow,
    /// `x-ms-content-sha256` is not the SHA-256 of the body received.
    #[error("{}", self.message())]
    ContentHashMismatch,
    /// The signature does not match: wrong key, or a signed part changed on the way.
    #[error("{}", self.message())]
    SignatureMismatch,
}

impl VerifyError {
    /// A fixed, human-readable sentence for the response body; safe to show to the caller.
    pub fn message(&self) -> &'static str {
        match self {
            Self::MissingHeader("authorization") => "The Authorization header is missing.",
            Self::MissingHeader("x-ms-date") => "The x-ms-date header (or Date header) is missing.",
            Self::MissingHeader("host") => "The Host header is missing.",
            Self::MissingHeader("x-ms-content-sha256") => {
                "The x-ms-content-sha256 header is missing."
            }
            Self::MissingHeader(_) => "A header required for HMAC authentication is missing.",
            Self::MalformedAuthorization => {
                "The Authorization header is not 'HMAC-SHA256 SignedHeaders=...&Signature=...'."
            }
            Self::UnsupportedSignedHeaders => {
                "SignedHeaders must be 'x-ms-date;host;x-ms-content-sha256'."
            }
            Self::MalformedDate => "The x-ms-date header is not a valid HTTP date.",
            Self::DateOutOfWindow => "The request date is outside the allowed clock skew.",
            Self::ContentHashMismatch => {
                "The x-ms-content-sha256 header does not match the request body."
            }
            Self::SignatureMismatch => "The request signature does not match.",
        }
    }
}
