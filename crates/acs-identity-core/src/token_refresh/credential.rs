//! The state of a communication token credential: a fixed token, or a refresh schedule.

use std::fmt;

use acs_identity_types::AccessToken;
use time::OffsetDateTime;

use super::error::TokenRefreshError;
use super::schedule::{OnDemand, Proactive, RefreshPolicy, RefreshSchedule, RefreshTicket};

/// What a communication token credential knows, shared by its clones: a fixed token (returned until it
/// expires, never refreshed) or a [`RefreshSchedule`]. The frontend holds it behind a lock, reads the
/// clock, runs the refresher one caller at a time and sleeps; this answers every question.
///
/// ```
/// use acs_identity_core::{CredentialState, Demand, TokenRefreshError};
/// use acs_identity_types::AccessToken;
/// use time::macros::datetime;
///
/// let token = AccessToken::new("eyJ...", datetime!(2025-04-14 13:00 UTC));
/// let state = CredentialState::fixed(token, datetime!(2025-04-14 12:00 UTC));
/// assert!(matches!(state.on_demand(datetime!(2025-04-14 12:59 UTC), None), Ok(Demand::Use(_))));
/// assert!(matches!(
///     state.on_demand(datetime!(2025-04-14 13:00 UTC), None),
///     Err(TokenRefreshError::StaticTokenExpired { .. })
/// ));
/// ```
#[derive(Clone)]
pub struct CredentialState {
    schedule: RefreshSchedule,
    /// When the fixed token expires; `None` for a refreshing credential.
    fixed_expiry: Option<OffsetDateTime>,
    proactive: bool,
}

/// What a caller asking a credential for its token does.
#[derive(Debug, Clone)]
pub enum Demand {
    /// Return this token.
    Use(AccessToken),
    /// Take the single flight (wait for a refresh in flight to end), ask again with the ticket, and
    /// refresh if the answer is still [`Demand::Refresh`].
    Refresh(RefreshTicket),
}

impl CredentialState {
    /// A credential holding a fixed `token`, from `now` on.
    pub fn fixed(token: AccessToken, now: OffsetDateTime) -> Self {
        let fixed_expiry = Some(token.expires_on());
        let schedule = RefreshSchedule::new(RefreshPolicy::default(), Some(token), false, now);
        Self {
            schedule,
            fixed_expiry,
            proactive: false,
        }
    }

    /// A refreshing credential starting with `initial_token`, from `now` on; see [`RefreshSchedule::new`].
    pub fn refreshing(
        policy: RefreshPolicy,
        initial_token: Option<AccessToken>,
        proactive: bool,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            schedule: RefreshSchedule::new(policy, initial_token, proactive, now),
            fixed_expiry: None,
            proactive,
        }
    }

    /// Whether the credential holds a fixed token.
    pub fn is_fixed(&self) -> bool {
        self.fixed_expiry.is_some()
    }

    /// Whether the credential refreshes in the background.
    pub fn is_proactive(&self) -> bool {
        self.proactive
    }

    /// What a caller asking at `now` does (`waited`: the ticket of [`Demand::Refresh`] when it asks
    /// again after waiting its turn), or the error it returns: [`TokenRefreshError::Closed`], the failure
    /// of the refresh it waited for, or [`TokenRefreshError::StaticTokenExpired`] for a fixed token. A
    /// fixed token is never to be refreshed.
    pub fn on_demand(
        &self,
        now: OffsetDateTime,
        waited: Option<RefreshTicket>,
    ) -> Result<Demand, TokenRefreshError> {
        if let Some(expired_on) = self.fixed_expiry {
            if self.schedule.is_closed() {
                return Err(TokenRefreshError::Closed);
            }
            return match self.schedule.current(now) {
                Some(token) => Ok(Demand::Use(token.clone())),
                None => Err(TokenRefreshError::StaticTokenExpired { expired_on }),
            };
        }
        match self.schedule.on_demand(now, waited) {
            OnDemand::Use(token) => Ok(Demand::Use(token.clone())),
            OnDemand::Refresh(ticket) => Ok(Demand::Refresh(ticket)),
            OnDemand::Failed(error) => Err(error.clone()),
            _ => Err(TokenRefreshError::Closed),
        }
    }

    /// What the proactive refresher does at `now`; see [`RefreshSchedule::proactive`].
    pub fn proactive(&self, now: OffsetDateTime) -> Proactive {
        self.schedule.proactive(now)
    }

    /// Whether no refresh completed since `ticket`; see [`RefreshSchedule::is_current`].
    pub fn is_current(&self, ticket: RefreshTicket) -> bool {
        self.schedule.is_current(ticket)
    }

    /// Records the outcome of a refresh; see [`RefreshSchedule::complete`].
    pub fn complete(
        &mut self,
        result: Result<AccessToken, TokenRefreshError>,
        now: OffsetDateTime,
        jitter: f64,
    ) -> Result<AccessToken, TokenRefreshError> {
        self.schedule.complete(result, now, jitter)
    }

    /// Closes the credential: no more tokens, the proactive refresher stops.
    pub fn close(&mut self) {
        self.schedule.close();
    }

    /// Whether the credential is closed.
    pub fn is_closed(&self) -> bool {
        self.schedule.is_closed()
    }

    /// The `Debug` of the credential at `now`: its mode, whether it refreshes proactively, when its
    /// token expires and whether it is closed. Never the token.
    pub fn debug_at(&self, now: OffsetDateTime) -> impl fmt::Debug + '_ {
        DebugAt { state: self, now }
    }
}

struct DebugAt<'a> {
    state: &'a CredentialState,
    now: OffsetDateTime,
}

impl fmt::Debug for DebugAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = if self.state.is_fixed() {
            "fixed token"
        } else {
            "refreshing"
        };
        let schedule = &self.state.schedule;
        f.debug_struct("CommunicationTokenCredential")
            .field("mode", &mode)
            .field("proactive", &self.state.proactive)
            .field(
                "expires_on",
                &schedule.current(self.now).map(AccessToken::expires_on),
            )
            .field("closed", &schedule.is_closed())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for CredentialState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialState")
            .field("fixed_expiry", &self.fixed_expiry)
            .field("proactive", &self.proactive)
            .field("schedule", &self.schedule)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use time::macros::datetime;

    use super::*;

    const NOON: OffsetDateTime = datetime!(2025-04-14 12:00 UTC);

    fn token(name: &str, expires_on: OffsetDateTime) -> AccessToken {
        AccessToken::new(name, expires_on)
    }

    fn used(demand: Result<Demand, TokenRefreshError>) -> String {
        match demand {
            Ok(Demand::Use(token)) => token.token().to_owned(),
            other => panic!("not a token: {other:?}"),
        }
    }

    #[test]
    fn a_fixed_token_is_returned_until_it_expires_and_never_refreshed() {
        let expiry = datetime!(2025-04-14 12:01 UTC);
        let mut state = CredentialState::fixed(token("fixed", expiry), NOON);
        assert!(state.is_fixed() && !state.is_proactive());
        // Inside the on-demand margin, a fixed token is still returned as it is.
        assert_eq!(used(state.on_demand(NOON, None)), "fixed");
        assert_eq!(state.proactive(NOON), Proactive::Stop);
        let Err(TokenRefreshError::StaticTokenExpired { expired_on }) =
            state.on_demand(expiry, None)
        else {
            panic!("an expired fixed token is an error")
        };
        assert_eq!(expired_on, expiry);
        state.close();
        assert!(matches!(
            state.on_demand(NOON, None),
            Err(TokenRefreshError::Closed)
        ));
    }

    #[test]
    fn an_already_expired_fixed_token_names_its_expiry() {
        let expiry = datetime!(2025-04-14 11:00 UTC);
        let state = CredentialState::fixed(token("old", expiry), NOON);
        assert!(matches!(
            state.on_demand(NOON, None),
            Err(TokenRefreshError::StaticTokenExpired { expired_on }) if expired_on == expiry
        ));
    }

    #[test]
    fn a_refreshing_credential_follows_its_schedule() {
        let mut state = CredentialState::refreshing(RefreshPolicy::default(), None, false, NOON);
        assert!(!state.is_fixed());
        let Ok(Demand::Refresh(ticket)) = state.on_demand(NOON, None) else {
            panic!("no token yet")
        };
        assert!(state.is_current(ticket));
        let failure = TokenRefreshError::refresher(std::io::Error::other("down"));
        assert!(state.complete(Err(failure), NOON, 0.5).is_err());
        assert!(!state.is_current(ticket));
        // A caller that waited for that refresh gets its failure.
        assert!(matches!(
            state.on_demand(NOON, Some(ticket)),
            Err(TokenRefreshError::Refresher(_))
        ));
        let fresh = token("fresh", datetime!(2025-04-14 13:00 UTC));
        state.complete(Ok(fresh), NOON, 0.5).unwrap();
        assert_eq!(used(state.on_demand(NOON, None)), "fresh");
        state.close();
        assert!(state.is_closed());
        assert!(matches!(
            state.on_demand(NOON, None),
            Err(TokenRefreshError::Closed)
        ));
    }

    #[test]
    fn a_proactive_credential_refreshes_at_once_without_a_token() {
        let state = CredentialState::refreshing(RefreshPolicy::default(), None, true, NOON);
        assert!(state.is_proactive());
        assert!(matches!(state.proactive(NOON), Proactive::Refresh(_)));
        let later = token("later", NOON + Duration::from_secs(3600));
        let state = CredentialState::refreshing(RefreshPolicy::default(), Some(later), true, NOON);
        assert_eq!(
            state.proactive(NOON),
            Proactive::Wait(Duration::from_secs(300))
        );
    }

    #[test]
    fn debug_shows_the_expiry_but_never_the_token() {
        let expiry = datetime!(2025-04-14 13:00 UTC);
        let state = CredentialState::fixed(token("secret-token", expiry), NOON);
        let shown = format!("{:?}", state.debug_at(NOON));
        assert_eq!(
            shown,
            "CommunicationTokenCredential { mode: \"fixed token\", proactive: false, \
             expires_on: Some(2025-04-14 13:00:00.0 +00:00:00), closed: false, .. }"
        );
        assert!(!format!("{state:?}").contains("secret-token"));
    }
}
