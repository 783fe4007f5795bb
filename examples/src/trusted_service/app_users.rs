//! How the trusted service knows which of its own users is calling. A demo scheme: each user has a static
//! bearer secret. A real service uses its existing sign-in (sessions, OpenID Connect...) here instead.

use std::fmt;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use subtle::ConstantTimeEq as _;

/// The users of your application and their demo secrets.
///
/// ```
/// use acs_identity_examples::trusted_service::AppUsers;
///
/// let users = AppUsers::new([("alice", "alice-demo-secret")]);
/// assert_eq!(users.authenticate_bearer("alice-demo-secret"), Some("alice"));
/// assert_eq!(users.authenticate_bearer("guess"), None);
/// ```
#[derive(Clone)]
pub struct AppUsers {
    users: Vec<(String, String)>,
}

impl AppUsers {
    /// Users from `(user id, secret)` pairs. The user id is your application's stable id for the user: it
    /// becomes the ACS identity's custom id.
    pub fn new<I, U, S>(users: I) -> Self
    where
        I: IntoIterator<Item = (U, S)>,
        U: Into<String>,
        S: Into<String>,
    {
        Self {
            users: users
                .into_iter()
                .map(|(user, secret)| (user.into(), secret.into()))
                .collect(),
        }
    }

    /// The demo users `alice` and `bob`, with the secrets `alice-demo-secret` and `bob-demo-secret`.
    pub fn demo() -> Self {
        Self::new([("alice", "alice-demo-secret"), ("bob", "bob-demo-secret")])
    }

    /// The user whose secret is `secret`. Every secret is compared in constant time.
    pub fn authenticate_bearer(&self, secret: &str) -> Option<&str> {
        let mut found = None;
        for (user, expected) in &self.users {
            if bool::from(expected.as_bytes().ct_eq(secret.as_bytes())) {
                found = Some(user.as_str());
            }
        }
        found
    }

    /// The user of a request's `Authorization: Bearer <secret>` header.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<&str> {
        let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
        let (scheme, secret) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        self.authenticate_bearer(secret.trim())
    }
}

impl fmt::Debug for AppUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.users.iter().map(|(user, _)| user.as_str()).collect();
        f.debug_struct("AppUsers")
            .field("users", &names)
            .field("secrets", &"[redacted]")
            .finish()
    }
}
