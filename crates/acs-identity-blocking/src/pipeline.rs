//! The one send loop: start -> authorize -> send -> ask the core -> sleep -> again.

use std::time::{Instant, SystemTime};

use acs_identity_core::{
    Authorization, Call, CallDecision, CallOptions, Error, Operation, Response,
};
use http::header::AUTHORIZATION;

use acs_identity_core::ClientCredential;

use crate::client::Inner;
use crate::events;

impl Inner {
    /// Runs `operation` inside `span` with the call's `options`, for its value and response.
    pub(crate) fn call_with_response<O: Operation>(
        &self,
        operation: O,
        options: &CallOptions,
        span: tracing::Span,
    ) -> Result<Response<O::Output>, Error> {
        let _entered = span.enter();
        self.send(&operation, options)
    }

    fn send<O: Operation>(
        &self,
        operation: &O,
        options: &CallOptions,
    ) -> Result<Response<O::Output>, Error> {
        let (request, mut call) =
            self.config
                .start_call(operation, acs_identity_core::random_u128(), options)?;
        let started = Instant::now();
        let result = self.attempts(operation, request, &mut call, started);
        let elapsed = started.elapsed();
        events::finished(call.attempt(), elapsed);
        call.complete(operation, result, elapsed)
    }

    /// The attempts of a call, until the core says it is over: its last response or error.
    fn attempts<O: Operation>(
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
                self.authorize(&mut attempt)?;
            }
            let timeout = call.start_attempt(&attempt, started.elapsed())?;
            events::sending(call.attempt(), &attempt);
            let result = self.transport.send(attempt, timeout);
            // One clock read for the log and the decision.
            let elapsed = started.elapsed();
            events::received(&result, elapsed);
            match call.decide(
                result,
                elapsed,
                acs_identity_core::random_unit(),
                SystemTime::now(),
            ) {
                CallDecision::Retry(delay) => {
                    events::retrying(call.attempt(), delay);
                    std::thread::sleep(delay);
                }
                CallDecision::Finish(result) => return result,
            }
        }
    }

    /// Adds the `Authorization` of this attempt: a fresh HMAC signature (new `x-ms-date`) or the cached bearer.
    fn authorize(&self, request: &mut http::Request<Vec<u8>>) -> Result<(), Error> {
        match &self.credential {
            ClientCredential::AccessKey(key) => {
                acs_auth::sign_request(request, key, SystemTime::now())
            }
            ClientCredential::Entra(cache) => {
                let value = cache.authorization()?;
                request.headers_mut().insert(AUTHORIZATION, value);
            }
        }
        Ok(())
    }
}
