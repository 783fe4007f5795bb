//! The service's error answers: `{"error":{"code","message","target","details","innererror"}}`.

use std::fmt;

use http::{HeaderMap, StatusCode};

use crate::wire;

/// `x-ms-client-request-id`: the per-call id the client sends and the service echoes.
pub const CLIENT_REQUEST_ID: http::HeaderName =
    http::HeaderName::from_static("x-ms-client-request-id");

/// `MS-CV`: the service's correlation vector, the id to quote in a support request.
pub const MS_CV: http::HeaderName = http::HeaderName::from_static("ms-cv");

/// `x-ms-request-id`: a request id some Azure front ends add (ACS Identity itself was seen sending only
/// `MS-CV`); kept when present.
pub const REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-ms-request-id");

/// How much of a body that holds no ACS error is kept for the message.
const EXCERPT_LIMIT: usize = 512;

/// A non-success answer of the service.
///
/// `Display` is one line:
/// `ACS Identity service error 401 IdentityNotOwned: Provided identity doesn't belong to the resource. (ms-cv: ..., client-request-id: ...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    status: StatusCode,
    error: Option<CommunicationError>,
    excerpt: Option<String>,
    client_request_id: Option<String>,
    ms_cv: Option<String>,
    request_id: Option<String>,
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
    /// Reads a non-success response: the ACS error body when there is one, otherwise a short
    /// excerpt of whatever the body was (a gateway's HTML page, plain text...).
    pub(crate) fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let error = serde_json::from_slice::<wire::ErrorResponse>(body)
            .ok()
            .map(|response| response.error.into());
        let excerpt = match error {
            None if !body.iter().all(u8::is_ascii_whitespace) => Some(excerpt(body)),
            _ => None,
        };
        Self {
            status,
            error,
            excerpt,
            client_request_id: header_text(headers, &CLIENT_REQUEST_ID),
            ms_cv: header_text(headers, &MS_CV),
            request_id: header_text(headers, &REQUEST_ID),
        }
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

    /// The start of the body (control characters replaced, at most 512 bytes) when it held no
    /// ACS error.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.excerpt.as_deref()
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

impl From<wire::CommunicationError> for CommunicationError {
    fn from(error: wire::CommunicationError) -> Self {
        Self {
            code: error.code.unwrap_or_default(),
            message: error.message.unwrap_or_default(),
            target: error.target,
            details: error.details.into_iter().map(Self::from).collect(),
            inner_error: error.innererror.map(|inner| Box::new(Self::from(*inner))),
        }
    }
}

/// A header's value as text (header names compare case-insensitively by construction).
pub(crate) fn header_text(headers: &HeaderMap, name: &http::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// A one-line, bounded excerpt of a body.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body.get(..EXCERPT_LIMIT).unwrap_or(body));
    let line: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > EXCERPT_LIMIT {
        format!("{line}...")
    } else {
        line
    }
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

        let long = vec![b'a'; 2 * EXCERPT_LIMIT];
        let error = ServiceError::from_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &HeaderMap::new(),
            &long,
        );
        assert_eq!(error.body_excerpt().unwrap().len(), EXCERPT_LIMIT + 3);

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
}
