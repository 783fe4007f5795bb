//! The operations of the service: one table in the core (`acs_identity_core::client_operations!`), expanded
//! here into async methods, each one span and one run of the send loop, plus `create_user`, which has no
//! `*_with_response` twin of its own (`create_user_with_response` takes the create's options).

use acs_identity_core::{CallOptions, CreateUser, Error, Operation, Response, ServiceConfig};

use crate::{CommunicationIdentityClient, CommunicationUserIdentifier};

acs_identity_core::client_operations!(CommunicationIdentityClient, async);

impl CommunicationIdentityClient {
    /// Creates a new user (`POST /identities`).
    ///
    /// Not retried after a failure that may have reached the service (a second create would make a second
    /// user); use [`create_user_with_options`](Self::create_user_with_options) with a custom id for a create
    /// that is safe to repeat.
    pub async fn create_user(&self) -> Result<CommunicationUserIdentifier, Error> {
        let span = tracing::info_span!("CommunicationIdentityClient.create_user");
        let response = self
            .run(CreateUser::default(), &CallOptions::default(), span)
            .await;
        response.map(Response::into_body)
    }

    /// The endpoint and api-version, for the table's next-page links.
    fn service_config(&self) -> &ServiceConfig {
        self.inner.config.service()
    }

    /// One call of `operation`: the send loop, inside `span`.
    async fn run<O: Operation>(
        &self,
        operation: O,
        options: &CallOptions,
        span: tracing::Span,
    ) -> Result<Response<O::Output>, Error> {
        self.inner
            .call_with_response(operation, options, span)
            .await
    }
}
