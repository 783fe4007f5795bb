//! What every call of one client shares: the service settings, the options, and how a call starts.

use acs_auth::Endpoint;
use http::HeaderValue;

use crate::user_agent::SDK;
use crate::{
    Call, CallOptions, ClientOptions, Error, Operation, ServiceConfig, client_request_id, prepare,
};

/// A client's settings, resolved once from its endpoint and [`ClientOptions`].
///
/// Building one never fails: an invalid application id makes every call fail, before any I/O, with an
/// [`ErrorKind::InvalidInput`](crate::ErrorKind) error, so that client constructors stay infallible.
///
/// ```
/// use acs_auth::Endpoint;
/// use acs_identity_core::{ClientConfig, ClientOptions, CreateUser};
///
/// let endpoint = Endpoint::parse("https://contoso.communication.azure.com")?;
/// let config = ClientConfig::new(endpoint, ClientOptions::default(), "0.1.0", "rustc-1.88.0");
/// let (request, call) = config.start(&CreateUser::default(), 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)?;
/// assert_eq!(request.headers()["x-ms-client-request-id"], "01234567-89ab-4def-8123-456789abcdef");
/// assert_eq!(call.attempt(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientConfig {
    service: ServiceConfig,
    options: ClientOptions,
    /// Why the options are unusable; every call fails with it.
    invalid_options: Option<String>,
}

impl ClientConfig {
    /// The settings of a client of `endpoint`. Its `User-Agent` names the frontend's `crate_version`, the
    /// `rustc` it was built with, and the OS and architecture it runs on, after the application id of
    /// `options`.
    pub fn new(
        endpoint: Endpoint,
        options: ClientOptions,
        crate_version: &str,
        rustc: &str,
    ) -> Self {
        let user_agent = |application_id| {
            crate::user_agent(
                application_id,
                crate_version,
                rustc,
                std::env::consts::OS,
                std::env::consts::ARCH,
            )
        };
        let (user_agent, invalid_options) = match user_agent(options.application_id.as_deref()) {
            Ok(value) => (value, None),
            // Keep a usable client value; every call reports the problem.
            Err(error) => (
                user_agent(None).unwrap_or(HeaderValue::from_static(SDK)),
                Some(error.to_string()),
            ),
        };
        Self {
            service: ServiceConfig::new(endpoint, options.api_version, user_agent),
            options,
            invalid_options,
        }
    }

    /// The resource and settings requests are built for.
    pub fn service(&self) -> &ServiceConfig {
        &self.service
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// Starts a call of `operation`: its unsigned request, stamped with the call's client request id
    /// (made of `request_id`, random bits drawn by the caller; see [`client_request_id`]), and its
    /// [`Call`] state. Fails before any I/O on invalid options or input.
    pub fn start<O: Operation + ?Sized>(
        &self,
        operation: &O,
        request_id: u128,
    ) -> Result<(http::Request<Vec<u8>>, Call), Error> {
        let request = self.request(operation, request_id)?;
        Ok((request, Call::new(&self.options, operation.is_idempotent())))
    }

    /// Starts a call of `operation` with the call's own `options` (see [`CallOptions`]): its unsigned request,
    /// stamped with the call's client request id (the caller's, or one made of `random_id`) and extra headers,
    /// and its [`Call`] state, whose timeout and retry policy are the call's where it sets them. Fails before
    /// any I/O on invalid client options, call options or input.
    pub fn start_call<O: Operation + ?Sized>(
        &self,
        operation: &O,
        random_id: u128,
        options: &CallOptions,
    ) -> Result<(http::Request<Vec<u8>>, Call), Error> {
        self.check()?;
        let mut call =
            Call::with_options(&self.options, options, operation.is_idempotent(), random_id)?;
        call.set_endpoint(self.service.endpoint.as_str());
        let request = self.rebuild(operation, &call)?;
        Ok((request, call))
    }

    /// The unsigned request of another attempt of `call`: the one [`start_call`](Self::start_call) returned,
    /// built again (building is deterministic), so that a frontend keeps no copy of every first attempt.
    pub fn rebuild<O: Operation + ?Sized>(
        &self,
        operation: &O,
        call: &Call,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        self.check()?;
        let mut request = operation.build_request(&self.service)?;
        call.stamp(&mut request);
        Ok(request)
    }

    /// Fails when the client's options are unusable.
    fn check(&self) -> Result<(), Error> {
        match &self.invalid_options {
            Some(problem) => Err(Error::invalid_input(problem.clone())),
            None => Ok(()),
        }
    }

    /// The unsigned request of `operation` with the client request id made of `request_id`: the request
    /// [`start`](Self::start) returns, built again. Building is deterministic, so a frontend can rebuild the
    /// request of a retry (with the same `request_id`) instead of keeping a copy of every first attempt.
    pub fn request<O: Operation + ?Sized>(
        &self,
        operation: &O,
        request_id: u128,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        self.check()?;
        prepare(operation, &self.service, &client_request_id(request_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CreateUser, ErrorKind};

    fn config(application_id: Option<&str>) -> ClientConfig {
        let options = ClientOptions {
            application_id: application_id.map(str::to_owned),
            ..Default::default()
        };
        let endpoint = Endpoint::parse("https://contoso.communication.azure.com").unwrap();
        ClientConfig::new(endpoint, options, "1.2.3", "rustc-1.88.0")
    }

    #[test]
    fn the_user_agent_names_the_application_and_the_frontend() {
        let config = config(Some("contoso-app"));
        let user_agent = config.service().user_agent.to_str().unwrap();
        assert!(
            user_agent
                .starts_with("contoso-app azsdk-rust-communication-identity/1.2.3 (rustc-1.88.0; "),
            "{user_agent}"
        );
        let (request, _) = config.start(&CreateUser::default(), 1).unwrap();
        assert_eq!(request.headers()["user-agent"], user_agent);
    }

    #[test]
    fn an_invalid_application_id_fails_every_call_but_not_the_construction() {
        let config = config(Some("has spaces"));
        let user_agent = config.service().user_agent.to_str().unwrap();
        assert!(
            user_agent.starts_with("azsdk-rust-communication-identity/1.2.3"),
            "{user_agent}"
        );
        let error = config.start(&CreateUser::default(), 1).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(error.to_string().contains("application id"), "{error}");
    }

    #[test]
    fn a_rebuilt_request_is_the_started_one() {
        let config = config(Some("contoso-app"));
        let operation =
            CreateUser::with_custom_id(acs_identity_types::CustomId::new("alice").unwrap());
        let (started, _) = config.start(&operation, 42).unwrap();
        let rebuilt = config.request(&operation, 42).unwrap();
        assert_eq!(rebuilt.method(), started.method());
        assert_eq!(rebuilt.uri(), started.uri());
        assert_eq!(rebuilt.headers(), started.headers());
        assert_eq!(rebuilt.body(), started.body());
    }

    #[test]
    fn a_call_with_options_stamps_every_attempt_and_checks_first() {
        let config = config(None);
        let operation = CreateUser::default();
        let options = CallOptions::default()
            .client_request_id("ticket-9")
            .header("traceparent", "00-a-b-01");
        let (started, call) = config.start_call(&operation, 1, &options).unwrap();
        assert_eq!(started.headers()["x-ms-client-request-id"], "ticket-9");
        assert_eq!(started.headers()["traceparent"], "00-a-b-01");
        let rebuilt = config.rebuild(&operation, &call).unwrap();
        assert_eq!(rebuilt.headers(), started.headers());
        assert_eq!(rebuilt.body(), started.body());

        let (random, _) = config
            .start_call(&operation, 42, &CallOptions::default())
            .unwrap();
        let (plain, _) = config.start(&operation, 42).unwrap();
        assert_eq!(
            random.headers(),
            plain.headers(),
            "the default options change nothing"
        );

        let forged = CallOptions::default().header("x-ms-date", "Mon, 01 Jan 2001 00:00:00 GMT");
        let error = config.start_call(&operation, 1, &forged).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn a_call_is_idempotent_as_its_operation_is() {
        let config = config(None);
        let plain = CreateUser::default();
        let custom =
            CreateUser::with_custom_id(acs_identity_types::CustomId::new("alice").unwrap());
        let (_, mut call) = config.start(&plain, 1).unwrap();
        let (_, mut custom_call) = config.start(&custom, 1).unwrap();
        let failed = || Err(Error::timeout(std::time::Duration::from_secs(1)));
        let now = std::time::SystemTime::UNIX_EPOCH;
        let zero = std::time::Duration::ZERO;
        assert!(matches!(
            call.decide(failed(), zero, 0.5, now),
            crate::CallDecision::Finish(_)
        ));
        assert!(matches!(
            custom_call.decide(failed(), zero, 0.5, now),
            crate::CallDecision::Retry(_)
        ));
    }
}
