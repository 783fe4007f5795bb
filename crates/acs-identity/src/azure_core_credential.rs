//! `azure_core`'s `TokenCredential` as a token source, so that every `azure_identity` credential works.

use std::sync::Arc;
use std::time::SystemTime;

use acs_auth::{COMMUNICATION_SCOPE, EntraToken};
use acs_identity_core::Error;
use azure_core::credentials::TokenCredential;

use crate::{BoxFuture, TokenContext, TokenSource};

/// Any [`azure_core::credentials::TokenCredential`] as a [`TokenSource`] (feature `azure_core`): the
/// `azure_identity` credentials (developer tools, managed identity, workload identity...) work unchanged.
///
/// They send their own token requests with their own HTTP client; the client's cache still refreshes the
/// token five minutes before it expires.
///
/// ```no_run
/// # use std::sync::Arc;
/// use acs_identity::{AzureCoreCredential, ClientOptions, CommunicationIdentityClient, Endpoint};
///
/// # fn example(credential: Arc<dyn azure_core::credentials::TokenCredential>) -> Result<(), Box<dyn std::error::Error>> {
/// // `credential`: e.g. azure_identity::DeveloperToolsCredential::new(None)?
/// let endpoint = Endpoint::parse("https://contoso.communication.azure.com")?;
/// let client = CommunicationIdentityClient::with_token_source(
///     endpoint,
///     AzureCoreCredential::new(credential),
///     ClientOptions::default(),
/// );
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AzureCoreCredential {
    credential: Arc<dyn TokenCredential>,
}

impl AzureCoreCredential {
    /// Wraps a credential; tokens are requested for [`COMMUNICATION_SCOPE`].
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        Self { credential }
    }
}

impl TokenSource for AzureCoreCredential {
    fn get_token<'a>(&'a self, _: &'a TokenContext) -> BoxFuture<'a, Result<EntraToken, Error>> {
        Box::pin(async move {
            let token = self
                .credential
                .get_token(&[COMMUNICATION_SCOPE], None)
                .await
                .map_err(Error::credential)?;
            Ok(EntraToken::new(
                token.token.secret(),
                SystemTime::from(token.expires_on),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Mutex;
    use std::time::Duration;

    use azure_core::credentials::{AccessToken, TokenRequestOptions};

    use super::*;
    use crate::transport::Transport;

    /// A credential that records the scopes it is asked for.
    #[derive(Debug, Default)]
    struct Recorder(Mutex<Vec<String>>);

    // What `#[async_trait]` expands to, written out to spare a dependency.
    impl TokenCredential for Recorder {
        fn get_token<'a, 'b, 'c, 'f>(
            &'a self,
            scopes: &'b [&'c str],
            _: Option<TokenRequestOptions>,
        ) -> Pin<Box<dyn Future<Output = azure_core::Result<AccessToken>> + Send + 'f>>
        where
            'a: 'f,
            'b: 'f,
            'c: 'f,
            Self: 'f,
        {
            self.0
                .lock()
                .unwrap()
                .extend(scopes.iter().map(|scope| scope.to_string()));
            let expires_on = time::OffsetDateTime::from_unix_timestamp(2_000_000_000).unwrap();
            Box::pin(std::future::ready(Ok(AccessToken::new(
                "eyJ0.e30.sig",
                expires_on,
            ))))
        }
    }

    #[tokio::test]
    async fn asks_for_the_communication_scope_and_keeps_the_expiry() {
        let recorder = Arc::new(Recorder::default());
        let source = AzureCoreCredential::new(recorder.clone());
        let context = TokenContext::new(Transport::new(&Default::default()), None);
        let token = source.get_token(&context).await.unwrap();
        assert_eq!(token.token(), "eyJ0.e30.sig");
        assert_eq!(
            token.expires_at(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000)
        );
        assert_eq!(*recorder.0.lock().unwrap(), [COMMUNICATION_SCOPE]);
    }
}
