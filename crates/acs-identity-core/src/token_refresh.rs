//! Client-side refreshing of ACS access tokens, the rules behind `CommunicationTokenCredential`:
//! reading a token's expiry, the refresh schedule (a pure state machine: time in, decision out) and
//! the Entra ID token exchange's endpoint choice and cache.
//!
//! The frontends drive it: they read the clock, call the refresher, sleep and wake up; every timing
//! rule lives here.

mod credential;
mod error;
mod exchange;
mod parse;
mod schedule;
mod settings;
mod shared;

pub use credential::{CredentialState, Demand};
pub use error::{CredentialBuildError, TokenRefreshError};
pub use exchange::{
    COMMUNICATION_CLIENTS_DEFAULT_SCOPE, COMMUNICATION_CLIENTS_SCOPE_PREFIX, ExchangedTokenCache,
    InvalidScopesError, TEAMS_EXTENSION_SCOPE_PREFIX, TokenExchange, TokenExchangeTarget,
};
pub use parse::{IntoAccessToken, TokenParseError, parse_access_token};
pub use schedule::{OnDemand, Proactive, RefreshPolicy, RefreshSchedule, RefreshTicket};
pub use settings::{CredentialClock, CredentialSettings, CredentialSource};
pub use shared::SharedCredentialState;
