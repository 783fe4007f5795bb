//! The one error type of every operation past construction.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::service_error::ServiceError;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong with an operation: a service answer, the network, a timeout, an undecodable
/// response, bad input or a credential that could not be obtained.
///
/// Opaque on purpose: match on [`Error::kind`] and read the details through the accessors.
///
/// ```
/// use acs_identity_core::{Error, ErrorKind};
///
/// let error = Error::invalid_input("scopes must not be empty");
/// assert_eq!(error.kind(), ErrorKind::InvalidInput);
/// assert_eq!(error.to_string(), "invalid input: scopes must not be empty");
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    repr: Repr,
    /// Set when the error ends a call that started (after the checks that precede any I/O).
    call: Option<CallContext>,
}

/// What a call knew when it ended with an error: the ids to quote to support, how long it took.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallContext {
    /// The `x-ms-client-request-id` the call sent.
    pub(crate) client_request_id: Option<String>,
    /// `MS-CV` of the last response, if there was one.
    pub(crate) ms_cv: Option<String>,
    /// `x-ms-request-id` of the last response, if there was one.
    pub(crate) request_id: Option<String>,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
    /// The origin the call talked to.
    pub(crate) endpoint: Option<String>,
}

enum Repr {
    Service(ServiceError),
    Transport {
        source: BoxError,
        may_have_been_sent: bool,
    },
    Timeout {
        after: Duration,
    },
    Decode(DecodeError),
    InvalidInput(String),
    Credential(BoxError),
}

/// The coarse category of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The service answered with a non-success status; see [`Error::service_error`].
    Service,
    /// The request could not be sent or its response not received.
    Transport,
    /// The request (or the whole call, retries included) took longer than allowed.
    Timeout,
    /// The service answered with success but the body was not what the operation returns;
    /// see [`Error::decode_error`].
    Decode,
    /// The input was rejected before any I/O (including an operation the configured
    /// api-version does not have).
    InvalidInput,
    /// No credential could be obtained to authorize the request.
    Credential,
}

impl Error {
    /// A transport failure. `may_have_been_sent` is `false` only when the request certainly did not
    /// leave (e.g. the connection could not be made); a non-idempotent request is retried only then.
    pub fn transport(
        source: impl StdError + Send + Sync + 'static,
        may_have_been_sent: bool,
    ) -> Self {
        Self::new(Repr::Transport {
            source: Box::new(source),
            may_have_been_sent,
        })
    }

    /// The request, or the whole call, did not finish within `after`.
    pub fn timeout(after: Duration) -> Self {
        Self::new(Repr::Timeout { after })
    }

    /// The credential (Entra token source, ...) failed to authorize the request.
    pub fn credential(source: impl StdError + Send + Sync + 'static) -> Self {
        Self::new(Repr::Credential(Box::new(source)))
    }

    /// Input rejected before any I/O. `message` must not contain secrets.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(Repr::InvalidInput(message.into()))
    }

    pub(crate) fn service(error: ServiceError) -> Self {
        Self::new(Repr::Service(error))
    }

    pub(crate) fn decode(error: DecodeError) -> Self {
        Self::new(Repr::Decode(error))
    }

    fn new(repr: Repr) -> Self {
        Self {
            inner: Box::new(Inner { repr, call: None }),
        }
    }

    /// This error as the end of a call with `context`.
    pub(crate) fn in_call(mut self, context: CallContext) -> Self {
        self.inner.call = Some(context);
        self
    }

    /// The category of the error.
    pub fn kind(&self) -> ErrorKind {
        match &self.inner.repr {
            Repr::Service(_) => ErrorKind::Service,
            Repr::Transport { .. } => ErrorKind::Transport,
            Repr::Timeout { .. } => ErrorKind::Timeout,
            Repr::Decode(_) => ErrorKind::Decode,
            Repr::InvalidInput(_) => ErrorKind::InvalidInput,
            Repr::Credential(_) => ErrorKind::Credential,
        }
    }

    /// The service's answer, for [`ErrorKind::Service`].
    pub fn service_error(&self) -> Option<&ServiceError> {
        match &self.inner.repr {
            Repr::Service(error) => Some(error),
            _ => None,
        }
    }

    /// The undecodable success response, for [`ErrorKind::Decode`].
    pub fn decode_error(&self) -> Option<&DecodeError> {
        match &self.inner.repr {
            Repr::Decode(error) => Some(error),
            _ => None,
        }
    }

    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.inner.repr {
            Repr::Service(error) => Some(error.status()),
            Repr::Decode(error) => Some(error.status()),
            _ => None,
        }
    }

    /// The `x-ms-client-request-id` of the call: the one the service echoed, or else the one the call sent.
    /// `None` for an error before any I/O. The same value as [`Response::client_request_id`](crate::Response)
    /// on success: quote it with [`ms_cv`](Self::ms_cv) to Azure support.
    pub fn client_request_id(&self) -> Option<&str> {
        self.service_error()
            .and_then(ServiceError::client_request_id)
            .or_else(|| self.call()?.client_request_id.as_deref())
    }

    /// The `MS-CV` correlation vector of the last response (a service error or an undecodable success), when
    /// there was a response.
    pub fn ms_cv(&self) -> Option<&str> {
        self.service_error()
            .and_then(ServiceError::ms_cv)
            .or_else(|| self.call()?.ms_cv.as_deref())
    }

    /// The `x-ms-request-id` of the last response, when it had one.
    pub fn request_id(&self) -> Option<&str> {
        self.service_error()
            .and_then(ServiceError::request_id)
            .or_else(|| self.call()?.request_id.as_deref())
    }

    /// How many attempts the call made before failing; 0 when it failed before any I/O (invalid input) or
    /// the error did not come from a call.
    pub fn attempts(&self) -> u32 {
        self.call().map_or(0, |call| call.attempts)
    }

    /// How long the call ran, retries and delays included, when it started.
    pub fn elapsed(&self) -> Option<Duration> {
        self.call().map(|call| call.elapsed)
    }

    fn call(&self) -> Option<&CallContext> {
        self.inner.call.as_ref()
    }

    /// Whether the request may have reached the service (and had an effect there).
    ///
    /// `false` for input and credential errors and for transport failures before sending.
    pub fn may_have_been_sent(&self) -> bool {
        match &self.inner.repr {
            Repr::Service(_) | Repr::Decode(_) | Repr::Timeout { .. } => true,
            Repr::Transport {
                may_have_been_sent, ..
            } => *may_have_been_sent,
            Repr::InvalidInput(_) | Repr::Credential(_) => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.repr {
            Repr::Service(error) => error.fmt(f),
            Repr::Transport {
                may_have_been_sent: false,
                ..
            } => {
                f.write_str("could not send the request to the ACS Identity service")?;
                self.fmt_where(f)
            }
            Repr::Transport {
                may_have_been_sent: true,
                ..
            } => {
                f.write_str(
                    "the connection to the ACS Identity service failed after the request was sent",
                )?;
                self.fmt_where(f)
            }
            Repr::Timeout { after } => {
                write!(
                    f,
                    "the request to the ACS Identity service timed out after {after:?}"
                )?;
                self.fmt_where(f)
            }
            Repr::Decode(error) => error.fmt(f),
            Repr::InvalidInput(message) => write!(f, "invalid input: {message}"),
            Repr::Credential(_) => {
                f.write_str("could not obtain a credential to authorize the request")
            }
        }
    }
}

impl Error {
    /// ` at <endpoint> (N attempts over T)`, for network failures of a call.
    fn fmt_where(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(call) = self.call() else {
            return Ok(());
        };
        if let Some(endpoint) = &call.endpoint {
            write!(f, " at {endpoint}")?;
        }
        let attempts = match call.attempts {
            1 => "1 attempt".to_owned(),
            n => format!("{n} attempts"),
        };
        // Milliseconds are enough to tell a quick refusal from a long hang.
        let elapsed =
            Duration::from_millis(u64::try_from(call.elapsed.as_millis()).unwrap_or(u64::MAX));
        write!(
            f,
            " ({attempts} over {elapsed:?}); check the endpoint, your network and any proxy"
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.repr {
            Repr::Service(error) => f.debug_tuple("Service").field(error).finish(),
            Repr::Transport {
                source,
                may_have_been_sent,
            } => f
                .debug_struct("Transport")
                .field("source", source)
                .field("may_have_been_sent", may_have_been_sent)
                .finish(),
            Repr::Timeout { after } => f.debug_struct("Timeout").field("after", after).finish(),
            Repr::Decode(error) => f.debug_tuple("Decode").field(error).finish(),
            Repr::InvalidInput(message) => f.debug_tuple("InvalidInput").field(message).finish(),
            Repr::Credential(source) => f.debug_tuple("Credential").field(source).finish(),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.inner.repr {
            Repr::Transport { source, .. } | Repr::Credential(source) => Some(&**source),
            _ => None,
        }
    }
}

/// A success response whose body could not be decoded into the operation's output.
///
/// `Display` and `Debug` show the operation, status, JSON path and a message, never the body:
/// success bodies carry ACS access tokens. [`DecodeError::raw_body`] gives the body to code that
/// knows how to handle secrets.
pub struct DecodeError {
    operation: &'static str,
    status: StatusCode,
    path: String,
    message: String,
    raw_body: String,
    body_len: usize,
}

/// How much of an undecodable body is kept.
const RAW_BODY_LIMIT: usize = 4096;

impl DecodeError {
    pub(crate) fn new(
        operation: &'static str,
        status: StatusCode,
        path: String,
        message: String,
        body: &[u8],
    ) -> Self {
        let kept = body.get(..RAW_BODY_LIMIT).unwrap_or(body);
        Self {
            operation,
            status,
            path,
            message,
            raw_body: String::from_utf8_lossy(kept).into_owned(),
            body_len: body.len(),
        }
    }

    /// The operation whose response this was, e.g. `"issue_token"`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The (success) status of the response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Where in the JSON document decoding failed, e.g. `accessToken.expiresOn` (`.` for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What was wrong there, with any quoted input value replaced by `[redacted]`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The start of the response body (at most 4 KiB, invalid UTF-8 replaced).
    ///
    /// **May contain secrets** (ACS access tokens): never log it unredacted.
    pub fn raw_body(&self) -> &str {
        &self.raw_body
    }

    /// The full length of the response body in bytes.
    pub fn body_len(&self) -> usize {
        self.body_len
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not decode the {} response (HTTP {}) at `{}`: {}",
            self.operation,
            self.status.as_u16(),
            self.path,
            self.message
        )
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("path", &self.path)
            .field("message", &self.message)
            .field(
                "raw_body",
                &format_args!("[redacted; {} bytes]", self.body_len),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Refused;

    impl fmt::Display for Refused {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection refused")
        }
    }

    impl StdError for Refused {}

    #[test]
    fn errors_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
    }

    #[test]
    fn constructors_set_kind_display_and_source() {
        let error = Error::transport(Refused, false);
        assert_eq!(error.kind(), ErrorKind::Transport);
        assert!(!error.may_have_been_sent());
        assert_eq!(
            error.to_string(),
            "could not send the request to the ACS Identity service"
        );
        assert_eq!(
            error.source().map(ToString::to_string).as_deref(),
            Some("connection refused")
        );
        assert!(Error::transport(Refused, true).may_have_been_sent());

        let error = Error::timeout(Duration::from_secs(30));
        assert_eq!(error.kind(), ErrorKind::Timeout);
        assert!(error.may_have_been_sent());
        assert_eq!(
            error.to_string(),
            "the request to the ACS Identity service timed out after 30s"
        );

        let error = Error::credential(Refused);
        assert_eq!(error.kind(), ErrorKind::Credential);
        assert!(error.source().is_some());
        assert!(!error.may_have_been_sent());
        assert_eq!(error.status(), None);
    }

    #[test]
    fn decode_error_never_prints_the_body() {
        let body = br#"{"token":"secret-acs-token","expiresOn":"soon"}"#;
        let error = Error::decode(DecodeError::new(
            "issue_token",
            StatusCode::OK,
            "expiresOn".into(),
            "invalid timestamp".into(),
            body,
        ));
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert_eq!(error.status(), Some(StatusCode::OK));
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("secret-acs-token"), "{shown}");
        assert!(shown.contains("[redacted; 47 bytes]"), "{shown}");
        assert_eq!(
            error.to_string(),
            "could not decode the issue_token response (HTTP 200) at `expiresOn`: invalid timestamp"
        );
        let decode = error.decode_error().unwrap();
        assert_eq!(decode.raw_body().as_bytes(), body);
        assert_eq!(decode.path(), "expiresOn");
        assert_eq!(decode.operation(), "issue_token");
    }

    #[test]
    fn raw_body_is_truncated() {
        let body = vec![b'x'; RAW_BODY_LIMIT + 10];
        let error = DecodeError::new("get_user", StatusCode::OK, ".".into(), "m".into(), &body);
        assert_eq!(error.raw_body().len(), RAW_BODY_LIMIT);
        assert_eq!(error.body_len(), RAW_BODY_LIMIT + 10);
    }
}
