//! Every user and token operation of the client (blocking): create a user, issue tokens (default and 1-hour
//! lifetime), create a user and a token in one call, revoke, delete, and exchange a Teams user's Entra ID
//! token. Run it with `cargo run --example manage_tokens_blocking`.

use std::io::Write;

use acs_identity_blocking::{
    CommunicationIdentityClient, CreateUserAndTokenOptions, ExchangeTeamsUserToken, TokenLifetime,
    TokenOptions, TokenScope,
};

use crate::manage_tokens::TITLE;
use crate::{
    BoxError, TEAMS_APP_ID_VAR, TEAMS_USER_OBJECT_ID_VAR, TEAMS_USER_TOKEN_VAR, rfc3339, truncated,
};

/// Runs the example against `client`'s resource, printing to `out`. The Teams user token exchange runs when
/// `teams_user` is given (see [`teams_user`](crate::teams_user)) and is skipped with a line saying why
/// otherwise.
pub fn run(
    client: &CommunicationIdentityClient,
    teams_user: Option<ExchangeTeamsUserToken>,
    out: &mut impl Write,
) -> Result<(), BoxError> {
    writeln!(out, "{TITLE}\n")?;

    let user = client.create_user()?;
    writeln!(out, "Created a user: {}", user.id())?;

    let token = client.get_token(&user, &[TokenScope::Voip], TokenOptions::default())?;
    writeln!(out, "Issued a 'voip' token: {}", truncated(token.token()))?;
    writeln!(
        out,
        "  expires at {} (the default lifetime, 24 hours)",
        rfc3339(token.expires_on())
    )?;

    // Shorter-lived tokens limit the damage of a leaked one: 60 to 1440 whole minutes.
    let one_hour = TokenOptions::default().lifetime(TokenLifetime::from_minutes(60)?);
    let token = client.get_token(&user, &[TokenScope::Chat, TokenScope::Voip], one_hour)?;
    writeln!(
        out,
        "Issued a 'chat' + 'voip' token valid for 1 hour: {}",
        truncated(token.token())
    )?;
    writeln!(out, "  expires at {}", rfc3339(token.expires_on()))?;

    let both =
        client.create_user_and_token(&[TokenScope::Chat], CreateUserAndTokenOptions::default())?;
    writeln!(
        out,
        "Created a user and a 'chat' token in one call: {}",
        both.user.id()
    )?;
    writeln!(
        out,
        "  token {} expires at {}",
        truncated(both.access_token.token()),
        rfc3339(both.access_token.expires_on())
    )?;

    // Revoking invalidates every token issued so far, e.g. when the user signs out everywhere.
    client.revoke_tokens(&user)?;
    writeln!(out, "Revoked the tokens of {}", user.id())?;

    client.delete_user(&user)?;
    writeln!(out, "Deleted the user {}", user.id())?;
    client.delete_user(&both.user)?;
    writeln!(out, "Deleted the user {}", both.user.id())?;

    match teams_user {
        Some(exchange) => {
            let token = client.get_token_for_teams_user(exchange)?;
            writeln!(
                out,
                "Exchanged a Teams user's Entra ID token for an ACS token: {}",
                truncated(token.token())
            )?;
            writeln!(
                out,
                "  expires at {} (with the Entra ID token)",
                rfc3339(token.expires_on())
            )?;
        }
        None => writeln!(
            out,
            "Skipped the Teams user token exchange: set {TEAMS_USER_TOKEN_VAR}, {TEAMS_APP_ID_VAR} and \
             {TEAMS_USER_OBJECT_ID_VAR} to try it."
        )?,
    }
    Ok(())
}
