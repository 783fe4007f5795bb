//! One call of a client, over all its attempts: the time limits of each attempt and of the whole call,
//! and what follows an attempt (retry after a delay, or finish).

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};

use crate::error::CallContext;
use crate::retry::Verdict;
use crate::sent_secrets::SentSecrets;
use crate::service_error::{CLIENT_REQUEST_ID, MS_CV, REQUEST_ID, ServiceError, header_text};
use crate::{
    CallOptions, ClientOptions, Error, ErrorKind, Operation, Outcome, Response, RetryPolicy,
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
/// # let request = http::Request::new(Vec::<u8>::new());
/// // The first attempt may take 10 s, the per-attempt limit (30 s) cut short by the call's.
/// assert_eq!(call.start_attempt(&request, Duration::ZERO)?, Some(Duration::from_secs(10)));
/// let throttled = http::Response::builder().status(429).header("retry-after", "2").body(Vec::new())?;
/// let decision = call.decide(Ok(throttled), Duration::from_secs(1), 0.5, SystemTime::UNIX_EPOCH);
/// assert!(matches!(decision, CallDecision::Retry(delay) if delay == Duration::from_secs(2)));
/// // The second attempt starts after the delay, with what is left of the call's 10 s.
/// assert_eq!(call.start_attempt(&request, Duration::from_secs(3))?, Some(Duration::from_secs(7)));
/// assert_eq!(call.attempt(), 2);
///
/// // A server that asks to wait longer than the call has left ends it at once.
/// let busy = http::Response::builder().status(429).header("retry-after", "3600").body(Vec::new())?;
/// let decision = call.decide(Ok(busy), Duration::from_secs(4), 0.5, SystemTime::UNIX_EPOCH);
/// let CallDecision::Finish(last) = decision else { unreachable!() };
/// let error = call.complete(&acs_identity_core::CreateUser::default(), last, Duration::from_secs(4)).unwrap_err();
/// let service = error.service_error().unwrap();
/// assert_eq!(service.retry_after_beyond_budget(), Some(Duration::from_secs(3600)));
/// assert!(error.to_string().contains("not retried: the service asked to wait 3600s"), "{error}");
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
    /// What the attempts sent that an error must not show if the server echoes it.
    secrets: SentSecrets,
    /// Set when the call ended because the service asked to wait longer than the call had left.
    beyond_budget: Option<(Duration, Duration)>,
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
            secrets: SentSecrets::default(),
            beyond_budget: None,
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
            secrets: SentSecrets::default(),
            beyond_budget: None,
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
    ///
    /// A non-success response is the service's error ([`ErrorKind::Service`]), read here rather than by
    /// [`Operation::parse_response`]: bounded as [`ServiceError`] says, with every secret the call sent (the
    /// `Authorization` of its attempts, the [`Operation::secrets`] of its body) redacted, and marked when the
    /// service asked to wait longer than the call had left
    /// ([`ServiceError::retry_after_beyond_budget`]).
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
        if !status.is_success() {
            let secrets = self.secrets_of(operation);
            let mut error =
                ServiceError::from_call(status, response.headers(), response.body(), &secrets);
            if let Some((asked, left)) = self.beyond_budget {
                error = error.with_retry_after_beyond_budget(asked, left);
            }
            let context = self.context(Some(response.headers()), elapsed);
            return Err(Error::service(error).in_call(context));
        }
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

    /// The secrets of the call's attempts and of `operation`.
    fn secrets_of<O: Operation + ?Sized>(&self, operation: &O) -> SentSecrets {
        let mut secrets = self.secrets.clone();
        for secret in operation.secrets() {
            secrets.add(secret);
        }
        secrets
    }

    fn context(&self, headers: Option<&HeaderMap>, elapsed: Duration) -> CallContext {
        let sent = self.client_request_id.as_ref();
        let redactor = headers.map(|_| self.secrets.redactor());
        let header = |name| {
            let (text, _) = header_text(headers?, name, redactor.as_ref()?)?;
            Some(text)
        };
        CallContext {
            client_request_id: sent.map(|id| String::from_utf8_lossy(id.as_bytes()).into_owned()),
            ms_cv: header(&MS_CV),
            request_id: header(&REQUEST_ID),
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

    /// Starts the next attempt, `elapsed` after the call began, sending `request` (authorized: the call
    /// remembers its `Authorization`, to redact it from an error that echoes it), and returns its time
    /// limit: the per-attempt timeout, cut short by what is left of the call's timeout. When nothing is
    /// left, the call fails with a timeout error naming the call's timeout.
    pub fn start_attempt<B>(
        &mut self,
        request: &http::Request<B>,
        elapsed: Duration,
    ) -> Result<Option<Duration>, Error> {
        self.secrets.add_authorization(request.headers());
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
    ///
    /// When the service asks to wait (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`) longer than
    /// what is left of the policy's `max_total` or of the call's timeout, the call ends at once with that
    /// answer instead of sleeping to no purpose, and [`complete`](Self::complete) marks its error.
    pub fn decide(
        &mut self,
        result: Result<http::Response<Vec<u8>>, Error>,
        elapsed: Duration,
        jitter: f64,
        now: SystemTime,
    ) -> CallDecision {
        self.beyond_budget = None;
        let verdict = match outcome(&result) {
            Some(outcome) => self.retry.verdict(
                self.attempt,
                elapsed,
                &outcome,
                self.idempotent,
                jitter,
                now,
            ),
            None => Verdict::Stop,
        };
        let call_left = self.timeout.map(|total| total.saturating_sub(elapsed));
        match verdict {
            Verdict::Retry {
                asked: Some(asked), ..
            } if !asked.is_zero() && !self.fits(elapsed, asked) => {
                self.beyond_budget = Some((asked, call_left.unwrap_or_default()));
            }
            Verdict::Retry { delay, .. } if self.fits(elapsed, delay) => {
                return CallDecision::Retry(delay);
            }
            Verdict::BeyondBudget { asked, left } => {
                let left = call_left.map_or(left, |call_left| call_left.min(left));
                self.beyond_budget = Some((asked, left));
            }
            Verdict::Retry { .. } | Verdict::Stop => {}
        }
        CallDecision::Finish(self.finish(result, elapsed))
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

    /// An attempt as sent (unsigned: these tests are about time).
    fn sent() -> http::Request<Vec<u8>> {
        http::Request::new(Vec::new())
    }

    fn decide(
        call: &mut Call,
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
            let limit = call.start_attempt(&sent(), SECS(elapsed));
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
            call.start_attempt(&sent(), Duration::ZERO).unwrap();
            assert_eq!(call.attempt(), expected);
        }
    }

    #[test]
    fn the_retry_policy_decides_within_the_call_timeout() {
        let mut call = Call::new(&options(Some(30), Some(10)), false);
        call.start_attempt(&sent(), Duration::ZERO).unwrap();
        // 0.8 s backoff for the first retry.
        assert_eq!(
            retried(&decide(&mut call, response(503), 0)),
            None,
            "not idempotent"
        );
        assert_eq!(
            retried(&decide(&mut call, response(429), 0)),
            Some(Duration::from_millis(800))
        );
        // A retry that would start at the call's timeout or later is not made.
        assert_eq!(
            retried(&decide(&mut call, response(429), 9)),
            Some(Duration::from_millis(800))
        );
        assert_eq!(retried(&decide(&mut call, response(429), 10)), None);
        let CallDecision::Finish(Ok(last)) = decide(&mut call, response(429), 10) else {
            panic!("the last response is returned")
        };
        assert_eq!(last.status(), 429);

        let mut unlimited = Call::new(&options(Some(30), None), true);
        assert_eq!(
            retried(&decide(&mut unlimited, response(503), 100)),
            Some(Duration::from_millis(800))
        );
        assert_eq!(retried(&decide(&mut unlimited, response(200), 0)), None);
    }

    #[test]
    fn failures_are_mapped_onto_outcomes() {
        let mut call = Call::new(&ClientOptions::default(), false);
        call.start_attempt(&sent(), Duration::ZERO).unwrap();
        let never_sent = Error::transport(std::io::Error::other("refused"), false);
        let maybe_sent = Error::transport(std::io::Error::other("reset"), true);
        assert!(retried(&decide(&mut call, Err(never_sent), 0)).is_some());
        assert!(retried(&decide(&mut call, Err(maybe_sent), 0)).is_none());
        assert!(retried(&decide(&mut call, Err(Error::timeout(SECS(1))), 0)).is_none());
        assert!(retried(&decide(&mut call, Err(Error::invalid_input("bad")), 0)).is_none());

        let mut idempotent = Call::new(&ClientOptions::default(), true);
        idempotent.start_attempt(&sent(), Duration::ZERO).unwrap();
        assert!(retried(&decide(&mut idempotent, Err(Error::timeout(SECS(1))), 0)).is_some());
        let credential = Error::credential(std::io::Error::other("no token"));
        assert!(retried(&decide(&mut idempotent, Err(credential), 0)).is_none());
    }

    #[test]
    fn a_timeout_that_ends_the_call_names_the_call_timeout() {
        let mut call = Call::new(&options(Some(30), Some(10)), false);
        call.start_attempt(&sent(), SECS(4)).unwrap();
        let CallDecision::Finish(Err(error)) = decide(&mut call, Err(Error::timeout(SECS(6))), 10)
        else {
            panic!("a timeout of a non-idempotent call is final")
        };
        assert_eq!(error.to_string(), Error::timeout(SECS(10)).to_string());
        // Before the call's timeout, the attempt's own timeout is reported.
        let CallDecision::Finish(Err(error)) = decide(&mut call, Err(Error::timeout(SECS(6))), 9)
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
        assert_eq!(
            call.start_attempt(&sent(), Duration::ZERO).unwrap(),
            Some(SECS(5))
        );
        assert!(
            call.start_attempt(&sent(), SECS(5)).is_err(),
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
            longer.unwrap().start_attempt(&sent(), SECS(2)).unwrap(),
            Some(SECS(58))
        );

        let no_retries = RetryOptions::default().max_retries(0);
        let mut call =
            Call::with_options(&client, &CallOptions::default().retry(no_retries), true, 1)
                .unwrap();
        call.start_attempt(&sent(), Duration::ZERO).unwrap();
        assert_eq!(retried(&decide(&mut call, response(503), 0)), None);
        let mut call = Call::with_options(&client, &CallOptions::default(), true, 1).unwrap();
        call.start_attempt(&sent(), Duration::ZERO).unwrap();
        assert!(retried(&decide(&mut call, response(503), 0)).is_some());
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
        call.start_attempt(&sent(), Duration::ZERO).unwrap();
        call.start_attempt(&sent(), SECS(1)).unwrap();
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

    fn asking(
        status: u16,
        name: &'static str,
        value: &str,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        Ok(http::Response::builder()
            .status(status)
            .header(name, value)
            .body(br#"{"error":{"code":"Busy","message":"Come back later."}}"#.to_vec())
            .unwrap())
    }

    /// The error a call ends with after `decision`.
    fn ended(call: &Call, decision: CallDecision, elapsed: Duration) -> Error {
        let CallDecision::Finish(result) = decision else {
            panic!("the call goes on: {decision:?}")
        };
        call.complete(&crate::CreateUser::default(), result, elapsed)
            .unwrap_err()
    }

    #[test]
    fn a_retry_after_beyond_the_budget_ends_the_call_at_once_in_every_form() {
        // Sun, 06 Nov 1994 08:49:37 GMT, and an HTTP date an hour later.
        let now = SystemTime::UNIX_EPOCH + SECS(784_111_777);
        let forms = [
            ("retry-after", "3600"),
            ("retry-after-ms", "3600000"),
            ("x-ms-retry-after-ms", "3600000"),
            ("retry-after", "Sun, 06 Nov 1994 09:49:37 GMT"),
        ];
        for (status, idempotent) in [(429, false), (503, true)] {
            for (name, value) in forms {
                let mut call = Call::new(&ClientOptions::default(), idempotent);
                call.start_attempt(&sent(), Duration::ZERO).unwrap();
                let decision = call.decide(asking(status, name, value), SECS(1), 0.5, now);
                let error = ended(&call, decision, SECS(1));
                let case = format!("{status} {name}: {value}");
                assert_eq!(error.kind(), ErrorKind::Service, "{case}");
                assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{case}");
                let service = error.service_error().unwrap();
                assert_eq!(
                    service.retry_after_beyond_budget(),
                    Some(SECS(3600)),
                    "{case}"
                );
                assert!(
                    error.to_string().contains(
                        "not retried: the service asked to wait 3600s, longer than the 119s left"
                    ),
                    "{case}: {error}"
                );
                assert_eq!(error.attempts(), 1, "{case}");
            }
        }
    }

    #[test]
    fn a_retry_after_beyond_the_call_deadline_ends_the_call_at_once() {
        let client = ClientOptions::default();
        let deadline = CallOptions::default().timeout(SECS(5));
        for (name, value) in [
            ("retry-after", "10"),
            ("retry-after-ms", "10000"),
            ("x-ms-retry-after-ms", "10000"),
        ] {
            // 10 s fit in the policy's 120 s and under its 60 s cap, not in the call's 5 s.
            let mut call = Call::with_options(&client, &deadline, true, 1).unwrap();
            call.start_attempt(&sent(), Duration::ZERO).unwrap();
            let decision = decide(&mut call, asking(503, name, value), 1);
            let error = ended(&call, decision, SECS(1));
            let service = error.service_error().unwrap();
            assert_eq!(
                service.retry_after_beyond_budget(),
                Some(SECS(10)),
                "{name}"
            );
            assert!(
                error
                    .to_string()
                    .contains("wait 10s, longer than the 4s left"),
                "{error}"
            );
            // Within the deadline, the same answer is waited for.
            let mut call = Call::with_options(&client, &deadline, true, 1).unwrap();
            call.start_attempt(&sent(), Duration::ZERO).unwrap();
            let short = value.replace("10", "3");
            let decision = decide(&mut call, asking(503, name, &short), 1);
            assert_eq!(retried(&decision), Some(SECS(3)), "{name}");
        }
        // The client's own timeout counts the same way.
        let mut call = Call::new(&options(Some(30), Some(5)), true);
        call.start_attempt(&sent(), Duration::ZERO).unwrap();
        let decision = decide(&mut call, asking(429, "retry-after", "6"), 0);
        let error = ended(&call, decision, Duration::ZERO);
        assert_eq!(
            error.service_error().unwrap().retry_after_beyond_budget(),
            Some(SECS(6))
        );
    }

    #[test]
    fn other_ends_of_a_call_are_not_marked() {
        // No retries left: the server's delay did not decide.
        let mut call = Call::new(&ClientOptions::default().retry(RetryOptions::none()), true);
        call.start_attempt(&sent(), Duration::ZERO).unwrap();
        let decision = decide(&mut call, asking(503, "retry-after", "3600"), 0);
        let error = ended(&call, decision, Duration::ZERO);
        assert_eq!(
            error.service_error().unwrap().retry_after_beyond_budget(),
            None
        );
        assert!(!error.to_string().contains("not retried"), "{error}");
        // Out of time, with a server that asks for no wait at all.
        let mut call = Call::new(&options(Some(30), Some(5)), true);
        call.start_attempt(&sent(), Duration::ZERO).unwrap();
        let decision = decide(&mut call, asking(503, "retry-after", "0"), 5);
        let error = ended(&call, decision, SECS(5));
        assert_eq!(
            error.service_error().unwrap().retry_after_beyond_budget(),
            None
        );
        // A mark does not outlive the decision that made it.
        let mut call = Call::new(&ClientOptions::default(), true);
        call.start_attempt(&sent(), Duration::ZERO).unwrap();
        let _ = decide(&mut call, asking(503, "retry-after", "3600"), 0);
        let decision = decide(&mut call, asking(400, "retry-after", "1"), 0);
        let error = ended(&call, decision, Duration::ZERO);
        assert_eq!(
            error.service_error().unwrap().retry_after_beyond_budget(),
            None
        );
    }

    #[test]
    fn an_error_never_shows_what_an_attempt_sent() {
        let signature = "c2lnbmF0dXJlLW9mLWF0dGVtcHQtb25lLWFhYWFhYWE=";
        let bearer = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJhcHAifQ.c2ln-bearer";
        let mut call = Call::new(&ClientOptions::default(), true);
        for authorization in [
            format!(
                "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"
            ),
            format!("Bearer {bearer}"),
        ] {
            let mut request = sent();
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, authorization.parse().unwrap());
            call.start_attempt(&request, Duration::ZERO).unwrap();
        }
        // The last answer echoes the first attempt's signature, and the second's token in a header.
        let body =
            format!(r#"{{"error":{{"code":"Denied","message":"bad signature {signature}"}}}}"#);
        let answer = http::Response::builder()
            .status(401)
            .header("ms-cv", format!("Bearer {bearer}"))
            .body(body.into_bytes())
            .unwrap();
        let error = call
            .complete(&crate::CreateUser::default(), Ok(answer), SECS(1))
            .unwrap_err();
        let shown = format!("{error} {error:?} {:?}", error.ms_cv());
        assert!(
            !shown.contains(signature) && !shown.contains(bearer),
            "{shown}"
        );
        assert_eq!(
            error.service_error().unwrap().message(),
            Some("bad signature [redacted]")
        );
        assert_eq!(error.ms_cv(), Some("[redacted]"));
        // Nor does `Debug` of the call.
        let debug = format!("{call:?}");
        assert!(
            !debug.contains(signature) && !debug.contains(bearer),
            "{debug}"
        );

        // A 2xx that does not decode keeps its ids redacted too.
        let undecodable = http::Response::builder()
            .status(200)
            .header("x-ms-request-id", signature)
            .body(b"not json".to_vec())
            .unwrap();
        let error = call
            .complete(&crate::CreateUser::default(), Ok(undecodable), SECS(1))
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert_eq!(error.request_id(), Some("[redacted]"));
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
