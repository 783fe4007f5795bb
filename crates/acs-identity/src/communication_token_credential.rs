//! `CommunicationTokenCredential`: the ACS access token of a chat or calling client, refreshed on the client side.

mod driver;
mod entra;
mod refresher;

use std::future::Future;
use std::sync::Arc;

use acs_identity_core::{CredentialBuildError, CredentialSource, Error, IntoAccessToken};
use acs_identity_types::AccessToken;

use self::driver::Shared;
use self::refresher::{FnRefresher, Refresh};

pub use self::entra::EntraCommunicationTokenCredentialOptions;

// The type and what does not depend on the mode (the fixed-token `new`, `with_entra`, `close`, `is_closed`,
// `Debug`, the builder and its setters) are written once in the core; what waits is below.
acs_identity_core::communication_token_credential! {
    /// The ACS access token of a communication user, for the chat and calling REST APIs: a fixed token, or one
    /// refreshed by your refresher (or exchanged from an Entra ID token) before it expires.
    ///
    /// [`get_token`](Self::get_token) returns the cached token, refreshing first when needed. The rules:
    /// - **On demand.** A token within 2 minutes of its expiry (or past it) is refreshed before it is returned.
    ///   Concurrent callers share one refresh (single flight): the refresher is called once and every waiting
    ///   caller gets its result, token or error.
    /// - **Proactively** (with [`refresh_proactively`](CommunicationTokenCredentialBuilder::refresh_proactively)):
    ///   one background tokio task per credential (not one per refresh) refreshes 10 minutes before the expiry,
    ///   and at once when there is no token.
    /// - A token returned **already inside** one of these windows is refreshed again after half its remaining
    ///   lifetime (at least 5 seconds), never in a loop; an **already expired** one is an error.
    /// - **Failures** are retried after 2 s, doubling up to 2 minutes, with jitter; the official SDKs stop
    ///   proactive refreshing after one failure, this one keeps trying. While the previous token is valid,
    ///   callers keep getting it and retry only when the backoff allows; once it has expired, every call refreshes.
    /// - A **fixed token** is returned until it expires; then `get_token` fails
    ///   ([`TokenRefreshError::StaticTokenExpired`]).
    /// - **Closing**: [`close`](Self::close), or dropping the last clone, ends the background task (a refresh in
    ///   flight is cancelled) and wakes every waiting caller; every later `get_token` fails with
    ///   [`TokenRefreshError::Closed`].
    /// - A caller that stops waiting (its future is dropped) cancels nothing for the others: the next caller
    ///   refreshes.
    ///
    /// Errors are [`Error`]s of kind [`ErrorKind::Credential`](crate::ErrorKind::Credential) whose
    /// [`source`](std::error::Error::source) is a [`TokenRefreshError`] (and, for a refresher failure, its
    /// source is the refresher's error). Neither errors, `Debug` nor logs contain a token.
    ///
    /// Cheap to clone: clones share the token, the single flight and the background task. Times are read from
    /// the system clock unless a [`clock`](CommunicationTokenCredentialBuilder::clock) is given.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = acs_identity_emulator::Emulator::builder().start().await?;
    /// # let connection_string = emulator.connection_string();
    /// use acs_identity::{CommunicationIdentityClient, CommunicationTokenCredential, TokenScope};
    ///
    /// // Your app would ask its own server; here the identity client issues the token.
    /// let client = CommunicationIdentityClient::from_connection_string(&connection_string)?;
    /// let user = client.create_user().await?;
    /// let credential = CommunicationTokenCredential::with_refresher(move || {
    ///     let (client, user) = (client.clone(), user.clone());
    ///     async move { client.get_token(&user, &[TokenScope::Chat], Default::default()).await }
    /// })
    /// .refresh_proactively(true)
    /// .build()?;
    ///
    /// let token = credential.get_token().await?;
    /// assert!(!token.token().is_empty());
    /// credential.close();
    /// assert!(credential.get_token().await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// [`TokenRefreshError`]: crate::TokenRefreshError
    /// [`TokenRefreshError::Closed`]: crate::TokenRefreshError::Closed
    /// [`TokenRefreshError::StaticTokenExpired`]: crate::TokenRefreshError::StaticTokenExpired
    pub struct CommunicationTokenCredential;
    refresher: Arc<dyn Refresh>,
    entra: EntraCommunicationTokenCredentialOptions,
    sdk: acs_identity,
    background: "on one tokio task",
}

impl CommunicationTokenCredential {
    /// A credential whose tokens come from `refresher`, an async closure returning a JWT (`String`, `&str`)
    /// or an [`AccessToken`], or an error of any type convertible to `Box<dyn Error + Send + Sync>`.
    /// Finish with [`build`](CommunicationTokenCredentialBuilder::build).
    pub fn with_refresher<F, Fut, T, E>(refresher: F) -> CommunicationTokenCredentialBuilder
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: IntoAccessToken,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        CommunicationTokenCredentialBuilder::new(CredentialSource::Refresher(Arc::new(
            FnRefresher(refresher),
        )))
    }

    /// The token, refreshed first when it is missing or near its expiry (see the rules above).
    pub async fn get_token(&self) -> Result<AccessToken, Error> {
        let shared = &self.handle.0;
        shared.start_proactive();
        shared.get_token().await
    }

    fn from_shared(shared: Shared) -> Self {
        let shared = Arc::new(shared);
        // Outside a runtime, the task starts with the first `get_token`.
        shared.start_proactive();
        Self {
            handle: Arc::new(Handle(shared)),
        }
    }
}

impl CommunicationTokenCredentialBuilder {
    /// The credential. With proactive refreshing, its task starts now on the current tokio runtime, or
    /// with the first [`get_token`](CommunicationTokenCredential::get_token) when there is none.
    pub fn build(self) -> Result<CommunicationTokenCredential, CredentialBuildError> {
        let (refresher, state, clock) = self.into_parts()?;
        let shared = Shared::new(Some(refresher), state, clock);
        Ok(CommunicationTokenCredential::from_shared(shared))
    }
}
