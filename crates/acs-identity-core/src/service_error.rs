//! The service's error answers: `{"error":{"code","message","target","details","innererror"}}`.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

use crate::sent_secrets::{Redactor, SentSecrets};
use crate::wire;

/// `x-ms-client-request-id`: the per-call id the client sends and the service echoes.
pub const CLIENT_REQUEST_ID: http::HeaderName =
    http::HeaderName::from_static("x-ms-client-request-id");

/// `MS-CV`: the service's correlation vector, the id to quote in a support request.
pub const MS_CV: http::HeaderName = http::HeaderName::from_static("ms-cv");

/// `x-ms-request-id`: a request id some Azure front ends add (ACS Identity itself was seen sending only
/// `MS-CV`); kept when present.
pub const REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-ms-request-id");

/// A non-success answer of the service.
///
/// `Display` is one line:
/// `ACS Identity service error 401 IdentityNotOwned: Provided identity doesn't belong to the resource. (ms-cv: ..., client-request-id: ...)`.
///
/// # What it keeps of a hostile or broken answer
///
/// Everything it keeps of the answer is bounded, whatever the server sent (the clients read at most 4 MiB of
/// a body): each message at most [`MESSAGE_LIMIT`](Self::MESSAGE_LIMIT) bytes, each code, target and id
/// header at most [`FIELD_LIMIT`](Self::FIELD_LIMIT), the excerpt of a body that holds no ACS error at most
/// [`EXCERPT_LIMIT`](Self::EXCERPT_LIMIT), and at most [`NESTED_LIMIT`](Self::NESTED_LIMIT) nested errors
/// (`details` and `innererror` at every depth, in document order) - so `Display` stays under 6 KiB. A text
/// cut to its limit is cut on a char boundary and ends with `...[truncated]` (within the limit), and
/// [`is_truncated`](Self::is_truncated) says that something was cut or dropped.
///
/// When a client's call built it, any secret that call sent and the server echoed back (the `Authorization`
/// value of any of its attempts, the HMAC signature or bearer token in it, a token the operation sent in its
/// body) is replaced with `[redacted]` in every text it keeps: as sent, percent-encoded, with `\/`, or in
/// base64, in the message, code, target, details, excerpt and id headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    status: StatusCode,
    error: Option<CommunicationError>,
    excerpt: Option<String>,
    client_request_id: Option<String>,
    ms_cv: Option<String>,
    request_id: Option<String>,
    truncated: bool,
    retry_after_beyond_budget: Option<RetryAfterBeyondBudget>,
}

/// The service asked to wait longer before a retry than the call had left: the call ended at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryAfterBeyondBudget {
    /// The delay the service asked for.
    pub(crate) asked: Duration,
    /// What was left of the call's time (its retry budget, or its deadline when that came first).
    pub(crate) left: Duration,
}

/// The ACS error model (`CommunicationError` in the REST spec), recursive through
/// [`details`](Self::details) and [`inner_error`](Self::inner_error).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CommunicationError {
    /// The error code, e.g. `IdentityNotOwned` or `ValidationError` (empty if the service sent none).
    pub code: String,
    /// The human-readable message (empty if the service sent none).
    pub message: String,
    /// What the error is about, e.g. `ExpiresInMinutes`.
    pub target: Option<String>,
    /// Further errors that led to this one.
    pub details: Vec<CommunicationError>,
    /// The inner error, if any (`innererror` on the wire).
    pub inner_error: Option<Box<CommunicationError>>,
}

impl ServiceError {
    /// The most bytes kept of each message (of the error and of each nested one), marker included.
    pub const MESSAGE_LIMIT: usize = 4096;
    /// The most bytes kept of each code and target, and of each id header (`MS-CV`,
    /// `x-ms-client-request-id`, `x-ms-request-id`), marker included.
    pub const FIELD_LIMIT: usize = 256;
    /// The most bytes kept of a body that holds no ACS error, marker included.
    pub const EXCERPT_LIMIT: usize = 512;
    /// The most nested errors kept, `details` and `innererror` at every depth together.
    pub const NESTED_LIMIT: usize = 16;

    /// Reads a non-success response: the ACS error body when there is one, otherwise a short
    /// excerpt of whatever the body was (a gateway's HTML page, plain text...).
    pub(crate) fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        Self::from_call(status, headers, body, &SentSecrets::default())
    }

    /// [`from_response`](Self::from_response) for a call that sent `secrets`: none of them is kept.
    pub(crate) fn from_call(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        secrets: &SentSecrets,
    ) -> Self {
        let mut bounds = Bounds {
            redactor: secrets.redactor(),
            nested_left: Self::NESTED_LIMIT,
            truncated: false,
        };
        let error = serde_json::from_slice::<wire::ErrorResponse>(body)
            .ok()
            .map(|response| bounds.error(response.error));
        let excerpt = match error {
            None if !body.iter().all(u8::is_ascii_whitespace) => Some(bounds.excerpt(body)),
            _ => None,
        };
        let mut header = |name| {
            let (text, truncated) = header_text(headers, name, &bounds.redactor)?;
            bounds.truncated |= truncated;
            Some(text)
        };
        Self {
            status,
            client_request_id: header(&CLIENT_REQUEST_ID),
            ms_cv: header(&MS_CV),
            request_id: header(&REQUEST_ID),
            error,
            excerpt,
            truncated: bounds.truncated,
            retry_after_beyond_budget: None,
        }
    }

    /// This error as the end of a call the service asked to wait `asked` before retrying, with only `left`.
    pub(crate) fn with_retry_after_beyond_budget(
        mut self,
        asked: Duration,
        left: Duration,
    ) -> Self {
        self.retry_after_beyond_budget = Some(RetryAfterBeyondBudget { asked, left });
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The ACS error code, e.g. `IdentityNotOwned`, when the body held an ACS error.
    pub fn code(&self) -> Option<&str> {
        self.error.as_ref().map(|error| error.code.as_str())
    }

    /// The ACS error message, when the body held an ACS error.
    pub fn message(&self) -> Option<&str> {
        self.error.as_ref().map(|error| error.message.as_str())
    }

    /// The ACS error target, e.g. `ExpiresInMinutes`.
    pub fn target(&self) -> Option<&str> {
        self.error
            .as_ref()
            .and_then(|error| error.target.as_deref())
    }

    /// The further errors of the ACS error (empty when none).
    pub fn details(&self) -> &[CommunicationError] {
        self.error
            .as_ref()
            .map_or(&[], |error| error.details.as_slice())
    }

    /// The inner error of the ACS error.
    pub fn inner_error(&self) -> Option<&CommunicationError> {
        self.error
            .as_ref()
            .and_then(|error| error.inner_error.as_deref())
    }

    /// The whole ACS error, when the body held one.
    pub fn error(&self) -> Option<&CommunicationError> {
        self.error.as_ref()
    }

    /// The start of the body (control characters replaced, at most
    /// [`EXCERPT_LIMIT`](Self::EXCERPT_LIMIT) bytes) when it held no ACS error.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.excerpt.as_deref()
    }

    /// Whether a text of the answer was cut to its limit or nested errors were dropped (see the type's
    /// documentation for the limits).
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The delay the service asked for (`retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After`) when the
    /// call ended at once, without waiting, because that delay was longer than what was left of the call's
    /// time: the retry policy's [`max_total`](crate::RetryOptions::max_total) or the call's timeout.
    /// Retrying later than that is the caller's choice.
    pub fn retry_after_beyond_budget(&self) -> Option<Duration> {
        self.retry_after_beyond_budget.map(|beyond| beyond.asked)
    }

    /// The `x-ms-client-request-id` the service echoed.
    pub fn client_request_id(&self) -> Option<&str> {
        self.client_request_id.as_deref()
    }

    /// The `MS-CV` correlation vector of the response.
    pub fn ms_cv(&self) -> Option<&str> {
        self.ms_cv.as_deref()
    }

    /// The `x-ms-request-id` of the response, when it had one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}

impl ServiceError {
    /// What to do about the errors whose cause is nearly always the same.
    fn hint(&self) -> Option<&'static str> {
        let code = self.error.as_ref().map(|e| e.code.as_str());
        match (self.status.as_u16(), code) {
            (401, Some("Denied") | None) => Some(
                "The access key does not match this resource (or the Entra token is not for it): copy the \
                 connection string again from the Azure portal, Communication Services resource > Settings > \
                 Keys",
            ),
            (403, _) => Some(
                "The identity is not allowed this operation: give it a role such as Communication Identity \
                 Contributor on the resource",
            ),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ACS Identity service error {}", self.status.as_u16())?;
        let reason = self.status.canonical_reason().unwrap_or("(no reason)");
        match (&self.error, &self.excerpt) {
            (Some(error), _) => write!(f, " {}: {}", error.code, error.message)?,
            (None, Some(excerpt)) => write!(f, " {reason}: {excerpt}")?,
            (None, None) => write!(f, " {reason}")?,
        }
        if let Some(hint) = self.hint() {
            let said = match (&self.error, &self.excerpt) {
                (Some(error), _) => error.message.as_str(),
                (None, Some(excerpt)) => excerpt.as_str(),
                (None, None) => reason,
            };
            let stop = if said.ends_with('.') { " " } else { ". " };
            write!(f, "{stop}{hint}")?;
        }
        if let Some(RetryAfterBeyondBudget { asked, left }) = self.retry_after_beyond_budget {
            write!(
                f,
                "; not retried: the service asked to wait {:?}, longer than the {:?} left of the call's time",
                to_millis(asked),
                to_millis(left)
            )?;
        }
        let ids = [
            ("target", self.target()),
            ("ms-cv", self.ms_cv()),
            ("client-request-id", self.client_request_id()),
            ("request-id", self.request_id()),
        ];
        let mut separator = " (";
        for (name, value) in ids {
            if let Some(value) = value {
                write!(f, "{separator}{name}: {value}")?;
                separator = ", ";
            }
        }
        if separator == ", " {
            f.write_str(")")
        } else {
            Ok(())
        }
    }
}

/// A duration to the millisecond, for messages.
fn to_millis(duration: Duration) -> Duration {
    Duration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// What is still allowed while reading one error answer.
struct Bounds {
    redactor: Redactor,
    nested_left: usize,
    truncated: bool,
}

impl Bounds {
    /// A text of the answer, redacted and cut to `limit`.
    fn text(&mut self, text: &str, limit: usize) -> String {
        let (text, truncated) = self.redactor.bounded(text, limit);
        self.truncated |= truncated;
        text
    }

    /// The ACS error, its nested errors first come first kept.
    fn error(&mut self, error: wire::CommunicationError) -> CommunicationError {
        let field = ServiceError::FIELD_LIMIT;
        let mut details = Vec::new();
        for detail in error.details {
            match self.nested() {
                true => details.push(self.error(detail)),
                false => break,
            }
        }
        let inner_error = match error.innererror {
            Some(inner) if self.nested() => Some(Box::new(self.error(*inner))),
            _ => None,
        };
        CommunicationError {
            code: self.text(error.code.as_deref().unwrap_or_default(), field),
            message: self.text(
                error.message.as_deref().unwrap_or_default(),
                ServiceError::MESSAGE_LIMIT,
            ),
            target: error.target.map(|target| self.text(&target, field)),
            details,
            inner_error,
        }
    }

    /// Whether one more nested error may be kept (counting it); marks the answer cut when not.
    fn nested(&mut self) -> bool {
        if self.nested_left == 0 {
            self.truncated = true;
            return false;
        }
        self.nested_left -= 1;
        true
    }

    /// A one-line, bounded excerpt of a body.
    fn excerpt(&mut self, body: &[u8]) -> String {
        let (line, truncated) = self
            .redactor
            .bounded_bytes(body.trim_ascii(), ServiceError::EXCERPT_LIMIT);
        self.truncated |= truncated;
        line.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    }
}

/// A header's value as text (header names compare case-insensitively by construction), redacted and cut
/// to [`ServiceError::FIELD_LIMIT`]; the flag says whether it was cut.
pub(crate) fn header_text(
    headers: &HeaderMap,
    name: &http::HeaderName,
    redactor: &Redactor,
) -> Option<(String, bool)> {
    let value = headers.get(name)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    Some(redactor.bounded(&text, ServiceError::FIELD_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    http::HeaderName::from_static(name),
                    http::HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn acs_error_with_ids() {
        let body = br#"{"error":{"code":"IdentityNotOwned","message":"Provided identity doesn't belong to the resource."}}"#;
        let error = ServiceError::from_response(
            StatusCode::UNAUTHORIZED,
            &headers(&[("ms-cv", "cv.0"), ("x-ms-client-request-id", "id-1")]),
            body,
        );
        assert_eq!(
            error.to_string(),
            "ACS Identity service error 401 IdentityNotOwned: Provided identity doesn't belong to the resource. \
             (ms-cv: cv.0, client-request-id: id-1)"
        );
        assert_eq!(error.code(), Some("IdentityNotOwned"));
        assert_eq!(error.target(), None);
        assert_eq!(error.body_excerpt(), None);
    }

    #[test]
    fn nested_details_and_inner_error() {
        let body = br#"{"error":{"code":"Outer","message":"m","target":"t","details":[{"code":"D","message":"d",
            "details":[{"code":"DD","message":"dd"}]}],"innererror":{"code":"I","message":"i","innererror":{"code":"II","message":"ii"}}}}"#;
        let error = ServiceError::from_response(StatusCode::BAD_REQUEST, &HeaderMap::new(), body);
        assert_eq!(
            error.to_string(),
            "ACS Identity service error 400 Outer: m (target: t)"
        );
        assert_eq!(error.details()[0].details[0].code, "DD");
        assert_eq!(
            error
                .inner_error()
                .unwrap()
                .inner_error
                .as_ref()
                .unwrap()
                .message,
            "ii"
        );
    }

    #[test]
    fn non_json_and_empty_bodies() {
        let error = ServiceError::from_response(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html>\n<b>Bad</b>\n</html>",
        );
        assert_eq!(
            error.to_string(),
            "ACS Identity service error 502 Bad Gateway: <html> <b>Bad</b> </html>"
        );
        assert_eq!(error.code(), None);

        let error =
            ServiceError::from_response(StatusCode::NOT_FOUND, &headers(&[("ms-cv", "x")]), b"");
        assert_eq!(
            error.to_string(),
            "ACS Identity service error 404 Not Found (ms-cv: x)"
        );

        let long = vec![b'a'; 2 * ServiceError::EXCERPT_LIMIT];
        let error = ServiceError::from_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &HeaderMap::new(),
            &long,
        );
        let excerpt = error.body_excerpt().unwrap();
        assert_eq!(excerpt.len(), ServiceError::EXCERPT_LIMIT);
        assert!(excerpt.ends_with("a...[truncated]"), "{excerpt}");
        assert!(error.is_truncated());

        // JSON without the ACS envelope is shown as an excerpt too.
        let error = ServiceError::from_response(
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            br#"{"message":"no"}"#,
        );
        assert_eq!(
            error.to_string(),
            r#"ACS Identity service error 403 Forbidden: {"message":"no"}. The identity is not allowed this operation: give it a role such as Communication Identity Contributor on the resource"#
        );
    }

    #[test]
    fn a_denied_key_says_where_to_copy_the_right_one() {
        let body = br#"{"error":{"code":"Denied","message":"Denied by the resource provider."}}"#;
        let error = ServiceError::from_response(StatusCode::UNAUTHORIZED, &HeaderMap::new(), body);
        let text = error.to_string();
        assert!(text.starts_with("ACS Identity service error 401 Denied: Denied by the resource provider. The access key does not match this resource"), "{text}");
        assert!(text.contains("Settings > Keys"), "{text}");
        let other = ServiceError::from_response(StatusCode::BAD_REQUEST, &HeaderMap::new(), body);
        assert!(!other.to_string().contains("access key"));
    }

    const SIGNATURE: &str = "Zm9vYmFyYmF6cXV4+/quuxcorgegraultgarplywaldo=";
    const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZWFtcy11c2VyIn0.c2lnbmF0dXJlLXBhcnQ";

    fn hmac() -> String {
        format!(
            "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={SIGNATURE}"
        )
    }

    /// What a call that sent an HMAC-signed attempt and a bearer-authorized one would redact.
    fn sent() -> SentSecrets {
        let mut secrets = SentSecrets::default();
        for authorization in [hmac(), format!("Bearer {TOKEN}")] {
            let mut headers = HeaderMap::new();
            headers.insert(http::header::AUTHORIZATION, authorization.parse().unwrap());
            secrets.add_authorization(&headers);
        }
        secrets
    }

    /// Every text the error keeps or shows.
    fn everything(error: &ServiceError) -> String {
        format!("{error} {error:?}")
    }

    fn assert_no_secret(text: &str) {
        for secret in [SIGNATURE, TOKEN, "Zm9vYmFyYmF6cXV4"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }

    fn acs_error(message: &str) -> Vec<u8> {
        serde_json::json!({"error": {"code": "Denied", "message": message}})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn a_huge_message_is_capped_on_a_char_boundary() {
        // 3 MB of two-byte chars after one ASCII byte: the limit falls inside a char.
        let message = format!("x{}", "é".repeat(1_500_000));
        let error = ServiceError::from_response(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            &acs_error(&message),
        );
        let kept = error.message().unwrap();
        assert!(kept.len() <= ServiceError::MESSAGE_LIMIT, "{}", kept.len());
        assert!(
            kept.len() > ServiceError::MESSAGE_LIMIT - 20,
            "{}",
            kept.len()
        );
        assert!(kept.starts_with("xé") && kept.ends_with("é...[truncated]"));
        assert!(error.is_truncated());
        assert!(error.to_string().len() < 6 * 1024);
        // A message that fits is kept whole.
        let error = ServiceError::from_response(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            &acs_error("é"),
        );
        assert_eq!((error.message(), error.is_truncated()), (Some("é"), false));
    }

    #[test]
    fn every_field_and_the_nested_errors_are_bounded() {
        let long = "w".repeat(10_000);
        let nested: Vec<_> = (0..200)
            .map(|n| serde_json::json!({"code": long, "message": format!("detail {n} {long}"), "target": long}))
            .collect();
        let body = serde_json::json!({"error": {
            "code": long, "message": long, "target": long, "details": nested,
            "innererror": {"code": "I", "message": long, "innererror": {"code": "II"}},
        }})
        .to_string();
        let headers: HeaderMap = [
            ("ms-cv", &long),
            ("x-ms-client-request-id", &long),
            ("x-ms-request-id", &long),
        ]
        .into_iter()
        .map(|(name, value)| (http::HeaderName::from_static(name), value.parse().unwrap()))
        .collect();
        let error =
            ServiceError::from_response(StatusCode::UNAUTHORIZED, &headers, body.as_bytes());
        let field = ServiceError::FIELD_LIMIT;
        assert!(error.code().unwrap().len() <= field);
        assert!(error.target().unwrap().len() <= field);
        for id in [error.ms_cv(), error.client_request_id(), error.request_id()] {
            assert!(id.unwrap().len() <= field && id.unwrap().ends_with("[truncated]"));
        }
        // Details first, in document order: the budget is spent before the inner error is reached.
        assert_eq!(error.details().len(), ServiceError::NESTED_LIMIT);
        assert!(error.details()[15].message.starts_with("detail 15 w"));
        assert!(error.inner_error().is_none());
        for detail in error.details() {
            assert!(detail.message.len() <= ServiceError::MESSAGE_LIMIT);
            assert!(detail.code.len() <= field);
        }
        let shown = error.to_string();
        assert!(shown.len() < 6 * 1024, "{} bytes", shown.len());
        assert!(error.is_truncated());
        // A chain of inner errors counts against the same budget.
        let mut inner = serde_json::json!({"code": "last"});
        for n in 0..100 {
            inner = serde_json::json!({"code": format!("level {n}"), "innererror": inner});
        }
        let body = serde_json::json!({"error": {"code": "top", "innererror": inner}}).to_string();
        let error = ServiceError::from_response(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body.as_bytes(),
        );
        let mut depth = 0;
        let mut at = error.inner_error();
        while let Some(inner) = at {
            depth += 1;
            at = inner.inner_error.as_deref();
        }
        assert_eq!(depth, ServiceError::NESTED_LIMIT);
    }

    #[test]
    fn a_huge_body_without_an_acs_error_is_an_excerpt() {
        let body = format!("<html>{}</html>", "é".repeat(1_500_000));
        let error = ServiceError::from_response(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            body.as_bytes(),
        );
        let excerpt = error.body_excerpt().unwrap();
        assert!(excerpt.len() <= ServiceError::EXCERPT_LIMIT);
        assert!(
            excerpt.starts_with("<html>é") && excerpt.ends_with("é...[truncated]"),
            "{excerpt}"
        );
        // Bytes that are not UTF-8, cut in the middle of a sequence, still give text.
        let mut body = vec![b'a'; ServiceError::EXCERPT_LIMIT - 15];
        body.extend_from_slice(&[0xe2, 0x82, 0xac].repeat(100));
        body.push(0xff);
        let error = ServiceError::from_response(StatusCode::BAD_GATEWAY, &HeaderMap::new(), &body);
        assert!(error.body_excerpt().unwrap().len() <= ServiceError::EXCERPT_LIMIT);
    }

    #[test]
    fn echoed_secrets_are_redacted_from_message_code_target_details_and_headers() {
        let secrets = sent();
        let echo = format!(
            "the request had Authorization: {}, and Bearer {TOKEN}",
            hmac()
        );
        let body = serde_json::json!({"error": {
            "code": format!("Bad{SIGNATURE}"), "message": echo, "target": TOKEN,
            "details": [{"code": "D", "message": format!("signature {SIGNATURE}")}],
            "innererror": {"code": "I", "message": format!("token={TOKEN}")},
        }})
        .to_string()
        // Some encoders escape `/` in JSON strings: the decoded message is what is redacted.
        .replace('/', "\\/");
        let headers: HeaderMap = [
            ("ms-cv", format!("cv-{SIGNATURE}")),
            ("x-ms-client-request-id", hmac()),
            ("x-ms-request-id", format!("Bearer {TOKEN}")),
        ]
        .into_iter()
        .map(|(name, value)| (http::HeaderName::from_static(name), value.parse().unwrap()))
        .collect();
        let error = ServiceError::from_call(
            StatusCode::UNAUTHORIZED,
            &headers,
            body.as_bytes(),
            &secrets,
        );
        let shown = everything(&error);
        assert_no_secret(&shown);
        assert_eq!(
            error.message(),
            Some("the request had Authorization: [redacted], and [redacted]")
        );
        assert_eq!(error.code(), Some("Bad[redacted]"));
        assert_eq!(error.target(), Some("[redacted]"));
        assert_eq!(error.details()[0].message, "signature [redacted]");
        assert_eq!(error.inner_error().unwrap().message, "token=[redacted]");
        assert_eq!(error.ms_cv(), Some("cv-[redacted]"));
        assert_eq!(error.client_request_id(), Some("[redacted]"));
        assert_eq!(error.request_id(), Some("[redacted]"));
        assert!(!error.is_truncated());
    }

    #[test]
    fn echoed_secrets_are_redacted_from_an_excerpt_in_any_encoding() {
        use base64::Engine as _;
        let secrets = sent();
        let encoded = [
            hmac(),
            percent_encoding::utf8_percent_encode(&hmac(), percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
            base64::engine::general_purpose::STANDARD.encode(hmac()),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(TOKEN),
            percent_encoding::utf8_percent_encode(SIGNATURE, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
                .replace("%2B", "%2b")
                .replace("%2F", "%2f")
                .replace("%3D", "%3d"),
        ];
        for echoed in encoded {
            let body = format!("<html><pre>{echoed}</pre></html>");
            let error = ServiceError::from_call(
                StatusCode::BAD_GATEWAY,
                &HeaderMap::new(),
                body.as_bytes(),
                &secrets,
            );
            let shown = everything(&error);
            assert_no_secret(&shown);
            assert!(!shown.contains(&echoed), "{shown}");
            assert_eq!(
                error.body_excerpt(),
                Some("<html><pre>[redacted]</pre></html>"),
                "{echoed}"
            );
        }
    }

    #[test]
    fn a_secret_echoed_where_the_cut_falls_leaves_no_part_of_it() {
        let secrets = sent();
        for offset in
            (ServiceError::MESSAGE_LIMIT - 200..ServiceError::MESSAGE_LIMIT + 300).step_by(7)
        {
            let message = format!("{}{}{}", "m".repeat(offset), hmac(), "m".repeat(5000));
            let error = ServiceError::from_call(
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                &acs_error(&message),
                &secrets,
            );
            let kept = error.message().unwrap();
            assert!(kept.len() <= ServiceError::MESSAGE_LIMIT);
            assert!(
                !kept.contains("HMAC") && !kept.contains("Zm9v"),
                "{offset}: {}",
                &kept[kept.len() - 60..]
            );
        }
    }

    #[test]
    fn a_retry_after_beyond_the_budget_is_said_in_the_message() {
        let error = ServiceError::from_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &headers(&[("ms-cv", "cv.0")]),
            br#"{"error":{"code":"ServiceUnavailable","message":"Try later."}}"#,
        );
        assert_eq!(error.retry_after_beyond_budget(), None);
        let error = error.with_retry_after_beyond_budget(
            Duration::from_secs(3600),
            Duration::from_micros(119_999_700),
        );
        assert_eq!(
            error.retry_after_beyond_budget(),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            error.to_string(),
            "ACS Identity service error 503 ServiceUnavailable: Try later.; not retried: the service asked to \
             wait 3600s, longer than the 119.999s left of the call's time (ms-cv: cv.0)"
        );
    }
}
