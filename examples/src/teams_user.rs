//! The Teams user whose Entra ID token `manage_tokens` exchanges for an ACS token.

use acs_identity::ExchangeTeamsUserToken;
use acs_identity_emulator::{EntraUser, RunningEmulator};
use uuid::Uuid;

/// The Teams user's Entra ID access token (audience `https://auth.msft.communication.azure.com`).
pub const TEAMS_USER_TOKEN_VAR: &str = "COMMUNICATION_TEAMS_USER_TOKEN";
/// The Entra application (client) id the token was issued to, as the official samples name it.
pub const TEAMS_APP_ID_VAR: &str = "COMMUNICATION_M365_APP_ID";
/// The Teams user's Entra object id.
pub const TEAMS_USER_OBJECT_ID_VAR: &str = "COMMUNICATION_TEAMS_USER_OBJECT_ID";

/// What the Teams user token exchange needs, from the three environment variables above, or `None` when any
/// of them is missing.
pub fn teams_user_from_env() -> Option<ExchangeTeamsUserToken> {
    let var = |name| {
        std::env::var(name)
            .ok()
            .filter(|value: &String| !value.trim().is_empty())
    };
    Some(ExchangeTeamsUserToken::new(
        var(TEAMS_USER_TOKEN_VAR)?,
        var(TEAMS_APP_ID_VAR)?,
        var(TEAMS_USER_OBJECT_ID_VAR)?,
    ))
}

/// A Teams user of the emulator's Entra ID, with a token minted for them as Entra ID would when they sign in
/// to a (made-up) application.
pub fn teams_user_from_emulator(emulator: &RunningEmulator) -> ExchangeTeamsUserToken {
    let user = EntraUser::teams_user(Uuid::new_v4(), Uuid::new_v4());
    let token = emulator.issue_entra_user_token(&user);
    ExchangeTeamsUserToken::new(
        token.secret(),
        user.app_id.to_string(),
        user.object_id.to_string(),
    )
}

/// The emulator's Teams user when there is an emulator, else the one from the environment.
pub fn teams_user(emulator: Option<&RunningEmulator>) -> Option<ExchangeTeamsUserToken> {
    match emulator {
        Some(emulator) => Some(teams_user_from_emulator(emulator)),
        None => teams_user_from_env(),
    }
}
