//! What a successful call returns when asked for more than its value: the HTTP response behind it.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};

use crate::LoggedHeaders;
use crate::service_error::{CLIENT_REQUEST_ID, MS_CV, REQUEST_ID};

/// The value of a successful call with the HTTP response it came from (the last attempt's), the shape of
/// `azure_core::http::Response<T>`: [`into_body`](Self::into_body), [`status`](Self::status),
/// [`headers`](Self::headers), plus the ids to quote to Azure support and how the call went.
///
/// Returned by the `*_with_response` methods of both clients.
///
/// ```
/// use std::time::Duration;
/// use acs_identity_core::{ClientConfig, ClientOptions, CallOptions, CreateUser};
///
/// // A frontend's loop, with the service's answer written out.
/// let endpoint = acs_auth::Endpoint::parse("https://contoso.communication.azure.com")?;
/// let config = ClientConfig::new(endpoint, ClientOptions::default(), "0.1.0", "rustc-1.88.0");
/// let options = CallOptions::default().client_request_id("ticket-4711");
/// let (request, mut call) = config.start_call(&CreateUser::default(), 7, &options)?;
/// call.start_attempt(&request, Duration::ZERO)?;
/// let answer = http::Response::builder()
///     .status(201)
///     .header("MS-CV", "ZpWo1WUvr0mvQ+TcdVm5sw.0")
///     .header("x-ms-client-request-id", "ticket-4711")
///     .body(br#"{"identity":{"id":"8:acs:r_u"}}"#.to_vec())?;
/// let response = call.complete(&CreateUser::default(), Ok(answer), Duration::from_millis(12))?;
/// assert_eq!(response.status(), 201);
/// assert_eq!(response.ms_cv(), Some("ZpWo1WUvr0mvQ+TcdVm5sw.0"));
/// assert_eq!(response.header("Ms-Cv"), Some("ZpWo1WUvr0mvQ+TcdVm5sw.0"));
/// assert_eq!(response.client_request_id(), Some("ticket-4711"));
/// assert_eq!((response.attempts(), response.elapsed()), (1, Duration::from_millis(12)));
/// assert_eq!(response.into_body().id(), "8:acs:r_u");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Response<T> {
    body: T,
    status: StatusCode,
    headers: HeaderMap,
    sent_client_request_id: Option<HeaderValue>,
    attempts: u32,
    elapsed: Duration,
}

impl<T> Response<T> {
    pub(crate) fn new(
        body: T,
        status: StatusCode,
        headers: HeaderMap,
        sent_client_request_id: Option<HeaderValue>,
        attempts: u32,
        elapsed: Duration,
    ) -> Self {
        Self {
            body,
            status,
            headers,
            sent_client_request_id,
            attempts,
            elapsed,
        }
    }

    /// The value.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The value, dropping the rest.
    pub fn into_body(self) -> T {
        self.body
    }

    /// The HTTP status of the response (2xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers. Lookups are case-insensitive (`headers().get("MS-CV")`).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of the header `name` (any case) as text; `None` when absent or not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The `MS-CV` correlation vector: the service's id of the request, the first thing Azure support asks for.
    pub fn ms_cv(&self) -> Option<&str> {
        self.header(MS_CV.as_str())
    }

    /// The `x-ms-client-request-id` of the call: the one the service echoed, or else the one the call sent
    /// (the same on every attempt; chosen with `CallOptions::client_request_id` or random).
    pub fn client_request_id(&self) -> Option<&str> {
        self.header(CLIENT_REQUEST_ID.as_str()).or_else(|| {
            self.sent_client_request_id
                .as_ref()
                .and_then(|id| id.to_str().ok())
        })
    }

    /// The `x-ms-request-id` of the response, when it has one.
    pub fn request_id(&self) -> Option<&str> {
        self.header(REQUEST_ID.as_str())
    }

    /// How many attempts the call took (1 when the first one succeeded).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How long the whole call took, retries and their delays included.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The same response with its value mapped by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            body: f(self.body),
            status: self.status,
            headers: self.headers,
            sent_client_request_id: self.sent_client_request_id,
            attempts: self.attempts,
            elapsed: self.elapsed,
        }
    }
}

/// Shows the headers through [`LoggedHeaders`] (values outside Azure's allow-list `[redacted]`) and the value
/// through its own `Debug` (the tokens of this crate print redacted).
impl<T: fmt::Debug> fmt::Debug for Response<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &format_args!("{}", LoggedHeaders(&self.headers)))
            .field("attempts", &self.attempts)
            .field("elapsed", &self.elapsed)
            .field("body", &self.body)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> Response<&'static str> {
        let mut headers = HeaderMap::new();
        headers.insert("ms-cv", HeaderValue::from_static("cv.0"));
        headers.insert("x-ms-request-id", HeaderValue::from_static("rid"));
        headers.insert("set-cookie", HeaderValue::from_static("session=secret"));
        let sent = Some(HeaderValue::from_static("sent-id"));
        Response::new(
            "value",
            StatusCode::OK,
            headers,
            sent,
            2,
            Duration::from_millis(5),
        )
    }

    #[test]
    fn headers_are_looked_up_in_any_case() {
        let response = response();
        assert_eq!(response.header("MS-CV"), Some("cv.0"));
        assert_eq!(response.header("X-Ms-Request-Id"), Some("rid"));
        assert_eq!(response.request_id(), Some("rid"));
        assert_eq!(response.header("not a name"), None);
        assert_eq!(response.headers().get("Ms-Cv").unwrap(), "cv.0");
    }

    #[test]
    fn the_sent_client_request_id_stands_in_for_a_missing_echo() {
        let response = response();
        assert_eq!(response.client_request_id(), Some("sent-id"));
        let mut echoed = response.clone();
        echoed
            .headers
            .insert(CLIENT_REQUEST_ID, HeaderValue::from_static("echoed-id"));
        assert_eq!(echoed.client_request_id(), Some("echoed-id"));
    }

    #[test]
    fn map_keeps_everything_but_the_value() {
        let mapped = response().map(str::len);
        assert_eq!(*mapped.body(), 5);
        assert_eq!((mapped.attempts(), mapped.ms_cv()), (2, Some("cv.0")));
    }

    #[test]
    fn debug_redacts_headers_outside_the_allow_list() {
        let shown = format!("{:?}", response());
        assert!(shown.contains(r#""ms-cv": "cv.0""#), "{shown}");
        assert!(!shown.contains("session=secret"), "{shown}");
    }
}
