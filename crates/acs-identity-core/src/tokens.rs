//! Access tokens: issue, revoke, and exchange a Teams user's Entra token.

use std::fmt;

use acs_identity_types::{
    AccessToken, CommunicationUserIdentifier, Feature, TokenLifetime, TokenScope,
};
use http::Method;

use crate::request::RequestTarget;
use crate::{Error, Operation, ServiceConfig, response, wire};

/// Issues a token for a user: `POST /identities/{id}/:issueAccessToken`.
///
/// Treated as idempotent: a repeat after a lost response only leaves a spare, unused token.
///
/// ```
/// # use acs_identity_core::{IssueToken, Operation};
/// # use acs_identity_types::{CommunicationUserIdentifier, TokenScope};
/// # let service = acs_identity_core::ServiceConfig::new(
/// #     "https://contoso.communication.azure.com".parse().unwrap(),
/// #     Default::default(),
/// #     http::HeaderValue::from_static("doc"),
/// # );
/// let user = CommunicationUserIdentifier::new("8:acs:resource_user");
/// let request = IssueToken::new(user, [TokenScope::Chat]).build_request(&service)?;
/// assert_eq!(request.uri().path(), "/identities/8%3Aacs%3Aresource_user/:issueAccessToken");
/// assert_eq!(request.body(), br#"{"scopes":["chat"]}"#);
/// # Ok::<(), acs_identity_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueToken {
    /// The user.
    pub user: CommunicationUserIdentifier,
    /// The token's scopes (at least one).
    pub scopes: Vec<TokenScope>,
    /// The optional lifetime.
    pub options: TokenOptions,
}

/// Optional inputs of [`IssueToken`]: `TokenOptions::default().lifetime(lifetime)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenOptions {
    /// The token's lifetime (service default: 24 hours). Needs api-version 2023-10-01 or later.
    pub lifetime: Option<TokenLifetime>,
}

impl TokenOptions {
    /// Sets [`lifetime`](Self::lifetime).
    #[must_use]
    pub fn lifetime(mut self, lifetime: TokenLifetime) -> Self {
        self.lifetime = Some(lifetime);
        self
    }
}

impl IssueToken {
    /// A token for `user` with `scopes`, default lifetime.
    pub fn new(
        user: CommunicationUserIdentifier,
        scopes: impl IntoIterator<Item = TokenScope>,
    ) -> Self {
        Self {
            user,
            scopes: scopes.into_iter().collect(),
            options: TokenOptions::default(),
        }
    }
}

impl Operation for IssueToken {
    type Output = AccessToken;
    const NAME: &'static str = "issue_token";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::IssueToken)?;
        if self.options.lifetime.is_some() {
            service.require(Feature::TokenLifetime)?;
        }
        require_scopes(service, &self.scopes)?;
        let body = wire::AccessTokenRequest {
            scopes: &self.scopes,
            expires_in_minutes: self.options.lifetime.map(|lifetime| lifetime.as_minutes()),
        };
        RequestTarget::new(service)
            .literal("/identities/")
            .segment("user id", self.user.id())?
            .literal("/:issueAccessToken")
            .json(Method::POST, &body)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_access_token(Self::NAME, &response)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Revokes every token of a user: `POST /identities/{id}/:revokeAccessTokens` with an empty body.
/// Idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeTokens {
    /// The user.
    pub user: CommunicationUserIdentifier,
}

impl RevokeTokens {
    /// Revokes the tokens of `user`.
    pub fn new(user: CommunicationUserIdentifier) -> Self {
        Self { user }
    }
}

impl Operation for RevokeTokens {
    type Output = ();
    const NAME: &'static str = "revoke_tokens";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::RevokeTokens)?;
        RequestTarget::new(service)
            .literal("/identities/")
            .segment("user id", self.user.id())?
            .literal("/:revokeAccessTokens")
            .empty(Method::POST)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        response::no_content(&response)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Exchanges a Teams user's Entra ID token for an ACS token: `POST /teamsUser/:exchangeAccessToken`.
///
/// Signed with the client's credential like the other identity operations. Idempotent (a repeat
/// only yields another token). `Debug` redacts the Entra token.
#[derive(Clone, PartialEq, Eq)]
pub struct ExchangeTeamsUserToken {
    /// The Teams user's Entra ID access token (audience `https://auth.msft.communication.azure.com`).
    pub token: String,
    /// The Entra application (client) id, checked against the token's `appid` claim.
    pub app_id: String,
    /// The Teams user's Entra object id, checked against the token's `oid` claim.
    pub user_id: String,
}

impl ExchangeTeamsUserToken {
    /// Exchanges `token` issued to `app_id` for `user_id`.
    pub fn new(
        token: impl Into<String>,
        app_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Self {
        Self {
            token: token.into(),
            app_id: app_id.into(),
            user_id: user_id.into(),
        }
    }
}

impl fmt::Debug for ExchangeTeamsUserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeTeamsUserToken")
            .field("token", &"[redacted]")
            .field("app_id", &self.app_id)
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl Operation for ExchangeTeamsUserToken {
    type Output = AccessToken;
    const NAME: &'static str = "exchange_teams_user_token";

    fn build_request(&self, service: &ServiceConfig) -> Result<http::Request<Vec<u8>>, Error> {
        service.require(Feature::TeamsUserExchange)?;
        let body = wire::TeamsUserExchangeTokenRequest {
            token: &self.token,
            app_id: &self.app_id,
            user_id: &self.user_id,
        };
        RequestTarget::new(service)
            .literal("/teamsUser/:exchangeAccessToken")
            .json(Method::POST, &body)
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_access_token(Self::NAME, &response)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn secrets(&self) -> Vec<&str> {
        vec![self.token.as_str()]
    }
}

/// Rejects, before I/O, an empty scope list (the service would answer 400) and a scope the configured
/// api-version does not have (the join scopes before `2023-10-01`).
pub(crate) fn require_scopes(service: &ServiceConfig, scopes: &[TokenScope]) -> Result<(), Error> {
    if scopes.is_empty() {
        return Err(Error::invalid_input("a token needs at least one scope"));
    }
    for feature in scopes.iter().filter_map(TokenScope::required_feature) {
        service.require(feature)?;
    }
    Ok(())
}

fn parse_access_token(
    operation: &'static str,
    response: &http::Response<Vec<u8>>,
) -> Result<AccessToken, Error> {
    let token: wire::AccessToken = response::json(operation, response)?;
    Ok(AccessToken::new(token.token, token.expires_on.0))
}
