//! What every `CommunicationTokenCredentialBuilder` collects besides its refresher: the initial token,
//! proactive refreshing and the clock. The frontends' builders wrap it.

use std::fmt;
use std::sync::Arc;

use acs_identity_types::AccessToken;
use time::OffsetDateTime;

use super::credential::CredentialState;
use super::error::CredentialBuildError;
use super::parse::{IntoAccessToken, TokenParseError};
use super::schedule::RefreshPolicy;

/// The clock a credential reads its times from (UTC now by default; a test clock in tests).
pub type CredentialClock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The settings of a refreshing credential other than its refresher. `Debug` never shows the token.
#[derive(Default)]
pub struct CredentialSettings {
    initial_token: Option<Result<AccessToken, TokenParseError>>,
    proactive: bool,
    clock: Option<CredentialClock>,
}

impl CredentialSettings {
    /// A token to start with; a malformed one fails the build.
    pub fn initial_token(&mut self, token: impl IntoAccessToken) {
        self.initial_token = Some(token.into_access_token());
    }

    /// Whether to refresh in the background before the token expires.
    pub fn refresh_proactively(&mut self, proactive: bool) {
        self.proactive = proactive;
    }

    /// The clock to read times from.
    pub fn clock(&mut self, clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static) {
        self.clock = Some(Arc::new(clock));
    }

    /// The clock set, or `system` (the frontend's: the core reads no clock).
    pub fn clock_or(&self, system: impl FnOnce() -> CredentialClock) -> CredentialClock {
        self.clock.clone().unwrap_or_else(system)
    }

    /// The starting state of the credential under `policy`, from `now` on.
    pub fn into_state(
        self,
        policy: RefreshPolicy,
        now: OffsetDateTime,
    ) -> Result<CredentialState, CredentialBuildError> {
        let initial_token = self.initial_token.transpose()?;
        Ok(CredentialState::refreshing(
            policy,
            initial_token,
            self.proactive,
            now,
        ))
    }
}

impl fmt::Debug for CredentialSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let initial_token = self
            .initial_token
            .as_ref()
            .map(|token| token.as_ref().map(|_| "[redacted]"));
        f.debug_struct("CredentialSettings")
            .field("initial_token", &initial_token)
            .field("proactive", &self.proactive)
            .finish_non_exhaustive()
    }
}
