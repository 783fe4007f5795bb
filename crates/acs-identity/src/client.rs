//! The client: how it is built and what it holds.

use std::fmt;
use std::sync::Arc;

use acs_auth::{AccessKey, ConnectionString, ConnectionStringError, Endpoint};
use acs_identity_core::ClientConfig;

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
    pub(crate) credential: Credential,
    pub(crate) transport: Transport,
}

/// How requests are authorized.
pub(crate) enum Credential {
    /// HMAC-SHA256 with the resource's access key, signed again on every attempt.
    AccessKey(AccessKey),
    /// An Entra ID bearer token, cached.
    Entra(TokenCache),
}

impl CommunicationIdentityClient {
    /// A client for the resource of a connection string (`endpoint=https://...;accesskey=...`), with the
    /// default [`ClientOptions`]. The error never contains the access key.
    pub fn from_connection_string(connection_string: &str) -> Result<Self, ConnectionStringError> {
        let connection_string = ConnectionString::parse(connection_string)?;
        Ok(Self::new(connection_string, ClientOptions::default()))
    }

    /// A client for the resource of a parsed connection string.
    pub fn new(connection_string: ConnectionString, options: ClientOptions) -> Self {
        let endpoint = connection_string.endpoint().clone();
        let key = connection_string.access_key().clone();
        Self::with_access_key(endpoint, key, options)
    }

    /// A client that signs its requests with the resource's access key (HMAC-SHA256).
    pub fn with_access_key(
        endpoint: Endpoint,
        access_key: AccessKey,
        options: ClientOptions,
    ) -> Self {
        Self::build(
            endpoint,
            Credential::AccessKey(access_key),
            Transport::new(&options.network),
            options,
        )
    }

    /// A client that authorizes its requests with Entra ID tokens from `source`: a closure, a fixed
    /// [`EntraToken`](crate::EntraToken), a [`ClientSecretCredential`](crate::ClientSecretCredential), a
    /// [`WorkloadIdentityCredential`](crate::WorkloadIdentityCredential), or your own [`TokenSource`]. The
    /// identity needs a role such as *Communication Identity Contributor* on the resource.
    ///
    /// ```
    /// use acs_identity::{ClientOptions, ClientSecretCredential, CommunicationIdentityClient, Endpoint};
    ///
    /// let endpoint = Endpoint::parse("https://contoso.communication.azure.com")?;
    /// let credential = ClientSecretCredential::new("tenant-id", "client-id", "client-secret");
    /// let client = CommunicationIdentityClient::with_token_source(endpoint, credential, ClientOptions::default());
    /// # let _ = client;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_token_source(
        endpoint: Endpoint,
        source: impl TokenSource,
        options: ClientOptions,
    ) -> Self {
        let transport = Transport::new(&options.network);
        let context = TokenContext::new(transport.clone(), options.attempt_timeout);
        let credential = Credential::Entra(TokenCache::new(Arc::new(source), context));
        Self::build(endpoint, credential, transport, options)
    }

    fn build(
        endpoint: Endpoint,
        credential: Credential,
        transport: Transport,
        options: ClientOptions,
    ) -> Self {
        let version = env!("CARGO_PKG_VERSION");
        let config = ClientConfig::new(
            endpoint,
            options,
            version,
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
}

impl fmt::Debug for CommunicationIdentityClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credential = match self.inner.credential {
            Credential::AccessKey(_) => "access key",
            Credential::Entra(_) => "Entra ID",
        };
        f.debug_struct("CommunicationIdentityClient")
            .field("endpoint", self.endpoint())
            .field("api_version", &self.api_version())
            .field("credential", &credential)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CommunicationUserIdentifier, TokenOptions, TokenScope};

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn the_client_and_its_futures_can_cross_threads() {
        fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
        assert_shareable::<CommunicationIdentityClient>();

        let connection_string =
            "endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0";
        let client =
            CommunicationIdentityClient::from_connection_string(connection_string).unwrap();
        let user = CommunicationUserIdentifier::new("8:acs:someone");
        assert_send(&client.create_user());
        assert_send(&client.get_token(&user, &[TokenScope::Chat], TokenOptions::default()));
        assert_send(&client.update_entra_assignments([]));
        let debug = format!("{client:?}");
        assert!(
            debug.contains("contoso") && debug.contains("access key"),
            "{debug}"
        );
        assert!(!debug.contains("c2VjcmV0"), "{debug}");
    }
}
