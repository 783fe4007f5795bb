//! Why a request failed HMAC verification, in detail: for a developer's eyes (a local service's log, say),
//! where [`VerifyError`] is the coarse reason a response may carry.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::header::HOST;
use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;
use subtle::ConstantTimeEq as _;

use crate::signing::{X_MS_CONTENT_SHA256, signature_mac};
use crate::verify::{parse_authorization, received_host, signed_date};
use crate::{AccessKey, HmacVerification, VerifyError};

/// Why a request failed HMAC verification, with what it takes to fix it. Holds no signature and no key:
/// only what the request itself showed (its date, its body's hash) and the string the verifier signed.
///
/// Its `Display` is one line for a log, naming the header, the skew, the hash or the string-to-sign.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// A header the scheme needs is absent (see [`VerifyError::MissingHeader`]).
    MissingHeader(&'static str),
    /// `Authorization` is not `HMAC-SHA256 SignedHeaders=...&Signature=<base64>`.
    MalformedAuthorization,
    /// `SignedHeaders` is not `x-ms-date;host;x-ms-content-sha256`.
    UnsupportedSignedHeaders,
    /// The date header is not an HTTP date.
    MalformedDate,
    /// The date is too far from the verifier's clock.
    DateOutOfWindow {
        /// How far, in whole seconds as the date header has them.
        skew: Duration,
        /// Whether the request's date is ahead of the verifier's clock (else behind).
        ahead: bool,
        /// The allowed skew.
        max_clock_skew: Duration,
    },
    /// `x-ms-content-sha256` is not the SHA-256 of the body received.
    ContentHashMismatch {
        /// The size of the body received.
        body_len: usize,
        /// The base64 SHA-256 of the body received: what `x-ms-content-sha256` should have been.
        expected: String,
    },
    /// The signature is not the HMAC of the string the verifier built from the request.
    SignatureMismatch {
        /// `METHOD\n<path+query>\n<date>;<host>;<content-sha256>` as the verifier built it from what it
        /// received (not a secret: every part of it travelled in the request).
        string_to_sign: String,
        /// A known client mistake under which the signature does match, when one does.
        quirk: Option<SigningQuirk>,
    },
}

/// A known way of signing something other than what is sent. Checked only after a signature failed; a
/// request signed this way is still refused, as the service refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningQuirk {
    /// The signed host kept the endpoint's trailing `/` (`contoso.communication.azure.com/`).
    HostWithTrailingSlash,
    /// The signed host has the scheme's default port (`:443` or `:80`), which the `Host` header left out.
    DefaultPortSigned(u16),
    /// The path was signed percent-decoded (`8:acs:...`) and sent encoded (`8%3Aacs%3A...`).
    PathSignedDecoded,
    /// The path was signed percent-encoded (`8%3Aacs%3A...`) and sent raw (`8:acs:...`).
    PathSignedEncoded,
}

impl Rejection {
    /// The coarse reason, as [`HmacVerification::verify`] reports it.
    pub fn error(&self) -> VerifyError {
        match self {
            Self::MissingHeader(name) => VerifyError::MissingHeader(name),
            Self::MalformedAuthorization => VerifyError::MalformedAuthorization,
            Self::UnsupportedSignedHeaders => VerifyError::UnsupportedSignedHeaders,
            Self::MalformedDate => VerifyError::MalformedDate,
            Self::DateOutOfWindow { .. } => VerifyError::DateOutOfWindow,
            Self::ContentHashMismatch { .. } => VerifyError::ContentHashMismatch,
            Self::SignatureMismatch { .. } => VerifyError::SignatureMismatch,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader("x-ms-date") => {
                f.write_str("the x-ms-date header is missing (and there is no Date header)")
            }
            Self::MissingHeader(name) => write!(f, "the {name} header is missing"),
            Self::MalformedAuthorization => f.write_str(
                "the Authorization header is not 'HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64>'",
            ),
            Self::UnsupportedSignedHeaders => f.write_str(
                "SignedHeaders is not 'x-ms-date;host;x-ms-content-sha256' (these three, in this order)",
            ),
            Self::MalformedDate => f.write_str(
                "the x-ms-date header is not an RFC 1123 date such as 'Sat, 21 Nov 2026 02:42:49 GMT'",
            ),
            Self::DateOutOfWindow {
                skew,
                ahead,
                max_clock_skew,
            } => write!(
                f,
                "the request date is {} s {} the server's clock, more than the {} s allowed",
                skew.as_secs(),
                if *ahead { "ahead of" } else { "behind" },
                max_clock_skew.as_secs()
            ),
            Self::ContentHashMismatch { body_len, expected } => write!(
                f,
                "x-ms-content-sha256 is not the SHA-256 of the {body_len}-byte body received, which is {expected}"
            ),
            Self::SignatureMismatch {
                string_to_sign,
                quirk,
            } => {
                write!(
                    f,
                    "the signature does not match the string-to-sign {string_to_sign:?} (wrong key, or a signed part differs from what was sent)"
                )?;
                match quirk {
                    Some(quirk) => write!(f, "; it matches when {quirk}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl fmt::Display for SigningQuirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HostWithTrailingSlash => f.write_str(
                "the host is signed with the endpoint's trailing '/': sign the Host header as sent",
            ),
            Self::DefaultPortSigned(port) => write!(
                f,
                "the host is signed with :{port}, which the Host header leaves out: sign the Host header as sent"
            ),
            Self::PathSignedDecoded => f.write_str(
                "the path is signed percent-decoded: sign the path exactly as sent, encoded",
            ),
            Self::PathSignedEncoded => f.write_str(
                "the path is signed percent-encoded: sign the path exactly as sent, unencoded",
            ),
        }
    }
}

impl HmacVerification {
    /// [`verify`](Self::verify), with the reason in detail when the request fails. Costs what `verify`
    /// costs when it passes; a failure is examined again (a few more HMACs, for the [`SigningQuirk`]s).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use acs_auth::{AccessKey, HmacVerification, Rejection, SigningQuirk, sign_request};
    ///
    /// let key = AccessKey::from_base64("pw==")?;
    /// let at = UNIX_EPOCH + Duration::from_secs(1_649_873_352);
    /// // Signed for `host:443`, sent with `Host: host`.
    /// let mut request = http::Request::get("https://127.0.0.1/identities").body(Vec::new())?;
    /// request.headers_mut().insert("host", "127.0.0.1:443".parse()?);
    /// sign_request(&mut request, &key, at);
    /// request.headers_mut().insert("host", "127.0.0.1".parse()?);
    ///
    /// let verification = HmacVerification::default();
    /// let rejection = verification
    ///     .explain(request.method(), "/identities", request.headers(), request.body(), &key, at)
    ///     .unwrap_err();
    /// assert!(matches!(
    ///     rejection,
    ///     Rejection::SignatureMismatch { quirk: Some(SigningQuirk::DefaultPortSigned(443)), .. }
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(
        &self,
        method: &Method,
        request_target: &str,
        headers: &HeaderMap,
        body: &[u8],
        key: &AccessKey,
        now: SystemTime,
    ) -> Result<(), Rejection> {
        let request = Received::with_host_header(method, request_target, headers, Some(body));
        self.explain_received(&request, key, now)
    }

    /// [`verify_headers`](Self::verify_headers), with the reason in detail when the head fails: what a
    /// server refuses before it reads the body.
    pub fn explain_headers(
        &self,
        method: &Method,
        request_target: &str,
        headers: &HeaderMap,
        key: &AccessKey,
        now: SystemTime,
    ) -> Result<(), Rejection> {
        let request = Received::with_host_header(method, request_target, headers, None);
        self.explain_received(&request, key, now)
    }

    /// [`verify_request`](Self::verify_request), with the reason in detail when the request fails.
    pub fn explain_request<B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
        key: &AccessKey,
        now: SystemTime,
    ) -> Result<(), Rejection> {
        let target = crate::signing::request_target(request.uri());
        let received = Received {
            method: request.method(),
            target: &target,
            host: received_host(request),
            headers: request.headers(),
            body: Some(request.body().as_ref()),
        };
        self.explain_received(&received, key, now)
    }

    fn explain_received(
        &self,
        request: &Received<'_>,
        key: &AccessKey,
        now: SystemTime,
    ) -> Result<(), Rejection> {
        let error = match self.check(
            request.method,
            request.target,
            request.host,
            request.headers,
            request.body,
            key,
            now,
        ) {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        Err(match error {
            VerifyError::MissingHeader(name) => Rejection::MissingHeader(name),
            VerifyError::MalformedAuthorization => Rejection::MalformedAuthorization,
            VerifyError::UnsupportedSignedHeaders => Rejection::UnsupportedSignedHeaders,
            VerifyError::MalformedDate => Rejection::MalformedDate,
            VerifyError::DateOutOfWindow => self.skew(request.headers, now),
            // Only a check with a body finds a hash mismatch.
            VerifyError::ContentHashMismatch => {
                let body = request.body.unwrap_or_default();
                Rejection::ContentHashMismatch {
                    body_len: body.len(),
                    expected: crate::content_sha256(body),
                }
            }
            VerifyError::SignatureMismatch => signature_mismatch(request, key),
        })
    }

    fn skew(&self, headers: &HeaderMap, now: SystemTime) -> Rejection {
        let Some(signed_at) = signed_date(headers)
            .and_then(|d| d.to_str().ok())
            .and_then(|d| httpdate::parse_http_date(d).ok())
        else {
            return Rejection::MalformedDate;
        };
        let (skew, ahead) = match signed_at.duration_since(now) {
            Ok(ahead) => (ahead, true),
            Err(behind) => (behind.duration(), false),
        };
        Rejection::DateOutOfWindow {
            skew: Duration::from_secs(skew.as_secs()),
            ahead,
            max_clock_skew: self.max_clock_skew,
        }
    }
}

/// A request as received, the parts the signature covers.
struct Received<'a> {
    method: &'a Method,
    target: &'a str,
    host: Option<&'a [u8]>,
    headers: &'a HeaderMap,
    /// `None` for a check of the head alone.
    body: Option<&'a [u8]>,
}

impl<'a> Received<'a> {
    /// A request whose host is its `Host` header (a server's view of it).
    fn with_host_header(
        method: &'a Method,
        target: &'a str,
        headers: &'a HeaderMap,
        body: Option<&'a [u8]>,
    ) -> Self {
        let host = headers.get(HOST).map(|h| h.as_bytes());
        Self {
            method,
            target,
            host,
            headers,
            body,
        }
    }
}

/// The string-to-sign the verifier built, and the first quirk under which the signature matches.
fn signature_mismatch(request: &Received<'_>, key: &AccessKey) -> Rejection {
    // `check` got this far, so these are all there and well-formed.
    let date = signed_date(request.headers).map_or(&b""[..], |d| d.as_bytes());
    let host = request.host.unwrap_or_default();
    let content_hash = request
        .headers
        .get(X_MS_CONTENT_SHA256)
        .map_or(&b""[..], |h| h.as_bytes());
    let signature = request
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|a| parse_authorization(a.as_bytes()).ok())
        .unwrap_or_default();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let string_to_sign = crate::string_to_sign(
        request.method.as_str(),
        request.target,
        &text(date),
        &text(host),
        &text(content_hash),
    );

    let matches = |target: &str, host: &[u8]| {
        let mac = signature_mac(
            key,
            &[
                request.method.as_str().as_bytes(),
                b"\n",
                target.as_bytes(),
                b"\n",
                date,
                b";",
                host,
                b";",
                content_hash,
            ],
        );
        bool::from(mac.as_slice().ct_eq(&signature))
    };
    let quirk = candidates(request.target, host)
        .into_iter()
        .find(|(_, target, host)| matches(target, host))
        .map(|(quirk, _, _)| quirk);
    Rejection::SignatureMismatch {
        string_to_sign,
        quirk,
    }
}

/// What a client with each quirk would have signed: `(quirk, target, host)`.
fn candidates(target: &str, host: &[u8]) -> Vec<(SigningQuirk, String, Vec<u8>)> {
    let with = |suffix: &[u8]| [host, suffix].concat();
    let mut out = vec![(
        SigningQuirk::HostWithTrailingSlash,
        target.to_owned(),
        with(b"/"),
    )];
    // A port is there when the host ends with `:digits` (not inside an IPv6 literal's brackets).
    let has_port = host
        .rsplit(|&b| b == b']')
        .next()
        .is_some_and(|tail| tail.contains(&b':'));
    if !has_port {
        for port in [443, 80] {
            out.push((
                SigningQuirk::DefaultPortSigned(port),
                target.to_owned(),
                with(format!(":{port}").as_bytes()),
            ));
        }
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let rejoin = |path: &str| match query {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    if decoded != path {
        out.push((
            SigningQuirk::PathSignedDecoded,
            rejoin(&decoded),
            host.to_vec(),
        ));
    }
    // Clients encode the identity (`8%3Aacs%3A...`), some every `:` of the path (`/%3AissueAccessToken`).
    let ids_encoded = path.replace(':', "%3A").replace("/%3A", "/:");
    let all_encoded = path.replace(':', "%3A");
    for encoded in [ids_encoded, all_encoded] {
        if encoded != path {
            out.push((
                SigningQuirk::PathSignedEncoded,
                rejoin(&encoded),
                host.to_vec(),
            ));
        }
    }
    out
}
