//! One call of a client, over all its attempts: the time limits of each attempt and of the whole call,
//! and what follows an attempt (retry after a delay, or finish).

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};

use crate::error::CallContext;
use crate::service_error::{CLIENT_REQUEST_ID, MS_CV, REQUEST_ID, header_text};
use crate::{
    CallOptions, ClientOptions, Error, ErrorKind, Operation, Outcome, Response, RetryDecision,
    RetryPolicy,
};

/// The state of one call: which attempt is under way, and what the retry policy and the time limits of
/// [`ClientOptions`] allow. The frontend measures the time since the call began (`elapsed`) and draws the
/// jitter; this decides.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use acs_identity_core::{Call, CallDecision, ClientOptions};
///
/// let options = ClientOptions::default().timeout(Duration::from_secs(10));
/// let mut call = Call::new(&options, true);
/// // The first attempt may take 10 s, the per-attempt limit (30 s) cut short by the call's.
/// assert_eq!(call.start_attempt(Duration::ZERO)?, Some(Duration::from_secs(10)));
/// let throttled = http::Response::builder().status(429).header("retry-after", "2").body(Vec::new())?;
/// let decision = call.decide(Ok(throttled), Duration::from_secs(1), 0.5, SystemTime::UNIX_EPOCH);
/// assert!(matches!(decision, CallDecision::Retry(delay) if delay == Duration::from_secs(2)));
/// // The second attempt starts after the delay, with what is left of the call's 10 s.
/// assert_eq!(call.start_attempt(Duration::from_secs(3))?, Some(Duration::from_secs(7)));
/// assert_eq!(call.attempt(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Call {
    retry: RetryPolicy,
    attempt_timeout: Option<Duration>,
    timeout: Option<Duration>,
    idempotent: bool,
    attempt: u32,
    /// The `x-ms-client-request-id` of every attempt, when the call was started with one.
    client_request_id: Option<HeaderValue>,
    /// The caller's extra headers (checked), put on every attempt.
    extra_headers: HeaderMap,
    /// The origin the call talks to, named by its network errors.
    endpoint: Option<String>,
}

/// What follows an attempt. `Debug` shows a response's status and body length, never its body (it may
/// hold a token).
pub enum CallDecision {
    /// Sleep this long, then authorize the request again and send it again.
    Retry(Duration),
    /// The call is over: parse this response, or return this error.
    Finish(Result<http::Response<Vec<u8>>, Error>),
}

impl fmt::Debug for CallDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Retry(delay) => f.debug_tuple("Retry").field(delay).finish(),
            Self::Finish(Ok(response)) => f
                .debug_struct("Finish")
                .field("status", &response.status())
                .field("body_len", &response.body().len())
                .finish_non_exhaustive(),
            Self::Finish(Err(error)) => f.debug_tuple("Finish").field(error).finish(),
        }
    }
}

impl Call {
    /// A call with the retry policy and time limits of `options`, of an operation whose request may
    /// (`idempotent`) or may not be repeated after it may have reached the service.
    pub fn new(options: &ClientOptions, idempotent: bool) -> Self {
        Self {
            retry: RetryPolicy::new(options.retry),
            attempt_timeout: options.attempt_timeout,
            timeout: options.timeout,
            idempotent,
            attempt: 0,
            client_request_id: None,
            extra_headers: HeaderMap::new(),
            endpoint: None,
        }
    }

    /// A call with the client's `options` overridden by the call's own (`call`), of an operation whose
    /// request may (`idempotent`) or may not be repeated, with the caller's client request id or else one
    /// made of `random_id` (see [`client_request_id`]). Fails on invalid call options, before any I/O.
    pub fn with_options(
        options: &ClientOptions,
        call: &CallOptions,
        idempotent: bool,
        random_id: u128,
    ) -> Result<Self, Error> {
        let client_request_id = call
            .checked_client_request_id()?
            .unwrap_or_else(|| client_request_id(random_id));
        let extra_headers = call.checked_headers()?;
        Ok(Self {
            retry: RetryPolicy::new(call.retry.unwrap_or(options.retry)),
            attempt_timeout: options.attempt_timeout,
            timeout: call.timeout.or(options.timeout),
            idempotent,
            attempt: 0,
            client_request_id: Some(client_request_id),
            extra_headers,
            endpoint: None,
        })
    }

    /// The `x-ms-client-request-id` every attempt carries, when the call has one.
    pub fn client_request_id(&self) -> Option<&HeaderValue> {
        self.client_request_id.as_ref()
    }

    /// Puts the call's client request id and extra headers on `request` (one attempt of it).
    pub fn stamp(&self, request: &mut http::Request<Vec<u8>>) {
        let headers = request.headers_mut();
        if let Some(id) = &self.client_request_id {
            headers.insert(CLIENT_REQUEST_ID, id.clone());
        }
        for (name, value) in &self.extra_headers {
            headers.insert(name, value.clone());
        }
    }

    /// Ends the call: the value of `operation` read from the last response, with that response, the number
    /// of attempts and the call's duration `elapsed`; or the error, annotated with the ids of the call (and
    /// of the last response, if any) and the same figures.
    pub fn complete<O: Operation + ?Sized>(
        &self,
        operation: &O,
        result: Result<http::Response<Vec<u8>>, Error>,
        elapsed: Duration,
    ) -> Result<Response<O::Output>, Error> {
        let response = match result {
            Ok(response) => response,
            Err(error) => return Err(error.in_call(self.context(None, elapsed))),
        };
        let status = response.status();
        // The parser takes the response; the headers are kept for the caller (a few small values).
        let headers = response.headers().clone();
        match operation.parse_response(response) {
            Ok(body) => Ok(Response::new(
                body,
                status,
                headers,
                self.client_request_id.clone(),
                self.attempt,
                elapsed,
            )),
            Err(error) => Err(error.in_call(self.context(Some(&headers), elapsed))),
        }
    }

    fn context(&self, headers: Option<&HeaderMap>, elapsed: Duration) -> CallContext {
        let sent = self.client_request_id.as_ref();
        CallContext {
            client_request_id: sent.map(|id| String::from_utf8_lossy(id.as_bytes()).into_owned()),
            ms_cv: headers.and_then(|h| header_text(h, &MS_CV)),
            request_id: headers.and_then(|h| header_text(h, &REQUEST_ID)),
            attempts: self.attempt,
            elapsed,
            endpoint: self.endpoint.clone(),
        }
    }

    /// Names `endpoint` (an origin, no secret) in the call's network errors.
    pub fn set_endpoint(&mut self, endpoint: &str) {
        self.endpoint = Some(endpoint.to_owned());
    }

    /// The number of the attempt under way, 1 for the first (0 before the first starts).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Starts the next attempt, `elapsed` after the call began, and returns its time limit: the
    /// per-attempt timeout, cut short by what is left of the call's timeout. When nothing is left, the
    /// call fails with a timeout error naming the call's timeout.
    pub fn start_attempt(&mut self, elapsed: Duration) -> Result<Option<Duration>, Error> {
        let Some(total) = self.timeout else {
            self.attempt = self.attempt.saturating_add(1);
            return Ok(self.attempt_timeout);
        };
        let remaining = total.saturating_sub(elapsed);
        if remaining.is_zero() {
            return Err(Error::timeout(total));
        }
        // Counted only once it may go ahead: the attempt count reports attempts made.
        self.attempt = self.attempt.saturating_add(1);
        Ok(Some(
            self.attempt_timeout
                .map_or(remaining, |limit| limit.min(remaining)),
        ))
    }

    /// What follows the attempt that ended with `result`, `elapsed` after the call began: a retry, when
    /// the [`RetryPolicy`] allows one (given the `jitter` in `0..=1` and the time `now`, for an HTTP-date
    /// `Retry-After`) and it starts within the call's timeout; otherwise the end of the call. A timeout
    /// that ends the whole call is reported as the call's timeout, not as the attempt's remainder.
    pub fn decide(
        &self,
        result: Result<http::Response<Vec<u8>>, Error>,
        elapsed: Duration,
        jitter: f64,
        now: SystemTime,
    ) -> CallDecision {
        let decision = match outcome(&result) {
            Some(outcome) => self.retry.decide(
                self.attempt,
                elapsed,
                &outcome,
                self.idempotent,
                jitter,
                now,
            ),
            None => RetryDecision::Stop,
        };
        match decision {
            RetryDecision::RetryAfter(delay) if self.fits(elapsed, delay) => {
                CallDecision::Retry(delay)
            }
            _ => CallDecision::Finish(self.finish(result, elapsed)),
        }
    }

    /// Whether a retry after `delay` still starts within the call's timeout.
    fn fits(&self, elapsed: Duration, delay: Duration) -> bool {
        self.timeout.is_none_or(|total| {
            elapsed
                .checked_add(delay)
                .is_some_and(|start| start < total)
        })
    }

    fn finish(
        &self,
        result: Result<http::Response<Vec<u8>>, Error>,
        elapsed: Duration,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        match (result, self.timeout) {
            (Err(error), Some(total)) if error.kind() == ErrorKind::Timeout && elapsed >= total => {
                Err(Error::timeout(total))
            }
            (result, _) => result,
        }
    }
}

/// What the retry policy needs to know; `None` for failures that no retry can fix.
fn outcome(result: &Result<http::Response<Vec<u8>>, Error>) -> Option<Outcome<'_>> {
    match result {
        Ok(response) => Some(Outcome::Response {
            status: response.status(),
            headers: response.headers(),
        }),
        Err(error) if error.kind() == ErrorKind::Timeout => Some(Outcome::Timeout),
        Err(error) if error.kind() == ErrorKind::Transport => Some(Outcome::Transport {
            may_have_been_sent: error.may_have_been_sent(),
        }),
        Err(_) => None,
    }
}

/// The `x-ms-client-request-id` of a call (the same on all its attempts) made of 128 random bits drawn by
/// the caller: a version 4 UUID, hyphenated, lowercase.
///
/// ```
/// let id = acs_identity_core::client_request_id(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
/// assert_eq!(id, "01234567-89ab-4def-8123-456789abcdef");
/// ```
pub fn client_request_id(random: u128) -> HeaderValue {
    const VERSION: u128 = 0xF << 76;
    const VARIANT: u128 = 0x3 << 62;
    let bits = (((random & !VERSION) | (0x4 << 76)) & !VARIANT) | (0x2 << 62);
    // 32 hex digits, most significant first, with hyphens between the groups: formatted on the stack.
    let mut id = [b'-'; 36];
    let mut nibble = 32;
    for (i, slot) in id.iter_mut().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        nibble -= 1;
        let digit = ((bits >> (nibble * 4)) & 0xF) as u8;
        *slot = if digit < 10 {
            b'0' + digit
        } else {
            b'a' + digit - 10
        };
    }
    HeaderValue::from_bytes(&id).unwrap_or(HeaderValue::from_static(
        "00000000-0000-4000-8000-000000000000",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RetryOptions;

    const SECS: fn(u64) -> Duration = Duration::from_secs;

    fn options(attempt_timeout: Option<u64>, timeout: Option<u64>) -> ClientOptions {
        ClientOptions::default()
            .attempt_timeout(attempt_timeout.map(SECS))
            .timeout(timeout.map(SECS))
    }

    fn response(status: u16) -> Result<http::Response<Vec<u8>>, Error> {
        Ok(http::Response::builder()
            .status(status)
            .body(Vec::new())
            .unwrap())
    }

    fn decide(
        call: &Call,
        result: Result<http::Response<Vec<u8>>, Error>,
        elapsed: u64,
    ) -> CallDecision {
        call.decide(result, SECS(elapsed), 0.5, SystemTime::UNIX_EPOCH)
    }

    fn retried(decision: &CallDecision) -> Option<Duration> {
        match decision {
            CallDecision::Retry(delay) => Some(*delay),
            CallDecision::Finish(_) => None,
        }
    }

    #[test]
    fn attempt_timeouts_are_cut_short_by_the_call_timeout() {
        // (attempt timeout, call timeout, elapsed, expected limit; None: the call has timed out)
        let table = [
            (Some(30), None, 100, Some(Some(30))),
            (None, None, 100, Some(None)),
            (Some(30), Some(100), 0, Some(Some(30))),
            (Some(30), Some(100), 80, Some(Some(20))),
            (None, Some(100), 60, Some(Some(40))),
            (Some(30), Some(100), 100, None),
            (Some(30), Some(100), 150, None),
        ];
        for (attempt_timeout, timeout, elapsed, expected) in table {
            let mut call = Call::new(&options(attempt_timeout, timeout), true);
            let limit = call.start_attempt(SECS(elapsed));
            let case = format!("{attempt_timeout:?} {timeout:?} {elapsed}");
            match expected {
                Some(limit_secs) => {
                    assert_eq!(limit.unwrap(), limit_secs.map(SECS), "{case}");
                }
                None => {
                    let error = limit.unwrap_err();
                    assert_eq!(error.kind(), ErrorKind::Timeout, "{case}");
                    assert_eq!(error.to_string(), Error::timeout(SECS(100)).to_string());
                }
            }
        }
    }

    #[test]
    fn attempts_are_counted() {
        let mut call = Call::new(&ClientOptions::default(), true);
        assert_eq!(call.attempt(), 0);
        for expected in 1..=3 {
            call.start_attempt(Duration::ZERO).unwrap();
            assert_eq!(call.attempt(), expected);
        }
    }

    #[test]
    fn the_retry_policy_decides_within_the_call_timeout() {
        let mut call = Call::new(&options(Some(30), Some(10)), false);
        call.start_attempt(Duration::ZERO).unwrap();
        // 0.8 s backoff for the first retry.
        assert_eq!(
            retried(&decide(&call, response(503), 0)),
            None,
            "not idempotent"
        );
        assert_eq!(
            retried(&decide(&call, response(429), 0)),
            Some(Duration::from_millis(800))
        );
        // A retry that would start at the call's timeout or later is not made.
        assert_eq!(
            retried(&decide(&call, response(429), 9)),
            Some(Duration::from_millis(800))
        );
        assert_eq!(retried(&decide(&call, response(429), 10)), None);
        let CallDecision::Finish(Ok(last)) = decide(&call, response(429), 10) else {
            panic!("the last response is returned")
        };
        assert_eq!(last.status(), 429);

        let unlimited = Call::new(&options(Some(30), None), true);
        assert_eq!(
            retried(&decide(&unlimited, response(503), 100)),
            Some(Duration::from_millis(800))
        );
        assert_eq!(retried(&decide(&unlimited, response(200), 0)), None);
    }

    #[test]
    fn failures_are_mapped_onto_outcomes() {
        let mut call = Call::new(&ClientOptions::default(), false);
        call.start_attempt(Duration::ZERO).unwrap();
        let never_sent = Error::transport(std::io::Error::other("refused"), false);
        let maybe_sent = Error::transport(std::io::Error::other("reset"), true);
        assert!(retried(&decide(&call, Err(never_sent), 0)).is_some());
        assert!(retried(&decide(&call, Err(maybe_sent), 0)).is_none());
        assert!(retried(&decide(&call, Err(Error::timeout(SECS(1))), 0)).is_none());
        assert!(retried(&decide(&call, Err(Error::invalid_input("bad")), 0)).is_none());

        let mut idempotent = Call::new(&ClientOptions::default(), true);
        idempotent.start_attempt(Duration::ZERO).unwrap();
        assert!(retried(&decide(&idempotent, Err(Error::timeout(SECS(1))), 0)).is_some());
        let credential = Error::credential(std::io::Error::other("no token"));
        assert!(retried(&decide(&idempotent, Err(credential), 0)).is_none());
    }

    #[test]
    fn a_timeout_that_ends_the_call_names_the_call_timeout() {
        let mut call = Call::new(&options(Some(30), Some(10)), false);
        call.start_attempt(SECS(4)).unwrap();
        let CallDecision::Finish(Err(error)) = decide(&call, Err(Error::timeout(SECS(6))), 10)
        else {
            panic!("a timeout of a non-idempotent call is final")
        };
        assert_eq!(error.to_string(), Error::timeout(SECS(10)).to_string());
        // Before the call's timeout, the attempt's own timeout is reported.
        let CallDecision::Finish(Err(error)) = decide(&call, Err(Error::timeout(SECS(6))), 9)
        else {
            panic!("a timeout of a non-idempotent call is final")
        };
        assert_eq!(error.to_string(), Error::timeout(SECS(6)).to_string());
    }

    #[test]
    fn debug_never_shows_a_body() {
        let body = br#"{"token":"eyJ-secret"}"#.to_vec();
        let response = http::Response::builder().status(200).body(body).unwrap();
        let shown = format!("{:?}", CallDecision::Finish(Ok(response)));
        assert_eq!(shown, "Finish { status: 200, body_len: 22, .. }");
        let shown = format!("{:?}", CallDecision::Retry(SECS(1)));
        assert_eq!(shown, "Retry(1s)");
    }

    #[test]
    fn call_options_override_the_client_options() {
        let client = options(Some(30), None).timeout(SECS(100));
        let shorter = CallOptions::default().timeout(SECS(5));
        let mut call = Call::with_options(&client, &shorter, true, 1).unwrap();
        assert_eq!(call.start_attempt(Duration::ZERO).unwrap(), Some(SECS(5)));
        assert!(
            call.start_attempt(SECS(5)).is_err(),
            "the call's 5 s are over"
        );
        assert_eq!(
            call.attempt(),
            1,
            "an attempt that may not start is not counted"
        );

        let longer = Call::with_options(
            &options(None, Some(1)),
            &CallOptions::default().timeout(SECS(60)),
            true,
            1,
        );
        assert_eq!(
            longer.unwrap().start_attempt(SECS(2)).unwrap(),
            Some(SECS(58))
        );

        let no_retries = RetryOptions::default().max_retries(0);
        let mut call =
            Call::with_options(&client, &CallOptions::default().retry(no_retries), true, 1)
                .unwrap();
        call.start_attempt(Duration::ZERO).unwrap();
        assert_eq!(retried(&decide(&call, response(503), 0)), None);
        let mut call = Call::with_options(&client, &CallOptions::default(), true, 1).unwrap();
        call.start_attempt(Duration::ZERO).unwrap();
        assert!(retried(&decide(&call, response(503), 0)).is_some());
    }

    #[test]
    fn attempts_carry_the_call_id_and_the_extra_headers() {
        let chosen = CallOptions::default()
            .client_request_id("ticket-1")
            .header("traceparent", "00-a-b-01");
        let call = Call::with_options(&ClientOptions::default(), &chosen, true, 1).unwrap();
        let mut request = http::Request::new(Vec::new());
        call.stamp(&mut request);
        assert_eq!(request.headers()["x-ms-client-request-id"], "ticket-1");
        assert_eq!(request.headers()["traceparent"], "00-a-b-01");

        let random =
            Call::with_options(&ClientOptions::default(), &CallOptions::default(), true, 0)
                .unwrap();
        assert_eq!(random.client_request_id().unwrap(), client_request_id(0));

        let refused = CallOptions::default().header("Authorization", "Bearer x");
        let error = Call::with_options(&ClientOptions::default(), &refused, true, 1).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_eq!((error.attempts(), error.client_request_id()), (0, None));
    }

    #[test]
    fn a_failed_call_reports_its_ids_attempts_and_duration() {
        let chosen = CallOptions::default().client_request_id("ticket-2");
        let mut call = Call::with_options(&ClientOptions::default(), &chosen, true, 1).unwrap();
        call.start_attempt(Duration::ZERO).unwrap();
        call.start_attempt(SECS(1)).unwrap();
        let operation = crate::CreateUser::default();

        let error = call
            .complete(&operation, Err(Error::timeout(SECS(1))), SECS(3))
            .unwrap_err();
        assert_eq!(error.client_request_id(), Some("ticket-2"));
        assert_eq!(
            (error.attempts(), error.elapsed(), error.ms_cv()),
            (2, Some(SECS(3)), None)
        );

        // An undecodable success keeps the ids of its response too.
        let undecodable = http::Response::builder()
            .status(201)
            .header("ms-cv", "cv.0")
            .header("x-ms-request-id", "rid")
            .body(b"not json".to_vec())
            .unwrap();
        let error = call
            .complete(&operation, Ok(undecodable), SECS(3))
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert_eq!(
            (error.ms_cv(), error.request_id()),
            (Some("cv.0"), Some("rid"))
        );

        let refused = http::Response::builder()
            .status(401)
            .header("ms-cv", "cv.1")
            .header("x-ms-client-request-id", "ticket-2")
            .body(br#"{"error":{"code":"Denied","message":"no"}}"#.to_vec())
            .unwrap();
        let error = call.complete(&operation, Ok(refused), SECS(3)).unwrap_err();
        let service = error.service_error().unwrap();
        assert_eq!(error.ms_cv(), service.ms_cv());
        assert_eq!(error.client_request_id(), service.client_request_id());
        assert_eq!(error.attempts(), 2);
    }

    #[test]
    fn client_request_ids_are_version_4_uuids() {
        assert_eq!(client_request_id(0), "00000000-0000-4000-8000-000000000000");
        assert_eq!(
            client_request_id(u128::MAX),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert_eq!(
            client_request_id(0xfedc_ba98_7654_3210_fedc_ba98_7654_3210),
            "fedcba98-7654-4210-bedc-ba9876543210"
        );
        // The same text as formatting each field in hex.
        let mut random = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834_u128;
        for _ in 0..64 {
            random = random
                .wrapping_mul(0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645)
                .wrapping_add(1);
            let bits = (random & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
            let expected = format!(
                "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                bits >> 96,
                (bits >> 80) & 0xFFFF,
                (bits >> 64) & 0xFFFF,
                (bits >> 48) & 0xFFFF,
                bits & 0xFFFF_FFFF_FFFF,
            );
            assert_eq!(client_request_id(random), expected.as_str());
        }
    }
}
