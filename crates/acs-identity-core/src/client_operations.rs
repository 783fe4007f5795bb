//! The service's operations as client methods, written once for both frontends.
//!
//! Each row of the table below is one operation: its method, its `*_with_response` twin, its span, its inputs,
//! its value and how its [`Operation`](crate::Operation) is made from the inputs. [`client_operations!`]
//! expands the table into an `impl` block of async methods (`acs-identity`) or blocking ones
//! (`acs-identity-blocking`); the only difference is `async`/`.await`, as the design says.

/// Expands the operation table into methods of `$client`, async or blocking.
///
/// For the two frontend crates; hidden from the docs, but its input is part of this crate's semver contract
/// (published frontends of an older minor call it): rows may be added, the invocation's shape stays.
///
/// Besides the operations, it gives `$client` its `endpoint()` and `api_version()`.
///
/// The invoking crate depends on `tracing`, and `$client` has these private methods:
/// - `fn service_config(&self) -> &ServiceConfig` (the endpoint and api-version; the endpoint also checks
///   next-page links);
/// - `fn run<O: Operation>(&self, operation: O, options: &CallOptions, span: tracing::Span)
///   -> Result<Response<O::Output>, Error>`, `async` for the async client: the send loop.
#[doc(hidden)]
#[macro_export]
macro_rules! client_operations {
    // The internal rules first: a `ty` fragment that fails to parse is an error, not a fall-through.
    (@table $client:ty, $mode:ident, $(
        $(#[$doc:meta])*
        $plain:ident, $with_response:ident, $span:literal,
        |$service:ident| ($($arg:ident: $arg_ty:ty),* $(,)?) -> $out:ty = $operation:expr;
    )*) => {
        impl $client {
            /// The resource endpoint.
            pub fn endpoint(&self) -> &$crate::frontend_api::Endpoint {
                &self.service_config().endpoint
            }

            /// The api-version of every request.
            pub fn api_version(&self) -> $crate::frontend_api::ApiVersion {
                self.service_config().api_version
            }

            $(
                $crate::client_operations! { @method $mode,
                    [$(#[$doc])*]
                    [#[doc = concat!(
                        "[`", stringify!($plain), "`](Self::", stringify!($plain),
                        ") with per-call options, returning the response too."
                    )]],
                    $plain, $with_response, $span, $service, ($($arg: $arg_ty),*), $out, $operation
                }
            )*
        }
    };

    // One body for both modes: `async` and `.await` are the only difference.
    (@method async, $($rest:tt)*) => {
        $crate::client_operations! { @body [async] [.await], $($rest)* }
    };
    (@method blocking, $($rest:tt)*) => {
        $crate::client_operations! { @body [] [], $($rest)* }
    };

    (@body [$($async:tt)?] [$($await:tt)*], [$($doc:tt)*] [$($doc_response:tt)*], $plain:ident,
        $with_response:ident, $span:literal, $service:ident, ($($arg:ident: $arg_ty:ty),*), $out:ty,
        $operation:expr
    ) => {
        $($doc)*
        pub $($async)? fn $plain(&self, $($arg: $arg_ty),*) -> ::core::result::Result<$out, $crate::Error> {
            let $service = self.service_config();
            let operation = $operation;
            let span = $crate::client_operations!(@span $span);
            let response = self.run(operation, &$crate::CallOptions::default(), span) $($await)*;
            response.map($crate::Response::into_body)
        }

        $($doc_response)*
        pub $($async)? fn $with_response(
            &self,
            $($arg: $arg_ty,)*
            call_options: &$crate::CallOptions,
        ) -> ::core::result::Result<$crate::Response<$out>, $crate::Error> {
            let $service = self.service_config();
            let operation = $operation;
            self.run(operation, call_options, $crate::client_operations!(@span $span)) $($await)*
        }
    };

    (@span $span:literal) => {
        ::tracing::info_span!(concat!("CommunicationIdentityClient.", $span))
    };

    ($client:ty, $mode:ident) => {
        $crate::client_operations! { @table $client, $mode,
            /// Creates a user with options: a [`CustomId`](crate::CustomId) maps the user to your own id, and
            /// creating again with the same custom id returns the same user (api-version `2025-03-02-preview`),
            /// which also makes the create safe to retry.
            create_user_with_options, create_user_with_response, "create_user_with_options",
            |_service| (options: $crate::CreateUserOptions)
                -> $crate::frontend_api::CommunicationUserIdentifier
                = $crate::CreateUser::from(options);

            /// Creates a user and issues them a token for `scopes` in one request.
            create_user_and_token, create_user_and_token_with_response, "create_user_and_token",
            |_service| (scopes: &[$crate::frontend_api::TokenScope], options: $crate::CreateUserAndTokenOptions)
                -> $crate::CommunicationUserIdentifierAndToken
                = $crate::CreateUserAndToken { scopes: scopes.to_vec(), options };

            /// The user's details: custom id and when a token was last issued (api-version
            /// `2025-03-02-preview`).
            get_user_detail, get_user_detail_with_response, "get_user_detail",
            |_service| (user: &$crate::frontend_api::CommunicationUserIdentifier)
                -> $crate::frontend_api::CommunicationUserDetail
                = $crate::GetUser::new(user.clone());

            /// Issues an access token for `user` with `scopes`, valid 24 hours or for `options.lifetime`.
            get_token, get_token_with_response, "get_token",
            |_service| (
                user: &$crate::frontend_api::CommunicationUserIdentifier,
                scopes: &[$crate::frontend_api::TokenScope],
                options: $crate::TokenOptions
            ) -> $crate::frontend_api::AccessToken
                = $crate::IssueToken { user: user.clone(), scopes: scopes.to_vec(), options };

            /// Revokes every token issued to `user` so far.
            revoke_tokens, revoke_tokens_with_response, "revoke_tokens",
            |_service| (user: &$crate::frontend_api::CommunicationUserIdentifier) -> ()
                = $crate::RevokeTokens::new(user.clone());

            /// Deletes `user` and revokes their tokens.
            delete_user, delete_user_with_response, "delete_user",
            |_service| (user: &$crate::frontend_api::CommunicationUserIdentifier) -> ()
                = $crate::DeleteUser::new(user.clone());

            /// Exchanges a Teams user's Entra ID token (with the app id and the user's object id) for an ACS
            /// token.
            get_token_for_teams_user, get_token_for_teams_user_with_response, "get_token_for_teams_user",
            |_service| (exchange: $crate::ExchangeTeamsUserToken) -> $crate::frontend_api::AccessToken
                = exchange;

            /// Exchanges a Teams extension user's Entra ID token for an ACS user and token. The request
            /// carries that token, not the client's credential.
            exchange_teams_extension_token, exchange_teams_extension_token_with_response,
            "exchange_teams_extension_token",
            |_service| (entra_token: &str) -> $crate::CommunicationUserIdentifierAndToken
                = $crate::ExchangeTeamsExtensionToken::new(entra_token);

            /// The Teams extension assignment of a user or resource account (`object_id`) in `tenant_id`.
            get_teams_extension_assignment, get_teams_extension_assignment_with_response,
            "get_teams_extension_assignment",
            |_service| (tenant_id: &str, object_id: &str) -> $crate::TeamsExtensionAssignment
                = $crate::GetTeamsExtensionAssignment::new(tenant_id, object_id);

            /// Creates or replaces a Teams extension assignment; [`Upserted::created`](crate::Upserted::created)
            /// tells which.
            upsert_teams_extension_assignment, upsert_teams_extension_assignment_with_response,
            "upsert_teams_extension_assignment",
            |_service| (assignment: $crate::UpsertTeamsExtensionAssignment)
                -> $crate::Upserted<$crate::TeamsExtensionAssignment>
                = assignment;

            /// Deletes a Teams extension assignment.
            delete_teams_extension_assignment, delete_teams_extension_assignment_with_response,
            "delete_teams_extension_assignment",
            |_service| (tenant_id: &str, object_id: &str) -> ()
                = $crate::DeleteTeamsExtensionAssignment::new(tenant_id, object_id);

            /// Exchanges an Entra ID user's token for an ACS user and token. The request carries that token,
            /// not the client's credential.
            exchange_entra_token, exchange_entra_token_with_response, "exchange_entra_token",
            |_service| (entra_token: &str) -> $crate::CommunicationUserIdentifierAndToken
                = $crate::ExchangeEntraToken::new(entra_token);

            /// The first page of Entra ID assignments; pass its `next_link` to
            /// [`list_entra_assignments_next_page`](Self::list_entra_assignments_next_page) for the next.
            list_entra_assignments, list_entra_assignments_with_response, "list_entra_assignments",
            |_service| () -> $crate::EntraAssignmentPage
                = $crate::ListEntraAssignments::first_page();

            /// The page of Entra ID assignments at `next_link` (from the previous page). A link to another
            /// host is refused before any I/O.
            list_entra_assignments_next_page, list_entra_assignments_next_page_with_response,
            "list_entra_assignments_next_page",
            |service| (next_link: &str) -> $crate::EntraAssignmentPage
                = $crate::ListEntraAssignments::next_page(service, next_link)?;

            /// Applies several changes at once (a JSON merge patch): each object id maps to its new settings,
            /// or to `None` to delete its assignment. Returns the assignments as they now are.
            update_entra_assignments, update_entra_assignments_with_response, "update_entra_assignments",
            |_service| (
                changes: impl IntoIterator<Item = (String, Option<$crate::EntraAssignmentSettings>)>
            ) -> $crate::EntraAssignmentPage
                = $crate::UpdateEntraAssignments { changes: changes.into_iter().collect() };

            /// The Entra ID assignment of `object_id`.
            get_entra_assignment, get_entra_assignment_with_response, "get_entra_assignment",
            |_service| (object_id: &str) -> $crate::EntraAssignment
                = $crate::GetEntraAssignment::new(object_id);

            /// Creates or replaces the Entra ID assignment of `object_id`;
            /// [`Upserted::created`](crate::Upserted::created) tells which.
            upsert_entra_assignment, upsert_entra_assignment_with_response, "upsert_entra_assignment",
            |_service| (object_id: &str, settings: $crate::EntraAssignmentSettings)
                -> $crate::Upserted<$crate::EntraAssignment>
                = $crate::UpsertEntraAssignment { object_id: object_id.to_owned(), settings };

            /// Deletes the Entra ID assignment of `object_id`.
            delete_entra_assignment, delete_entra_assignment_with_response, "delete_entra_assignment",
            |_service| (object_id: &str) -> ()
                = $crate::DeleteEntraAssignment::new(object_id);
        }
    };
}
