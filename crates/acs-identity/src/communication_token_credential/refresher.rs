//! Where a refreshing credential gets its tokens: the user's async closure, or the Entra ID exchange.

use std::future::Future;

use acs_identity_core::{IntoAccessToken, TokenRefreshError};
use acs_identity_types::AccessToken;

use crate::BoxFuture;

/// Obtains a new token; called by one caller at a time.
pub(super) trait Refresh: Send + Sync + 'static {
    fn refresh(&self) -> BoxFuture<'_, Result<AccessToken, TokenRefreshError>>;
}

/// An async closure returning a JWT or an [`AccessToken`].
pub(super) struct FnRefresher<F>(pub(super) F);

impl<F, Fut, T, E> Refresh for FnRefresher<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: IntoAccessToken,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn refresh(&self) -> BoxFuture<'_, Result<AccessToken, TokenRefreshError>> {
        let token = (self.0)();
        Box::pin(async move { TokenRefreshError::from_refresher(token.await) })
    }
}
