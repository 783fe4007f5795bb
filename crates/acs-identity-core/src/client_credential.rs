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

/// Expands the constructors of `$client` (`from_connection_string`, `new`, `with_access_key`,
/// `with_token_source`) and its `Debug`, the same in both frontends; `$sdk` is the frontend crate, for the
/// doc example.
///
/// For the two frontend crates; hidden from the docs. The invoking crate has a `TokenSource` trait at its root,
/// and `$client` these private methods:
/// - `fn build(endpoint: Endpoint, credential: ClientCredential<Arc<dyn TokenSource>>, options: ClientOptions)
///   -> Self`: the client;
/// - `fn credential(&self) -> &ClientCredential<_>`: for `Debug`, with `endpoint()` and `api_version()` (from
///   [`client_operations!`](crate::client_operations!)).
#[doc(hidden)]
#[macro_export]
// `crate::TokenSource` is the invoking frontend's trait, on purpose.
#[allow(clippy::crate_in_macro_def)]
macro_rules! client_constructors {
    ($client:ident, $sdk:ident) => {
        impl $client {
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
        }

        impl ::core::fmt::Debug for $client {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(stringify!($client))
                    .field("endpoint", self.endpoint())
                    .field("api_version", &self.api_version())
                    .field("credential", self.credential())
                    .finish_non_exhaustive()
            }
        }
    };
}
