//! The client: how it is built and what it holds.

use std::sync::Arc;

use acs_auth::Endpoint;
use acs_identity_core::{ClientConfig, ClientCredential};

use crate::ClientOptions;
use crate::credential::{TokenCache, TokenContext, TokenSource};
use crate::transport::Transport;

/// The client of the ACS Identity service: creates users, issues, exchanges and revokes their tokens, and
/// manages Teams extension and Entra ID assignments.
///
/// Cheap to clone (the connection pool and token cache are shared) and `Send + Sync`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = acs_identity_emulator::Emulator::builder().start().await?;
/// # let connection_string = emulator.connection_string();
/// use acs_identity::{CommunicationIdentityClient, TokenScope};
///
/// let client = CommunicationIdentityClient::from_connection_string(&connection_string)?;
/// let user = client.create_user().await?;
/// let token = client.get_token(&user, &[TokenScope::Chat], Default::default()).await?;
/// assert!(!token.token().is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct CommunicationIdentityClient {
    pub(crate) inner: Arc<Inner>,
}

/// Everything a call needs, shared by the clones of a client.
pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    pub(crate) credential: ClientCredential<TokenCache>,
    pub(crate) transport: Transport,
}

// The constructors and `Debug` are written once in the core; they end in `build`.
acs_identity_core::client_constructors!(CommunicationIdentityClient, acs_identity);

impl CommunicationIdentityClient {
    /// The client of the expanded constructors: its transport, and the token cache of an Entra ID source.
    fn build(
        endpoint: Endpoint,
        credential: ClientCredential<Arc<dyn TokenSource>>,
        options: ClientOptions,
    ) -> Self {
        let transport = Transport::new(&options.network);
        let credential = credential.map(|source| {
            let context = TokenContext::new(transport.clone(), options.attempt_timeout);
            TokenCache::new(source, context)
        });
        let config = ClientConfig::new(
            endpoint,
            options,
            env!("CARGO_PKG_VERSION"),
            env!("ACS_IDENTITY_RUSTC_VERSION"),
        );
        let inner = Inner {
            config,
            credential,
            transport,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    fn credential(&self) -> &ClientCredential<TokenCache> {
        &self.inner.credential
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CommunicationUserIdentifier, TokenOptions, TokenScope};

    fn assert_send<T: Send>(_: &T) {}

    /// The rest of what a client must be is in the shared suite (`tests/common/scenarios.rs`).
    #[test]
    fn the_futures_of_a_client_can_cross_threads() {
        let connection_string =
            "endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0";
        let client =
            CommunicationIdentityClient::from_connection_string(connection_string).unwrap();
        let user = CommunicationUserIdentifier::new("8:acs:someone");
        assert_send(&client.create_user());
        assert_send(&client.get_token(&user, &[TokenScope::Chat], TokenOptions::default()));
        assert_send(&client.update_entra_assignments([]));
    }
}
