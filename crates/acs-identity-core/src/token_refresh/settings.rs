//! What every `CommunicationTokenCredentialBuilder` collects besides its refresher: the initial token,
//! proactive refreshing and the clock. The frontends' builders wrap it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use acs_identity_types::AccessToken;
use time::OffsetDateTime;

use super::credential::CredentialState;
use super::error::CredentialBuildError;
use super::parse::{IntoAccessToken, TokenParseError};
use super::schedule::RefreshPolicy;

/// The clock a credential reads its times from (UTC now by default; a test clock in tests).
pub type CredentialClock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Where a refreshing credential's tokens come from: the user's refresher `R`, or the Entra ID exchange
/// options `E` (turned into a refresher when the credential is built).
pub enum CredentialSource<R, E> {
    /// The user's refresher.
    Refresher(R),
    /// Entra ID tokens exchanged for ACS tokens.
    Entra(E),
}

impl<R, E> CredentialSource<R, E> {
    /// `"refresher"` or `"Entra ID exchange"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Refresher(_) => "refresher",
            Self::Entra(_) => "Entra ID exchange",
        }
    }
}

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

    /// What a builder makes of these settings and `source`: the refresher, the starting state (under the
    /// default [`RefreshPolicy`]) and the clock (the one set, else `system`). `entra` turns Entra ID exchange
    /// options into a refresher, given the clock and the on-demand margin.
    pub fn build<R, E>(
        self,
        source: CredentialSource<R, E>,
        system: impl FnOnce() -> CredentialClock,
        entra: impl FnOnce(E, CredentialClock, Duration) -> Result<R, CredentialBuildError>,
    ) -> Result<(R, CredentialState, CredentialClock), CredentialBuildError> {
        let clock = self.clock_or(system);
        let policy = RefreshPolicy::default();
        let refresher = match source {
            CredentialSource::Refresher(refresher) => refresher,
            CredentialSource::Entra(options) => {
                entra(options, Arc::clone(&clock), policy.on_demand_margin)?
            }
        };
        let state = self.into_state(policy, clock())?;
        Ok((refresher, state, clock))
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

/// Expands `CommunicationTokenCredential` and its builder, the same in both frontends but for their docs: the
/// struct with the frontend's docs (`$doc`: the rules, the example), its fixed-token `new`, `with_entra`,
/// `close`, `is_closed` and `Debug`; the handle whose drop closes it; `CommunicationTokenCredentialBuilder`
/// (its tokens come from a [`CredentialSource`] of `$refresher` and `$entra`) with its setters and `Debug`;
/// and `system_clock`. `$sdk` is the frontend crate (for a doc example), `$background` where the background
/// refreshes run (`"on one tokio task"`). The frontend adds `with_refresher`, `get_token` and the builder's
/// `build` (from the builder's private `into_parts`), which differ by mode.
///
/// For the two frontend crates; hidden from the docs. The invoking module has `Shared`, the state a
/// credential's clones and its background refresher share, with `new(Option<$refresher>, CredentialState,
/// CredentialClock)`, `close()`, `is_closed()` and `state() -> &SharedCredentialState`, and
/// `CommunicationTokenCredential` a private `from_shared(Shared) -> Self`; `$entra` has
/// `into_refresher(CredentialClock, Duration) -> Result<$refresher, CredentialBuildError>`.
#[doc(hidden)]
#[macro_export]
macro_rules! communication_token_credential {
    (
        $(#[$doc:meta])*
        pub struct CommunicationTokenCredential;
        refresher: $refresher:ty,
        entra: $entra:ty,
        sdk: $sdk:ident,
        background: $background:literal $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct CommunicationTokenCredential {
            handle: ::std::sync::Arc<Handle>,
        }

        /// Held only by the user's clones: dropping the last one closes the credential, while the background
        /// refresher holds the shared state alone.
        struct Handle(::std::sync::Arc<Shared>);

        impl Drop for Handle {
            fn drop(&mut self) {
                self.0.close();
            }
        }

        impl CommunicationTokenCredential {
            /// A credential holding a fixed token: a JWT (its expiry is read from `exp`) or an
            /// [`AccessToken`](crate::AccessToken) with an explicit expiry. It is never refreshed.
            ///
            /// ```
            #[doc = concat!("use ", stringify!($sdk), "::{AccessToken, CommunicationTokenCredential, TokenParseError};")]
            /// use time::{Duration, OffsetDateTime};
            ///
            /// let opaque = AccessToken::new("opaque-token", OffsetDateTime::now_utc() + Duration::hours(1));
            /// let credential = CommunicationTokenCredential::new(opaque)?;
            /// assert!(!credential.is_closed());
            /// assert!(matches!(CommunicationTokenCredential::new(" "), Err(TokenParseError::Blank)));
            /// # Ok::<(), TokenParseError>(())
            /// ```
            pub fn new(
                token: impl $crate::IntoAccessToken,
            ) -> ::core::result::Result<Self, $crate::TokenParseError> {
                let token = token.into_access_token()?;
                let clock = system_clock();
                let state = $crate::CredentialState::fixed(token, clock());
                Ok(Self::from_shared(Shared::new(None, state, clock)))
            }

            /// A credential exchanging Entra ID tokens for ACS tokens, like the official
            /// `EntraCommunicationTokenCredentialOptions`; see
            /// [`EntraCommunicationTokenCredentialOptions`](crate::EntraCommunicationTokenCredentialOptions).
            /// Finish with [`build`](CommunicationTokenCredentialBuilder::build).
            pub fn with_entra(options: $entra) -> CommunicationTokenCredentialBuilder {
                CommunicationTokenCredentialBuilder::new($crate::CredentialSource::Entra(options))
            }

            /// Closes the credential for every clone: the background refresher ends, waiting and later callers
            /// get [`TokenRefreshError::Closed`](crate::TokenRefreshError::Closed) (see **Closing** above).
            /// Idempotent; never blocks.
            pub fn close(&self) {
                self.handle.0.close();
            }

            /// Whether the credential is closed.
            pub fn is_closed(&self) -> bool {
                self.handle.0.is_closed()
            }
        }

        impl ::core::fmt::Debug for CommunicationTokenCredential {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(self.handle.0.state(), f)
            }
        }

        /// Settings of a refreshing [`CommunicationTokenCredential`], from
        /// [`with_refresher`](CommunicationTokenCredential::with_refresher) or
        /// [`with_entra`](CommunicationTokenCredential::with_entra).
        #[must_use = "call `build` to get the credential"]
        pub struct CommunicationTokenCredentialBuilder {
            source: $crate::CredentialSource<$refresher, $entra>,
            settings: $crate::CredentialSettings,
        }

        impl CommunicationTokenCredentialBuilder {
            fn new(source: $crate::CredentialSource<$refresher, $entra>) -> Self {
                Self {
                    source,
                    settings: $crate::CredentialSettings::default(),
                }
            }

            /// The token to start with (a JWT or an [`AccessToken`](crate::AccessToken)), so that the first
            /// call needs no refresh. An unreadable one makes [`build`](Self::build) fail.
            pub fn initial_token(mut self, token: impl $crate::IntoAccessToken) -> Self {
                self.settings.initial_token(token);
                self
            }

            #[doc = concat!(
                "Whether to refresh in the background, 10 minutes before the expiry, ", $background,
                ". Default: no, tokens are refreshed when asked for."
            )]
            pub fn refresh_proactively(mut self, proactive: bool) -> Self {
                self.settings.refresh_proactively(proactive);
                self
            }

            /// What `build` starts from: the refresher, the starting state and the clock.
            fn into_parts(
                self,
            ) -> ::core::result::Result<
                ($refresher, $crate::CredentialState, $crate::CredentialClock),
                $crate::CredentialBuildError,
            > {
                self.settings
                    .build(self.source, system_clock, <$entra>::into_refresher)
            }

            /// Where the credential reads the time. Default: the system clock. For tests and simulations.
            pub fn clock(
                mut self,
                clock: impl Fn() -> $crate::__time::OffsetDateTime + Send + Sync + 'static,
            ) -> Self {
                self.settings.clock(clock);
                self
            }
        }

        impl ::core::fmt::Debug for CommunicationTokenCredentialBuilder {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct("CommunicationTokenCredentialBuilder")
                    .field("source", &self.source.kind())
                    .field("settings", &self.settings)
                    .finish_non_exhaustive()
            }
        }

        /// The system clock, UTC.
        fn system_clock() -> $crate::CredentialClock {
            ::std::sync::Arc::new($crate::__time::OffsetDateTime::now_utc)
        }
    };
}
