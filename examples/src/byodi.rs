//! Bring your own durable identity (async): a standard identity beside one mapped to your own user id,
//! created twice to show it is durable, then a `chat` token for it. Run it with `cargo run --example byodi`.

use std::io::Write;

use acs_identity::{
    CommunicationIdentityClient, CreateUserOptions, CustomId, TokenOptions, TokenScope,
};

use crate::quickstart::CUSTOM_ID;
use crate::{BoxError, rfc3339, truncated};

/// The title line, as in the official .NET sample.
pub const TITLE: &str = "Azure Communication Services - Durable Identities BYOID Quickstart";

/// Runs the example against `client`'s resource, printing to `out`.
pub async fn run(
    client: &CommunicationIdentityClient,
    out: &mut impl Write,
) -> Result<(), BoxError> {
    writeln!(out, "{TITLE}")?;

    // A standard identity: ACS makes up its id, and mapping it to your user is up to you.
    let standard = client.create_user().await?;
    writeln!(
        out,
        "\nCreated a standard identity with ID: {}",
        standard.id()
    )?;

    // Your own durable identity: the custom id is the mapping.
    let options = CreateUserOptions::default().custom_id(CustomId::new(CUSTOM_ID)?);
    let user = client.create_user_with_options(options.clone()).await?;
    let detail = client.get_user_detail(&user).await?;
    writeln!(out, "\nUser ID: {}", user.id())?;
    writeln!(
        out,
        "Custom ID: {}",
        detail.custom_id.as_deref().unwrap_or("(none)")
    )?;

    let again = client.create_user_with_options(options).await?;
    let detail = client.get_user_detail(&again).await?;
    writeln!(out, "\nUser ID (second call): {}", again.id())?;
    writeln!(
        out,
        "Custom ID (second call): {}",
        detail.custom_id.as_deref().unwrap_or("(none)")
    )?;
    if again != user {
        writeln!(out, "\nValidation failed: Identity IDs do not match!")?;
        return Err("the two creates with one custom id returned different identities".into());
    }
    writeln!(
        out,
        "\nValidation successful: Both identities have the same ID as expected."
    )?;

    let token = client
        .get_token(&user, &[TokenScope::Chat], TokenOptions::default())
        .await?;
    writeln!(
        out,
        "\nIssued access token with 'chat' scope: {}",
        truncated(token.token())
    )?;
    writeln!(out, "Token expires at: {}", rfc3339(token.expires_on()))?;

    client.delete_user(&standard).await?;
    client.delete_user(&user).await?;
    writeln!(out, "\nDeleted identities.")?;
    Ok(())
}
