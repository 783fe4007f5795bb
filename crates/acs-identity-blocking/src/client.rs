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
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = acs_identity_emulator::Emulator::builder().start_in_background()?;
/// # let connection_string = emulator.connection_string();
/// use acs_identity_blocking::{CommunicationIdentityClient, TokenScope};
///
/// let client = CommunicationIdentityClient::from_connection_string(&connection_string)?;
/// let user = client.create_user()?;
/// let token = client.get_token(&user, &[TokenScope::Chat], Default::default())?;
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
acs_identity_core::client_constructors!(CommunicationIdentityClient, acs_identity_blocking);

impl CommunicationIdentityClient {
    /// The client of the expanded constructors: its transport, and the token cache of an Entra ID source.
    fn build(
        endpoint: Endpoint,
        credential: ClientCredential<Arc<dyn TokenSource>>,
        options: ClientOptions,
    ) -> Self {
        let transport = Transport::new(options.attempt_timeout, &options.network);
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
