//! The operations of the service, one method each. Every method is one span and one run of the send loop.

use acs_identity_core::{
    CommunicationUserIdentifierAndToken, CreateUser, CreateUserAndToken, CreateUserAndTokenOptions,
    DeleteEntraAssignment, DeleteTeamsExtensionAssignment, DeleteUser, EntraAssignment,
    EntraAssignmentPage, EntraAssignmentSettings, Error, ExchangeEntraToken,
    ExchangeTeamsExtensionToken, ExchangeTeamsUserToken, GetEntraAssignment,
    GetTeamsExtensionAssignment, GetUser, IssueToken, ListEntraAssignments, RevokeTokens,
    TeamsExtensionAssignment, TokenOptions, UpdateEntraAssignments, UpsertEntraAssignment,
    UpsertTeamsExtensionAssignment, Upserted,
};
use acs_identity_types::{
    AccessToken, CommunicationUserDetail, CommunicationUserIdentifier, TokenScope,
};

use crate::{CommunicationIdentityClient, CreateUserOptions};

impl CommunicationIdentityClient {
    /// Creates a new user (`POST /identities`).
    ///
    /// Not retried after a failure that may have reached the service (a second create would make a second
    /// user); use [`create_user_with_options`](Self::create_user_with_options) with a custom id for a create
    /// that is safe to repeat.
    pub fn create_user(&self) -> Result<CommunicationUserIdentifier, Error> {
        self.inner.call(CreateUser::default(), span!("create_user"))
    }

    /// Creates a user with options: a [`CustomId`](crate::CustomId) maps the user to your own id, and
    /// creating again with the same custom id returns the same user (api-version `2025-03-02-preview`).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = acs_identity_emulator::Emulator::builder().start_in_background()?;
    /// # let client = acs_identity_blocking::CommunicationIdentityClient::from_connection_string(&emulator.connection_string())?;
    /// use acs_identity_blocking::{CreateUserOptions, CustomId};
    ///
    /// let options = CreateUserOptions::default().custom_id(CustomId::new("alice@contoso.com")?);
    /// let alice = client.create_user_with_options(options.clone())?;
    /// assert_eq!(client.create_user_with_options(options)?, alice);
    /// # Ok(())
    /// # }
    /// ```
    pub fn create_user_with_options(
        &self,
        options: CreateUserOptions,
    ) -> Result<CommunicationUserIdentifier, Error> {
        self.inner
            .call(CreateUser::from(options), span!("create_user_with_options"))
    }

    /// Creates a user and issues them a token for `scopes` in one request.
    pub fn create_user_and_token(
        &self,
        scopes: &[TokenScope],
        options: CreateUserAndTokenOptions,
    ) -> Result<CommunicationUserIdentifierAndToken, Error> {
        let operation = CreateUserAndToken {
            scopes: scopes.to_vec(),
            options,
        };
        self.inner.call(operation, span!("create_user_and_token"))
    }

    /// The user's details: custom id and when a token was last issued (api-version `2025-03-02-preview`).
    pub fn get_user_detail(
        &self,
        user: &CommunicationUserIdentifier,
    ) -> Result<CommunicationUserDetail, Error> {
        self.inner
            .call(GetUser::new(user.clone()), span!("get_user_detail"))
    }

    /// Issues an access token for `user` with `scopes`, valid 24 hours or for `options.lifetime`.
    pub fn get_token(
        &self,
        user: &CommunicationUserIdentifier,
        scopes: &[TokenScope],
        options: TokenOptions,
    ) -> Result<AccessToken, Error> {
        let operation = IssueToken {
            user: user.clone(),
            scopes: scopes.to_vec(),
            options,
        };
        self.inner.call(operation, span!("get_token"))
    }

    /// Revokes every token issued to `user` so far.
    pub fn revoke_tokens(&self, user: &CommunicationUserIdentifier) -> Result<(), Error> {
        self.inner
            .call(RevokeTokens::new(user.clone()), span!("revoke_tokens"))
    }

    /// Deletes `user` and revokes their tokens.
    pub fn delete_user(&self, user: &CommunicationUserIdentifier) -> Result<(), Error> {
        self.inner
            .call(DeleteUser::new(user.clone()), span!("delete_user"))
    }

    /// Exchanges a Teams user's Entra ID token (with the app id and the user's object id) for an ACS token.
    pub fn get_token_for_teams_user(
        &self,
        exchange: ExchangeTeamsUserToken,
    ) -> Result<AccessToken, Error> {
        self.inner.call(exchange, span!("get_token_for_teams_user"))
    }

    /// Exchanges a Teams extension user's Entra ID token for an ACS user and token. The request carries that
    /// token, not the client's credential.
    pub fn exchange_teams_extension_token(
        &self,
        entra_token: &str,
    ) -> Result<CommunicationUserIdentifierAndToken, Error> {
        let operation = ExchangeTeamsExtensionToken::new(entra_token);
        self.inner
            .call(operation, span!("exchange_teams_extension_token"))
    }

    /// The Teams extension assignment of a user or resource account (`object_id`) in `tenant_id`.
    pub fn get_teams_extension_assignment(
        &self,
        tenant_id: &str,
        object_id: &str,
    ) -> Result<TeamsExtensionAssignment, Error> {
        let operation = GetTeamsExtensionAssignment::new(tenant_id, object_id);
        self.inner
            .call(operation, span!("get_teams_extension_assignment"))
    }

    /// Creates or replaces a Teams extension assignment; [`Upserted::created`] tells which.
    pub fn upsert_teams_extension_assignment(
        &self,
        assignment: UpsertTeamsExtensionAssignment,
    ) -> Result<Upserted<TeamsExtensionAssignment>, Error> {
        self.inner
            .call(assignment, span!("upsert_teams_extension_assignment"))
    }

    /// Deletes a Teams extension assignment.
    pub fn delete_teams_extension_assignment(
        &self,
        tenant_id: &str,
        object_id: &str,
    ) -> Result<(), Error> {
        let operation = DeleteTeamsExtensionAssignment::new(tenant_id, object_id);
        self.inner
            .call(operation, span!("delete_teams_extension_assignment"))
    }

    /// Exchanges an Entra ID user's token for an ACS user and token. The request carries that token, not the
    /// client's credential.
    pub fn exchange_entra_token(
        &self,
        entra_token: &str,
    ) -> Result<CommunicationUserIdentifierAndToken, Error> {
        let operation = ExchangeEntraToken::new(entra_token);
        self.inner.call(operation, span!("exchange_entra_token"))
    }

    /// The first page of Entra ID assignments; pass its `next_link` to
    /// [`list_entra_assignments_next_page`](Self::list_entra_assignments_next_page) for the next.
    pub fn list_entra_assignments(&self) -> Result<EntraAssignmentPage, Error> {
        self.inner.call(
            ListEntraAssignments::first_page(),
            span!("list_entra_assignments"),
        )
    }

    /// The page of Entra ID assignments at `next_link` (from the previous page). A link to another host is
    /// refused before any I/O.
    pub fn list_entra_assignments_next_page(
        &self,
        next_link: &str,
    ) -> Result<EntraAssignmentPage, Error> {
        let operation = ListEntraAssignments::next_page(self.inner.config.service(), next_link)?;
        self.inner
            .call(operation, span!("list_entra_assignments_next_page"))
    }

    /// Applies several changes at once (a JSON merge patch): each object id maps to its new settings, or to
    /// `None` to delete its assignment. Returns the assignments as they now are.
    pub fn update_entra_assignments(
        &self,
        changes: impl IntoIterator<Item = (String, Option<EntraAssignmentSettings>)>,
    ) -> Result<EntraAssignmentPage, Error> {
        let operation = UpdateEntraAssignments {
            changes: changes.into_iter().collect(),
        };
        self.inner
            .call(operation, span!("update_entra_assignments"))
    }

    /// The Entra ID assignment of `object_id`.
    pub fn get_entra_assignment(&self, object_id: &str) -> Result<EntraAssignment, Error> {
        self.inner.call(
            GetEntraAssignment::new(object_id),
            span!("get_entra_assignment"),
        )
    }

    /// Creates or replaces the Entra ID assignment of `object_id`; [`Upserted::created`] tells which.
    pub fn upsert_entra_assignment(
        &self,
        object_id: &str,
        settings: EntraAssignmentSettings,
    ) -> Result<Upserted<EntraAssignment>, Error> {
        let operation = UpsertEntraAssignment {
            object_id: object_id.to_owned(),
            settings,
        };
        self.inner.call(operation, span!("upsert_entra_assignment"))
    }

    /// Deletes the Entra ID assignment of `object_id`.
    pub fn delete_entra_assignment(&self, object_id: &str) -> Result<(), Error> {
        self.inner.call(
            DeleteEntraAssignment::new(object_id),
            span!("delete_entra_assignment"),
        )
    }
}
