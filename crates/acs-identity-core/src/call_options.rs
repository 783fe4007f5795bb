//! Options of one call: its deadline, its client request id, extra headers and its retry policy.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::logging::is_loggable;
use crate::{Error, RetryOptions};

/// Options of one call, overriding the client's [`ClientOptions`](crate::ClientOptions) for that call only.
/// Passed to the `*_with_response` methods of both clients.
///
/// Built with its setters from the default (which changes nothing); more may be added, so it has no public
/// fields. Checked when the call starts: a call with an invalid option fails with an
/// [`ErrorKind::InvalidInput`](crate::ErrorKind) error before any I/O.
///
/// ```
/// use std::time::Duration;
/// use acs_identity_core::CallOptions;
///
/// let options = CallOptions::default()
///     .timeout(Duration::from_secs(5))
///     .client_request_id("support-ticket-4711")
///     .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
/// // Values outside Azure's allow-list of loggable headers never print.
/// assert!(format!("{options:?}").contains("traceparent"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) client_request_id: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) retry: Option<RetryOptions>,
}

/// Headers a caller may not set: the signed ones (`Authorization`, `Host`, `x-ms-date`, the content hash),
/// the framing ones, and the ones the client sets from its own options.
const FORBIDDEN: &[(&str, &str)] = &[
    ("authorization", "it carries the client's credential"),
    ("host", "it is signed"),
    ("x-ms-date", "it is signed"),
    ("x-ms-content-sha256", "it is signed"),
    ("content-length", "it frames the request"),
    ("transfer-encoding", "it frames the request"),
    ("connection", "it is the transport's"),
    ("keep-alive", "it is the transport's"),
    ("te", "it is the transport's"),
    ("upgrade", "it is the transport's"),
    ("content-type", "the operation sets it"),
    ("accept", "the operation sets it"),
    (
        "user-agent",
        "the client sets it (use `ClientOptions::application_id`)",
    ),
    (
        "x-ms-client-request-id",
        "use `CallOptions::client_request_id`",
    ),
];

/// The longest client request id accepted.
const CLIENT_REQUEST_ID_LIMIT: usize = 256;

impl CallOptions {
    /// The limit on the whole call, retries and their delays included, instead of the client's
    /// [`ClientOptions::timeout`](crate::ClientOptions::timeout). Each attempt is also cut short to what is
    /// left of it. Either way, the call then ends with an [`ErrorKind::Timeout`](crate::ErrorKind) error.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The `x-ms-client-request-id` of the call (on all its attempts) instead of a random one: 1 to 256
    /// visible ASCII characters, no spaces. The service echoes it and logs it: quote it to Azure support.
    /// Choose a new one per call.
    pub fn client_request_id(mut self, id: impl Into<String>) -> Self {
        self.client_request_id = Some(id.into());
        self
    }

    /// An extra header on every attempt of the call, e.g. `traceparent`. One value per name: the last set
    /// wins. Names are case-insensitive. Refused: the headers the client signs or sets itself
    /// (`Authorization`, `Host`, `x-ms-date`, `x-ms-content-sha256`, `Content-Length`, `Transfer-Encoding`,
    /// `Connection`, `Keep-Alive`, `TE`, `Upgrade`, `Content-Type`, `Accept`, `User-Agent`,
    /// `x-ms-client-request-id`), invalid names and values that are not header text. The error names the
    /// header, never its value.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// When and how often to retry this call, instead of the client's
    /// [`ClientOptions::retry`](crate::ClientOptions::retry).
    pub fn retry(mut self, retry: RetryOptions) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The caller's client request id as a header value, if one was chosen.
    pub(crate) fn checked_client_request_id(&self) -> Result<Option<HeaderValue>, Error> {
        let Some(id) = &self.client_request_id else {
            return Ok(None);
        };
        let visible = id.bytes().all(|b| b.is_ascii_graphic());
        if id.is_empty() || id.len() > CLIENT_REQUEST_ID_LIMIT || !visible {
            return Err(Error::invalid_input(format!(
                "the client request id must be 1 to {CLIENT_REQUEST_ID_LIMIT} visible ASCII characters, no spaces"
            )));
        }
        HeaderValue::from_str(id)
            .map(Some)
            .map_err(|_| Error::invalid_input("the client request id is not valid header text"))
    }

    /// The extra headers, checked.
    pub(crate) fn checked_headers(&self) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                let shown: String = name.chars().take(64).collect();
                Error::invalid_input(format!("{shown:?} is not a valid HTTP header name"))
            })?;
            if let Some((_, why)) = FORBIDDEN.iter().find(|(n, _)| *n == name.as_str()) {
                return Err(Error::invalid_input(format!(
                    "the `{name}` header cannot be set by the caller: {why}"
                )));
            }
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::invalid_input(format!(
                    "the value of the `{name}` header is not valid header text"
                ))
            })?;
            headers.insert(name, value);
        }
        Ok(headers)
    }
}

/// Shows header names, and only the values of Azure's loggable headers (`traceparent`...): a caller's header
/// may carry a secret.
impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a [(String, String)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (name, value) in self.0 {
                    if is_loggable(&name.to_ascii_lowercase()) {
                        map.entry(name, value);
                    } else {
                        map.entry(name, &format_args!("[redacted]"));
                    }
                }
                map.finish()
            }
        }
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("client_request_id", &self.client_request_id)
            .field("headers", &Headers(&self.headers))
            .field("retry", &self.retry)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn refused(options: &CallOptions) -> String {
        let error = options.checked_headers().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        error.to_string()
    }

    #[test]
    fn signed_and_client_headers_are_refused_in_any_case() {
        for name in [
            "Authorization",
            "authorization",
            "HOST",
            "X-MS-Date",
            "x-ms-content-sha256",
            "Content-Length",
            "User-Agent",
            "x-ms-client-request-id",
        ] {
            let options = CallOptions::default().header(name, "secret-value");
            let message = refused(&options);
            assert!(
                message.contains(&format!("`{}`", name.to_ascii_lowercase())),
                "{message}"
            );
            assert!(!message.contains("secret-value"), "{message}");
        }
    }

    #[test]
    fn invalid_names_and_values_are_refused_without_echoing_the_value() {
        let message = refused(&CallOptions::default().header("bad name", "v"));
        assert!(message.contains("\"bad name\""), "{message}");
        let message =
            refused(&CallOptions::default().header("x-custom", "secret\r\nx-injected: 1"));
        assert!(message.contains("`x-custom`"), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }

    #[test]
    fn extra_headers_are_kept_last_one_winning() {
        let options = CallOptions::default()
            .header("TraceParent", "00-a-b-01")
            .header("x-custom", "1")
            .header("X-Custom", "2");
        let headers = options.checked_headers().unwrap();
        assert_eq!(headers.len(), 2);
        assert_eq!(headers["traceparent"], "00-a-b-01");
        assert_eq!(headers["x-custom"], "2");
    }

    #[test]
    fn client_request_ids_are_checked() {
        let id = |id: &str| CallOptions::default().client_request_id(id);
        assert_eq!(
            id("ticket-4711")
                .checked_client_request_id()
                .unwrap()
                .unwrap(),
            "ticket-4711"
        );
        assert_eq!(
            CallOptions::default().checked_client_request_id().unwrap(),
            None
        );
        for bad in ["", "has space", "tab\t", "é", &"x".repeat(257)] {
            let error = id(bad).checked_client_request_id().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
        assert!(id(&"x".repeat(256)).checked_client_request_id().is_ok());
    }

    #[test]
    fn debug_redacts_values_outside_the_allow_list() {
        let options = CallOptions::default()
            .header("traceparent", "00-a-b-01")
            .header("x-api-key", "hunter2");
        let shown = format!("{options:?}");
        assert!(shown.contains(r#""traceparent": "00-a-b-01""#), "{shown}");
        assert!(shown.contains(r#""x-api-key": [redacted]"#), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
