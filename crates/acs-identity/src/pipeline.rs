//! The one send loop: prepare -> authorize -> send -> ask the retry policy -> sleep -> again.

use std::time::{Duration, Instant, SystemTime};

use acs_identity_core::{
    Authorization, Error, ErrorKind, Operation, Outcome, RetryDecision, prepare,
};
use http::HeaderValue;
use http::header::AUTHORIZATION;
use tracing::Instrument as _;

use crate::client::{Credential, Inner};
use crate::logging::Headers;

impl Inner {
    /// Runs `operation` inside `span` (one per public method).
    pub(crate) async fn call<O: Operation>(
        &self,
        operation: O,
        span: tracing::Span,
    ) -> Result<O::Output, Error> {
        self.send(&operation).instrument(span).await
    }

    async fn send<O: Operation>(&self, operation: &O) -> Result<O::Output, Error> {
        if let Some(problem) = &self.invalid_options {
            return Err(Error::invalid_input(problem.clone()));
        }
        let request = prepare(operation, &self.service, &client_request_id())?;
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut attempt_request = request.clone();
            if operation.authorization() == Authorization::Credential {
                self.authorize(&mut attempt_request).await?;
            }
            let timeout = self.attempt_timeout(started)?;
            log_request(attempt, &attempt_request);
            let result = self.transport.send(attempt_request, timeout).await;
            log_result(&result, started);
            let decision = match outcome(&result) {
                Some(outcome) => {
                    let jitter = rand::random::<f64>();
                    let idempotent = operation.is_idempotent();
                    self.retry.decide(
                        attempt,
                        started.elapsed(),
                        &outcome,
                        idempotent,
                        jitter,
                        SystemTime::now(),
                    )
                }
                None => RetryDecision::Stop,
            };
            match decision {
                RetryDecision::RetryAfter(delay) if self.fits(started, delay) => {
                    tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
                    tokio::time::sleep(delay).await;
                }
                _ => {
                    return self
                        .finish(result, started)
                        .and_then(|response| operation.parse_response(response));
                }
            }
        }
    }

    /// Adds the `Authorization` of this attempt: a fresh HMAC signature (new `x-ms-date`) or the cached bearer.
    async fn authorize(&self, request: &mut http::Request<Vec<u8>>) -> Result<(), Error> {
        match &self.credential {
            Credential::AccessKey(key) => acs_auth::sign_request(request, key, SystemTime::now()),
            Credential::Entra(cache) => {
                let value = cache.authorization().await?;
                request.headers_mut().insert(AUTHORIZATION, value);
            }
        }
        Ok(())
    }

    /// The attempt's time limit: the per-attempt timeout, cut short by what is left of the call's.
    fn attempt_timeout(&self, started: Instant) -> Result<Option<Duration>, Error> {
        let Some(total) = self.options.timeout else {
            return Ok(self.options.attempt_timeout);
        };
        let remaining = total.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            return Err(Error::timeout(total));
        }
        Ok(Some(
            self.options
                .attempt_timeout
                .map_or(remaining, |limit| limit.min(remaining)),
        ))
    }

    /// Whether a retry after `delay` still starts within the call's timeout.
    fn fits(&self, started: Instant, delay: Duration) -> bool {
        self.options
            .timeout
            .is_none_or(|total| started.elapsed() + delay < total)
    }

    /// Reports a timeout that ended the whole call as the call's timeout, not the attempt's remainder.
    fn finish(
        &self,
        result: Result<http::Response<Vec<u8>>, Error>,
        started: Instant,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        match (result, self.options.timeout) {
            (Err(error), Some(total))
                if error.kind() == ErrorKind::Timeout && started.elapsed() >= total =>
            {
                Err(Error::timeout(total))
            }
            (result, _) => result,
        }
    }
}

/// A new `x-ms-client-request-id`: one per call, the same on all its attempts.
fn client_request_id() -> HeaderValue {
    let mut buffer = uuid::Uuid::encode_buffer();
    let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_str(id).unwrap_or(HeaderValue::from_static(
        "00000000-0000-0000-0000-000000000000",
    ))
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

fn log_request(attempt: u32, request: &http::Request<Vec<u8>>) {
    tracing::debug!(
        attempt,
        method = %request.method(),
        uri = %request.uri(),
        headers = %Headers(request.headers()),
        body_len = request.body().len(),
        "sending request"
    );
}

fn log_result(result: &Result<http::Response<Vec<u8>>, Error>, started: Instant) {
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(response) => tracing::debug!(
            status = response.status().as_u16(),
            headers = %Headers(response.headers()),
            body_len = response.body().len(),
            elapsed_ms,
            "received response"
        ),
        Err(error) => {
            tracing::debug!(error = %error, source = ?std::error::Error::source(error), elapsed_ms, "request failed")
        }
    }
}
