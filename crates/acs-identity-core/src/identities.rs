//! Communication users: create (optionally with a token), get, delete.

use acs_identity_types::{
    AccessToken, CommunicationUserDetail, CommunicationUserIdentifier, CustomId, Feature,
    TokenLifetime, TokenScope,
};
use http::Method;
use time::OffsetDateTime;

use crate::request::RequestTarget;
use crate::tokens::require_scopes;
use crate::{Error, Operation, ServiceConfig, response, wire};

/// Creates a communication user: `POST /identities`.
///
/// The body is `{}` without a custom id (the service also accepts no body; `{}` keeps every JSON
/// `POST` alike). With a custom id (api-version 2025-03-02-preview), creating again returns the
/// same user, so the call is idempotent; without one, every call creates a new user.
///
/// ```
/// # use acs_identity_core::{CreateUser, Operation};
/// # let service = acs_identity_core::ServiceConfig::new(
/// #     "https://contoso.communication.azure.com".parse().unwrap(),
/// #     Default::default(),
/// #     http::HeaderValue::from_static("doc"),
/// # );
/// let request = CreateUser::default().build_request(&service)?;
/// assert_eq!(request.uri(), "https://contoso.communication.azure.com/identities?api-version=2025-03-02-preview");
/// assert_eq!(request.body(), b"{}");
/// # Ok::<(), acs_identity_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateUser {
    /// Your own id for the user; the same custom id always maps to the same user.
    pub custom_id: Option<CustomId>,
}

impl CreateUser {
    /// A user mapped to `custom_id`.
    pub fn with_custom_id(custom_id: CustomId) -> Self {
        Self {
            custom_id: Some(custom_id),
        }
    }
}

impl Operation for CreateUser {
    type Output = CommunicationUserIdentifier;
    const NAME: &'static str = "create_user";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::CreateUser)?;
        if self.custom_id.is_some() {
            service.require(Feature::CustomId)?;
        }
        let body = wire::CreateIdentityRequest {
            custom_id: self.custom_id.as_ref().map(CustomId::as_str),
            create_token_with_scopes: None,
            expires_in_minutes: None,
        };
        RequestTarget::new(service)
            .literal("/identities")
            .json(Method::POST, &body)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        let result: wire::IdentityAndToken = response::json(Self::NAME, &response)?;
        Ok(CommunicationUserIdentifier::new(result.identity.id))
    }

    fn is_idempotent(&self) -> bool {
        self.custom_id.is_some()
    }
}

/// Creates a communication user and issues it a token in one call: `POST /identities` with
/// `createTokenWithScopes`.
///
/// Idempotent with a custom id (a repeat returns the same user and a spare token), not without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateUserAndToken {
    /// The scopes of the token (at least one).
    pub scopes: Vec<TokenScope>,
    /// The optional lifetime and custom id.
    pub options: CreateUserAndTokenOptions,
}

/// Optional inputs of [`CreateUserAndToken`]: `CreateUserAndTokenOptions::default().custom_id(id).lifetime(l)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateUserAndTokenOptions {
    /// The token's lifetime (service default: 24 hours). Needs api-version 2023-10-01 or later.
    pub lifetime: Option<TokenLifetime>,
    /// Your own id for the user. Needs api-version 2025-03-02-preview.
    pub custom_id: Option<CustomId>,
}

impl CreateUserAndTokenOptions {
    /// Sets [`lifetime`](Self::lifetime).
    #[must_use]
    pub fn lifetime(mut self, lifetime: TokenLifetime) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// Sets [`custom_id`](Self::custom_id).
    #[must_use]
    pub fn custom_id(mut self, custom_id: CustomId) -> Self {
        self.custom_id = Some(custom_id);
        self
    }
}

impl CreateUserAndToken {
    /// A new user with a token for `scopes`, default options.
    pub fn new(scopes: impl IntoIterator<Item = TokenScope>) -> Self {
        Self {
            scopes: scopes.into_iter().collect(),
            options: CreateUserAndTokenOptions::default(),
        }
    }
}

/// A user with a token, as create-with-token and the token exchanges return it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommunicationUserIdentifierAndToken {
    /// The user.
    pub user: CommunicationUserIdentifier,
    /// The token issued for it.
    pub access_token: AccessToken,
    /// The user's custom id, when it has one and the api-version reports it.
    pub custom_id: Option<String>,
    /// When a token was last issued for the user before (reported by 2025-03-02-preview; an
    /// earlier time on a repeated create with a known custom id).
    pub last_token_issued_at: Option<OffsetDateTime>,
}

impl CommunicationUserIdentifierAndToken {
    /// Reads a `CommunicationIdentityAccessTokenResult` that must hold a token.
    pub(crate) fn parse(
        operation: &'static str,
        response: &http::Response<Vec<u8>>,
    ) -> Result<Self, Error> {
        let result: wire::IdentityAndToken = response::json(operation, response)?;
        let Some(token) = result.access_token else {
            return Err(response::missing_field(operation, response, "accessToken"));
        };
        Ok(Self {
            user: CommunicationUserIdentifier::new(result.identity.id),
            access_token: AccessToken::new(token.token, token.expires_on.0),
            custom_id: result.identity.custom_id,
            last_token_issued_at: result.identity.last_token_issued_at.map(|at| at.0),
        })
    }
}

impl Operation for CreateUserAndToken {
    type Output = CommunicationUserIdentifierAndToken;
    const NAME: &'static str = "create_user_and_token";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::CreateUserWithToken)?;
        if self.options.lifetime.is_some() {
            service.require(Feature::CreateTokenLifetime)?;
        }
        if self.options.custom_id.is_some() {
            service.require(Feature::CustomId)?;
        }
        require_scopes(service, &self.scopes)?;
        let body = wire::CreateIdentityRequest {
            custom_id: self.options.custom_id.as_ref().map(CustomId::as_str),
            create_token_with_scopes: Some(&self.scopes),
            expires_in_minutes: self.options.lifetime.map(|lifetime| lifetime.as_minutes()),
        };
        RequestTarget::new(service)
            .literal("/identities")
            .json(Method::POST, &body)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        CommunicationUserIdentifierAndToken::parse(Self::NAME, &response)
    }

    fn is_idempotent(&self) -> bool {
        self.options.custom_id.is_some()
    }
}

/// Reads a user's detail (custom id, last token issue time): `GET /identities/{id}`
/// (api-version 2025-03-02-preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUser {
    /// The user.
    pub user: CommunicationUserIdentifier,
}

impl GetUser {
    /// The detail of `user`.
    pub fn new(user: CommunicationUserIdentifier) -> Self {
        Self { user }
    }
}

impl Operation for GetUser {
    type Output = CommunicationUserDetail;
    const NAME: &'static str = "get_user";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::GetUser)?;
        RequestTarget::new(service)
            .literal("/identities/")
            .segment("user id", self.user.id())?
            .empty(Method::GET)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        // The service sends the identity unwrapped, not inside `{"identity": ...}`.
        let identity: wire::Identity = response::json(Self::NAME, &response)?;
        let mut detail =
            CommunicationUserDetail::new(CommunicationUserIdentifier::new(identity.id));
        detail.custom_id = identity.custom_id;
        detail.last_token_issued_at = identity.last_token_issued_at.map(|at| at.0);
        Ok(detail)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Deletes a user, its tokens and its data: `DELETE /identities/{id}`. Idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteUser {
    /// The user.
    pub user: CommunicationUserIdentifier,
}

impl DeleteUser {
    /// Deletes `user`.
    pub fn new(user: CommunicationUserIdentifier) -> Self {
        Self { user }
    }
}

impl Operation for DeleteUser {
    type Output = ();
    const NAME: &'static str = "delete_user";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::DeleteUser)?;
        RequestTarget::new(service)
            .literal("/identities/")
            .segment("user id", self.user.id())?
            .empty(Method::DELETE)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        response::no_content(&response)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}
