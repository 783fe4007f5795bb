//! `cargo run --example manage_tokens`: every user and token operation with the async client. Uses the
//! resource of `COMMUNICATION_SERVICES_CONNECTION_STRING` when it is set, else an embedded emulator (which
//! also mints the Teams user's Entra ID token; against your resource, set `COMMUNICATION_TEAMS_USER_TOKEN`,
//! `COMMUNICATION_M365_APP_ID` and `COMMUNICATION_TEAMS_USER_OBJECT_ID`). The code is in
//! `src/manage_tokens.rs`.

use std::process::ExitCode;

use acs_identity_examples::{BoxError, Resource, finish, init_tracing, manage_tokens, teams_user};

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    finish(run().await)
}

async fn run() -> Result<(), BoxError> {
    let mut out = std::io::stdout();
    let resource = Resource::from_env_or_emulator(&mut out).await?;
    let teams_user = teams_user(resource.emulator());
    manage_tokens::run(&resource.client(), teams_user, &mut out).await
}
