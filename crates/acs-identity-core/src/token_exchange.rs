//! The token exchanges of Entra ID users and of Teams extension users: one shape, two endpoints.

/// Defines an operation that exchanges the user's own Entra ID token for an ACS user and token with
/// `POST $path` and body `{}`: authorized by that token (`Authorization: Bearer`, so
/// [`Operation::authorization`](crate::Operation::authorization) is
/// [`Authorization::Included`](crate::Authorization::Included)), idempotent, and its `Debug` redacts the token.
macro_rules! token_exchange {
    ($(#[$doc:meta])* $name:ident, $operation:literal, $feature:expr, $path:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name {
            /// The user's Entra ID access token.
            pub entra_token: String,
        }

        impl $name {
            /// Exchanges `entra_token`.
            pub fn new(entra_token: impl Into<String>) -> Self {
                Self {
                    entra_token: entra_token.into(),
                }
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("entra_token", &"[redacted]")
                    .finish()
            }
        }

        impl $crate::Operation for $name {
            type Output = $crate::CommunicationUserIdentifierAndToken;
            const NAME: &'static str = $operation;

            fn build_request(
                &self,
                service: &$crate::ServiceConfig,
            ) -> Result<http::Request<Vec<u8>>, $crate::Error> {
                service.require($feature)?;
                let request = $crate::request::RequestTarget::new(service)
                    .literal($path)
                    .json(http::Method::POST, &$crate::wire::Empty {})?;
                $crate::request::with_bearer(request, &self.entra_token)
            }

            fn parse_response(
                &self,
                response: http::Response<Vec<u8>>,
            ) -> Result<Self::Output, $crate::Error> {
                $crate::CommunicationUserIdentifierAndToken::parse(Self::NAME, &response)
            }

            fn is_idempotent(&self) -> bool {
                true
            }

            fn authorization(&self) -> $crate::Authorization {
                $crate::Authorization::Included
            }
        }
    };
}

pub(crate) use token_exchange;
