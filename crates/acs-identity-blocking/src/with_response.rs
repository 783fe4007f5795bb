//! Every operation again, with per-call options and the HTTP response behind its value: `*_with_response`.

use acs_identity_core::{
    CallOptions, CommunicationUserIdentifierAndToken, CreateUser, CreateUserAndToken,
    CreateUserAndTokenOptions, DeleteEntraAssignment, DeleteTeamsExtensionAssignment, DeleteUser,
    EntraAssignment, EntraAssignmentPage, EntraAssignmentSettings, Error, ExchangeEntraToken,
    ExchangeTeamsExtensionToken, ExchangeTeamsUserToken, GetEntraAssignment,
    GetTeamsExtensionAssignment, GetUser, IssueToken, ListEntraAssignments, Response, RevokeTokens,
    TeamsExtensionAssignment, TokenOptions, UpdateEntraAssignments, UpsertEntraAssignment,
    UpsertTeamsExtensionAssignment, Upserted,
};
use acs_identity_types::{
    AccessToken, CommunicationUserDetail, CommunicationUserIdentifier, TokenScope,
};

use crate::{CommunicationIdentityClient, CreateUserOptions};

/// Each method is its plain namesake (same span, same send loop) with `call_options` and a [`Response`].
impl CommunicationIdentityClient {
    /// [`create_user`](Self::create_user) and [`create_user_with_options`](Self::create_user_with_options)
    /// with per-call options, returning the response too.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = acs_identity_emulator::Emulator::builder().start_in_background()?;
    /// # let client = acs_identity_blocking::CommunicationIdentityClient::from_connection_string(&emulator.connection_string())?;
    /// use std::time::Duration;
    /// use acs_identity_blocking::{CallOptions, CreateUserOptions};
    ///
    /// let options = CallOptions::default().timeout(Duration::from_secs(5)).client_request_id("ticket-4711");
    /// let response = client.create_user_with_response(CreateUserOptions::default(), &options)?;
    /// assert_eq!(response.client_request_id(), Some("ticket-4711"));
    /// assert!(response.ms_cv().is_some());
    /// let user = response.into_body();
    /// # let _ = user;
    /// # Ok(())
    /// # }
    /// ```
    pub fn create_user_with_response(
        &self,
        options: CreateUserOptions,
        call_options: &CallOptions,
    ) -> Result<Response<CommunicationUserIdentifier>, Error> {
        let operation = CreateUser::from(options);
        self.inner
            .call_with_response(operation, call_options, span!("create_user"))
    }

    /// [`create_user_and_token`](Self::create_user_and_token) with per-call options, returning the response too.
    pub fn create_user_and_token_with_response(
        &self,
        scopes: &[TokenScope],
        options: CreateUserAndTokenOptions,
        call_options: &CallOptions,
    ) -> Result<Response<CommunicationUserIdentifierAndToken>, Error> {
        let operation = CreateUserAndToken {
            scopes: scopes.to_vec(),
            options,
        };
        self.inner
            .call_with_response(operation, call_options, span!("create_user_and_token"))
    }

    /// [`get_user_detail`](Self::get_user_detail) with per-call options, returning the response too.
    pub fn get_user_detail_with_response(
        &self,
        user: &CommunicationUserIdentifier,
        call_options: &CallOptions,
    ) -> Result<Response<CommunicationUserDetail>, Error> {
        let operation = GetUser::new(user.clone());
        self.inner
            .call_with_response(operation, call_options, span!("get_user_detail"))
    }

    /// [`get_token`](Self::get_token) with per-call options, returning the response too.
    pub fn get_token_with_response(
        &self,
        user: &CommunicationUserIdentifier,
        scopes: &[TokenScope],
        options: TokenOptions,
        call_options: &CallOptions,
    ) -> Result<Response<AccessToken>, Error> {
        let operation = IssueToken {
            user: user.clone(),
            scopes: scopes.to_vec(),
            options,
        };
        self.inner
            .call_with_response(operation, call_options, span!("get_token"))
    }

    /// [`revoke_tokens`](Self::revoke_tokens) with per-call options, returning the response too.
    pub fn revoke_tokens_with_response(
        &self,
        user: &CommunicationUserIdentifier,
        call_options: &CallOptions,
    ) -> Result<Response<()>, Error> {
        let operation = RevokeTokens::new(user.clone());
        self.inner
            .call_with_response(operation, call_options, span!("revoke_tokens"))
    }

    /// [`delete_user`](Self::delete_user) with per-call options, returning the response too.
    pub fn delete_user_with_response(
        &self,
        user: &CommunicationUserIdentifier,
        call_options: &CallOptions,
    ) -> Result<Response<()>, Error> {
        let operation = DeleteUser::new(user.clone());
        self.inner
            .call_with_response(operation, call_options, span!("delete_user"))
    }

    /// [`get_token_for_teams_user`](Self::get_token_for_teams_user) with per-call options, returning the
    /// response too.
    pub fn get_token_for_teams_user_with_response(
        &self,
        exchange: ExchangeTeamsUserToken,
        call_options: &CallOptions,
    ) -> Result<Response<AccessToken>, Error> {
        self.inner
            .call_with_response(exchange, call_options, span!("get_token_for_teams_user"))
    }

    /// [`exchange_teams_extension_token`](Self::exchange_teams_extension_token) with per-call options,
    /// returning the response too.
    pub fn exchange_teams_extension_token_with_response(
        &self,
        entra_token: &str,
        call_options: &CallOptions,
    ) -> Result<Response<CommunicationUserIdentifierAndToken>, Error> {
        let operation = ExchangeTeamsExtensionToken::new(entra_token);
        let span = span!("exchange_teams_extension_token");
        self.inner.call_with_response(operation, call_options, span)
    }

    /// [`get_teams_extension_assignment`](Self::get_teams_extension_assignment) with per-call options,
    /// returning the response too.
    pub fn get_teams_extension_assignment_with_response(
        &self,
        tenant_id: &str,
        object_id: &str,
        call_options: &CallOptions,
    ) -> Result<Response<TeamsExtensionAssignment>, Error> {
        let operation = GetTeamsExtensionAssignment::new(tenant_id, object_id);
        let span = span!("get_teams_extension_assignment");
        self.inner.call_with_response(operation, call_options, span)
    }

    /// [`upsert_teams_extension_assignment`](Self::upsert_teams_extension_assignment) with per-call options,
    /// returning the response too.
    pub fn upsert_teams_extension_assignment_with_response(
        &self,
        assignment: UpsertTeamsExtensionAssignment,
        call_options: &CallOptions,
    ) -> Result<Response<Upserted<TeamsExtensionAssignment>>, Error> {
        let span = span!("upsert_teams_extension_assignment");
        self.inner
            .call_with_response(assignment, call_options, span)
    }

    /// [`delete_teams_extension_assignment`](Self::delete_teams_extension_assignment) with per-call options,
    /// returning the response too.
    pub fn delete_teams_extension_assignment_with_response(
        &self,
        tenant_id: &str,
        object_id: &str,
        call_options: &CallOptions,
    ) -> Result<Response<()>, Error> {
        let operation = DeleteTeamsExtensionAssignment::new(tenant_id, object_id);
        let span = span!("delete_teams_extension_assignment");
        self.inner.call_with_response(operation, call_options, span)
    }

    /// [`exchange_entra_token`](Self::exchange_entra_token) with per-call options, returning the response too.
    pub fn exchange_entra_token_with_response(
        &self,
        entra_token: &str,
        call_options: &CallOptions,
    ) -> Result<Response<CommunicationUserIdentifierAndToken>, Error> {
        let operation = ExchangeEntraToken::new(entra_token);
        self.inner
            .call_with_response(operation, call_options, span!("exchange_entra_token"))
    }

    /// [`list_entra_assignments`](Self::list_entra_assignments) with per-call options, returning the response
    /// too.
    pub fn list_entra_assignments_with_response(
        &self,
        call_options: &CallOptions,
    ) -> Result<Response<EntraAssignmentPage>, Error> {
        let operation = ListEntraAssignments::first_page();
        self.inner
            .call_with_response(operation, call_options, span!("list_entra_assignments"))
    }

    /// [`list_entra_assignments_next_page`](Self::list_entra_assignments_next_page) with per-call options,
    /// returning the response too.
    pub fn list_entra_assignments_next_page_with_response(
        &self,
        next_link: &str,
        call_options: &CallOptions,
    ) -> Result<Response<EntraAssignmentPage>, Error> {
        let operation = ListEntraAssignments::next_page(self.inner.config.service(), next_link)?;
        let span = span!("list_entra_assignments_next_page");
        self.inner.call_with_response(operation, call_options, span)
    }

    /// [`update_entra_assignments`](Self::update_entra_assignments) with per-call options, returning the
    /// response too.
    pub fn update_entra_assignments_with_response(
        &self,
        changes: impl IntoIterator<Item = (String, Option<EntraAssignmentSettings>)>,
        call_options: &CallOptions,
    ) -> Result<Response<EntraAssignmentPage>, Error> {
        let operation = UpdateEntraAssignments {
            changes: changes.into_iter().collect(),
        };
        let span = span!("update_entra_assignments");
        self.inner.call_with_response(operation, call_options, span)
    }

    /// [`get_entra_assignment`](Self::get_entra_assignment) with per-call options, returning the response too.
    pub fn get_entra_assignment_with_response(
        &self,
        object_id: &str,
        call_options: &CallOptions,
    ) -> Result<Response<EntraAssignment>, Error> {
        let operation = GetEntraAssignment::new(object_id);
        self.inner
            .call_with_response(operation, call_options, span!("get_entra_assignment"))
    }

    /// [`upsert_entra_assignment`](Self::upsert_entra_assignment) with per-call options, returning the
    /// response too.
    pub fn upsert_entra_assignment_with_response(
        &self,
        object_id: &str,
        settings: EntraAssignmentSettings,
        call_options: &CallOptions,
    ) -> Result<Response<Upserted<EntraAssignment>>, Error> {
        let operation = UpsertEntraAssignment {
            object_id: object_id.to_owned(),
            settings,
        };
        self.inner
            .call_with_response(operation, call_options, span!("upsert_entra_assignment"))
    }

    /// [`delete_entra_assignment`](Self::delete_entra_assignment) with per-call options, returning the
    /// response too.
    pub fn delete_entra_assignment_with_response(
        &self,
        object_id: &str,
        call_options: &CallOptions,
    ) -> Result<Response<()>, Error> {
        let operation = DeleteEntraAssignment::new(object_id);
        self.inner
            .call_with_response(operation, call_options, span!("delete_entra_assignment"))
    }
}
