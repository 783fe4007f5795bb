//! The one send loop: start -> authorize -> send -> ask the core -> sleep -> again.

use std::time::{Duration, Instant, SystemTime};

use acs_identity_core::{
    Authorization, Call, CallDecision, CallOptions, Error, LoggedHeaders, Operation, Response,
};
use http::header::AUTHORIZATION;
use tracing::Instrument as _;

use crate::client::{Credential, Inner};

impl Inner {
    /// Runs `operation` inside `span` with the call's `options`, for its value and response.
    ///
    /// All of a call's work happens inside the returned future (no task is spawned): dropping it cancels the
    /// call at once, the attempt in flight and any retry to come.
    pub(crate) async fn call_with_response<O: Operation>(
        &self,
        operation: O,
        options: &CallOptions,
        span: tracing::Span,
    ) -> Result<Response<O::Output>, Error> {
        self.send(&operation, options).instrument(span).await
    }

    async fn send<O: Operation>(
        &self,
        operation: &O,
        options: &CallOptions,
    ) -> Result<Response<O::Output>, Error> {
        let (request, mut call) =
            self.config
                .start_call(operation, acs_identity_core::random_u128(), options)?;
        let started = Instant::now();
        let result = self.attempts(operation, request, &mut call, started).await;
        let elapsed = started.elapsed();
        tracing::debug!(
            attempts = call.attempt(),
            elapsed_ms = elapsed.as_millis() as u64,
            "call finished"
        );
        call.complete(operation, result, elapsed)
    }

    /// The attempts of a call, until the core says it is over: its last response or error.
    async fn attempts<O: Operation>(
        &self,
        operation: &O,
        request: http::Request<Vec<u8>>,
        call: &mut Call,
        started: Instant,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        // The first attempt sends the request as built; a retry builds it again (the same bytes, the same
        // client request id) rather than every call keeping a copy.
        let mut first = Some(request);
        loop {
            let mut attempt = match first.take() {
                Some(request) => request,
                None => self.config.rebuild(operation, call)?,
            };
            if operation.authorization() == Authorization::Credential {
                self.authorize(&mut attempt).await?;
            }
            let timeout = call.start_attempt(&attempt, started.elapsed())?;
            log_request(call.attempt(), &attempt);
            let result = self.transport.send(attempt, timeout).await;
            // One clock read for the log and the decision.
            let elapsed = started.elapsed();
            log_result(&result, elapsed);
            match call.decide(
                result,
                elapsed,
                acs_identity_core::random_unit(),
                SystemTime::now(),
            ) {
                CallDecision::Retry(delay) => {
                    let delay_ms = delay.as_millis() as u64;
                    tracing::debug!(attempt = call.attempt(), delay_ms, "retrying");
                    tokio::time::sleep(delay).await;
                }
                CallDecision::Finish(result) => return result,
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
}

fn log_request(attempt: u32, request: &http::Request<Vec<u8>>) {
    tracing::debug!(
        attempt,
        method = %request.method(),
        uri = %request.uri(),
        headers = %LoggedHeaders(request.headers()),
        body_len = request.body().len(),
        "sending request"
    );
}

fn log_result(result: &Result<http::Response<Vec<u8>>, Error>, elapsed: Duration) {
    let elapsed_ms = elapsed.as_millis() as u64;
    match result {
        Ok(response) => tracing::debug!(
            status = response.status().as_u16(),
            headers = %LoggedHeaders(response.headers()),
            body_len = response.body().len(),
            elapsed_ms,
            "received response"
        ),
        Err(error) => {
            tracing::debug!(error = %error, source = ?std::error::Error::source(error), elapsed_ms, "request failed")
        }
    }
}
