//! How a client authorizes its requests, and the constructors that choose it, written once for both frontends.

use std::fmt;

use acs_auth::AccessKey;

/// How a client authorizes its requests: HMAC-SHA256 with the resource's access key (signed again on every
/// attempt), or Entra ID bearer tokens from `E`, the frontend's token source (and then its token cache).
/// `Debug` names the kind, never the key.
pub enum ClientCredential<E> {
    /// The resource's access key.
    AccessKey(AccessKey),
    /// Entra ID tokens.
    Entra(E),
}

impl<E> ClientCredential<E> {
    /// `"access key"` or `"Entra ID"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AccessKey(_) => "access key",
            Self::Entra(_) => "Entra ID",
        }
    }

    /// The same credential with the Entra ID part made by `f` (a token source into its cache, say).
    pub fn map<F>(self, f: impl FnOnce(E) -> F) -> ClientCredential<F> {
        match self {
            Self::AccessKey(key) => ClientCredential::AccessKey(key),
            Self::Entra(entra) => ClientCredential::Entra(f(entra)),
        }
    }
}

impl<E> fmt::Debug for ClientCredential<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// Expands `CommunicationIdentityClient` as each frontend has it but for its docs (`$doc`) and its calls: the
/// struct and what it shares among its clones (`Inner`: the [`ClientConfig`](crate::ClientConfig), the
/// credential, the transport), its constructors (`from_connection_string`, `new`, `with_access_key`,
/// `with_token_source`) and `Debug`. `$sdk` is the frontend crate, for a doc example. The operations come
/// from [`client_operations!`](crate::client_operations!), the send loop from the frontend.
///
/// For the two frontend crates; hidden from the docs. The invoking crate has, besides its `TokenSource` trait
/// at its root, the pieces of a frontend that differ by mode: `transport::Transport` (`Clone`, with
/// `new(&ClientOptions)`), `credential::TokenContext::new(Transport, Option<Duration>)` and
/// `credential::TokenCache::new(Arc<dyn TokenSource>, TokenContext)`; and it sets the environment variable
/// `ACS_IDENTITY_RUSTC_VERSION` at build time (for the `User-Agent`).
#[doc(hidden)]
#[macro_export]
// `crate::` names the invoking frontend's own items, on purpose.
#[allow(clippy::crate_in_macro_def)]
macro_rules! communication_identity_client {
    (
        $(#[$doc:meta])*
        pub struct CommunicationIdentityClient;
        sdk: $sdk:ident $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct CommunicationIdentityClient {
            pub(crate) inner: ::std::sync::Arc<Inner>,
        }

        /// Everything a call needs, shared by the clones of a client.
        pub(crate) struct Inner {
            pub(crate) config: $crate::ClientConfig,
            pub(crate) credential: $crate::ClientCredential<crate::credential::TokenCache>,
            pub(crate) transport: crate::transport::Transport,
        }

        impl CommunicationIdentityClient {
            /// A client for the resource of a connection string (`endpoint=https://...;accesskey=...`), with
            /// the default [`ClientOptions`](crate::ClientOptions). The error never contains the access key.
            pub fn from_connection_string(
                connection_string: &str,
            ) -> ::core::result::Result<Self, $crate::frontend_api::ConnectionStringError> {
                let connection_string =
                    $crate::frontend_api::ConnectionString::parse(connection_string)?;
                Ok(Self::new(connection_string, $crate::ClientOptions::default()))
            }

            /// A client for the resource of a parsed connection string.
            pub fn new(
                connection_string: $crate::frontend_api::ConnectionString,
                options: $crate::ClientOptions,
            ) -> Self {
                let key = connection_string.access_key().clone();
                let endpoint = connection_string.endpoint().clone();
                Self::with_access_key(endpoint, key, options)
            }

            /// A client that signs its requests with the resource's access key (HMAC-SHA256).
            pub fn with_access_key(
                endpoint: $crate::frontend_api::Endpoint,
                access_key: $crate::frontend_api::AccessKey,
                options: $crate::ClientOptions,
            ) -> Self {
                Self::build(endpoint, $crate::ClientCredential::AccessKey(access_key), options)
            }

            /// A client that authorizes its requests with Entra ID tokens from `source`: a closure, a fixed
            /// [`EntraToken`](crate::EntraToken), a [`ClientSecretCredential`](crate::ClientSecretCredential),
            /// a [`WorkloadIdentityCredential`](crate::WorkloadIdentityCredential), or your own
            /// [`TokenSource`](crate::TokenSource). The identity needs a role such as *Communication Identity
            /// Contributor* on the resource.
            ///
            /// ```
            #[doc = concat!(
                "use ", stringify!($sdk),
                "::{ClientOptions, ClientSecretCredential, CommunicationIdentityClient, Endpoint};"
            )]
            ///
            /// let endpoint = Endpoint::parse("https://contoso.communication.azure.com")?;
            /// let credential = ClientSecretCredential::new("tenant-id", "client-id", "client-secret");
            /// let client = CommunicationIdentityClient::with_token_source(endpoint, credential, ClientOptions::default());
            /// # let _ = client;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn with_token_source(
                endpoint: $crate::frontend_api::Endpoint,
                source: impl crate::TokenSource,
                options: $crate::ClientOptions,
            ) -> Self {
                let source: ::std::sync::Arc<dyn crate::TokenSource> = ::std::sync::Arc::new(source);
                Self::build(endpoint, $crate::ClientCredential::Entra(source), options)
            }

            /// The client: its transport, and the token cache of an Entra ID source.
            fn build(
                endpoint: $crate::frontend_api::Endpoint,
                credential: $crate::ClientCredential<::std::sync::Arc<dyn crate::TokenSource>>,
                options: $crate::ClientOptions,
            ) -> Self {
                let transport = crate::transport::Transport::new(&options);
                let credential = credential.map(|source| {
                    let context =
                        crate::credential::TokenContext::new(transport.clone(), options.attempt_timeout);
                    crate::credential::TokenCache::new(source, context)
                });
                let config = $crate::ClientConfig::new(
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
                    inner: ::std::sync::Arc::new(inner),
                }
            }
        }

        impl ::core::fmt::Debug for CommunicationIdentityClient {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct("CommunicationIdentityClient")
                    .field("endpoint", self.endpoint())
                    .field("api_version", &self.api_version())
                    .field("credential", &self.inner.credential)
                    .finish_non_exhaustive()
            }
        }
    };
}
