//! The Entra ID mode: ACS tokens exchanged from the user's Entra ID tokens.

use std::future::Future;
use std::sync::Arc;

use acs_auth::{Endpoint, EntraToken};
use acs_identity_core::{TokenExchange, TokenExchangeTarget, TokenRefreshError};
use acs_identity_types::AccessToken;

use super::refresher::Refresh;
use crate::{BoxFuture, CommunicationIdentityClient};

/// The Entra ID token source: the user's async closure, given the scopes.
type EntraTokenSource =
    dyn Fn(&[String]) -> BoxFuture<'static, Result<EntraToken, TokenRefreshError>> + Send + Sync;

// The options but for `new` (the token source's closure differs by mode) are written once in the core.
acs_identity_core::entra_credential_options! {
    /// How a [`CommunicationTokenCredential`](super::CommunicationTokenCredential) gets ACS tokens from Entra ID,
    /// like the official `EntraCommunicationTokenCredentialOptions`: it asks `token_source` for an Entra ID token
    /// for the scopes and exchanges it at the resource.
    ///
    /// The scopes choose the exchange: all starting with `https://communication.azure.com/clients/` (the default
    /// is `https://communication.azure.com/clients/.default`) use `POST /access/entra/:exchangeAccessToken`
    /// (api-version 2025-03-02-preview); all starting with `https://auth.msft.communication.azure.com/` use
    /// `POST /access/teamsExtension/:exchangeAccessToken` (2025-06-30). Any other set fails
    /// [`build`](super::CommunicationTokenCredentialBuilder::build). The request carries the Entra ID token as
    /// its bearer and `{}` as its body; throttling and transient failures are retried like any client call.
    ///
    /// The Entra ID token source is asked at every refresh (it caches its own tokens); the exchange is skipped
    /// while it returns the token exchanged last and the ACS token obtained for it is more than 2 minutes from
    /// its expiry, since exchanging the same token again yields the same expiry.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use acs_identity::{CommunicationTokenCredential, EntraCommunicationTokenCredentialOptions, EntraToken, Endpoint};
    ///
    /// # fn sign_in(_: &[String]) -> Result<EntraToken, std::io::Error> { Ok(EntraToken::new("eyJ...", std::time::SystemTime::now())) }
    /// let endpoint = Endpoint::parse("https://contoso.communication.azure.com")?;
    /// let options = EntraCommunicationTokenCredentialOptions::new(endpoint, |scopes: &[String]| {
    ///     // Ask MSAL, azure_identity or your sign-in flow for a user token with these scopes.
    ///     let token = sign_in(scopes);
    ///     async move { token }
    /// })
    /// .scopes(["https://communication.azure.com/clients/VoIP"]);
    /// let credential = CommunicationTokenCredential::with_entra(options).build()?;
    /// # let _ = credential;
    /// # Ok(())
    /// # }
    /// ```
    pub struct EntraCommunicationTokenCredentialOptions {
        token_source: Arc<EntraTokenSource>,
    }
    refresher: EntraExchange as Refresh
}

impl EntraCommunicationTokenCredentialOptions {
    /// Exchanges at `resource_endpoint` the Entra ID tokens of `token_source`, an async closure given the
    /// scopes and returning an [`EntraToken`] or an error of any type convertible to
    /// `Box<dyn Error + Send + Sync>`.
    pub fn new<F, Fut, E>(resource_endpoint: Endpoint, token_source: F) -> Self
    where
        F: Fn(&[String]) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<EntraToken, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let token_source = move |scopes: &[String]| -> BoxFuture<'static, _> {
            let token = token_source(scopes);
            Box::pin(async move { token.await.map_err(TokenRefreshError::refresher) })
        };
        Self::with_source(resource_endpoint, Arc::new(token_source))
    }
}

/// The refresher of the Entra ID mode.
struct EntraExchange {
    client: CommunicationIdentityClient,
    source: Arc<EntraTokenSource>,
    exchange: TokenExchange,
}

impl EntraExchange {
    async fn exchange(&self) -> Result<AccessToken, TokenRefreshError> {
        let entra = (self.source)(self.exchange.scopes()).await?;
        if let Some(token) = self.exchange.reusable(entra.token()) {
            return Ok(token);
        }
        let exchanged = match self.exchange.target() {
            TokenExchangeTarget::TeamsExtension => {
                self.client
                    .exchange_teams_extension_token(entra.token())
                    .await
            }
            _ => self.client.exchange_entra_token(entra.token()).await,
        };
        self.exchange.complete(entra.token(), exchanged)
    }
}

impl Refresh for EntraExchange {
    fn refresh(&self) -> BoxFuture<'_, Result<AccessToken, TokenRefreshError>> {
        Box::pin(self.exchange())
    }
}
