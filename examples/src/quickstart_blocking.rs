//! The customId quickstart (blocking): one of your users, `alice@contoso.com`, gets one ACS identity however
//! often you create it, and a `chat` token. Run it with `cargo run --example quickstart_blocking`.

use std::io::Write;

use acs_identity_blocking::{
    CommunicationIdentityClient, CreateUserOptions, CustomId, TokenOptions, TokenScope,
};

use crate::quickstart::{CUSTOM_ID, TITLE};
use crate::{BoxError, rfc3339, truncated};

/// Runs the quickstart against `client`'s resource, printing to `out`.
pub fn run(client: &CommunicationIdentityClient, out: &mut impl Write) -> Result<(), BoxError> {
    writeln!(out, "{TITLE}")?;

    // Create an identity mapped to your own user id.
    let options = CreateUserOptions::default().custom_id(CustomId::new(CUSTOM_ID)?);
    let user = client.create_user_with_options(options.clone())?;
    writeln!(out, "\nCreated identity with ID: {}", user.id())?;
    writeln!(out, "Custom ID: {CUSTOM_ID}")?;

    // Creating it again with the same custom id returns the same identity: no mapping table needed.
    let again = client.create_user_with_options(options)?;
    writeln!(
        out,
        "\nCreated identity with ID (second call): {}",
        again.id()
    )?;
    writeln!(out, "Custom ID (second call): {CUSTOM_ID}")?;
    if again != user {
        writeln!(out, "\nValidation failed: Identity IDs do not match!")?;
        return Err("the two creates with one custom id returned different identities".into());
    }
    writeln!(
        out,
        "\nValidation successful: Both identities have the same ID as expected."
    )?;

    // Issue a token for chat, valid 24 hours (the default).
    let token = client.get_token(&user, &[TokenScope::Chat], TokenOptions::default())?;
    writeln!(
        out,
        "\nIssued access token with 'chat' scope: {}",
        truncated(token.token())
    )?;
    writeln!(out, "Token expires at: {}", rfc3339(token.expires_on()))?;

    // What the service knows about the identity.
    let detail = client.get_user_detail(&user)?;
    writeln!(out, "\nUser detail:")?;
    writeln!(
        out,
        "Custom ID: {}",
        detail.custom_id.as_deref().unwrap_or("(none)")
    )?;
    let last_issued = detail
        .last_token_issued_at
        .map_or_else(|| "(never)".to_owned(), rfc3339);
    writeln!(out, "Last token issued at: {last_issued}")?;

    writeln!(out, "\nCleaning up: Deleting identities...")?;
    client.delete_user(&user)?;
    writeln!(out, "\nDeleted identities.")?;
    Ok(())
}
