//! `cargo run --example quickstart`: the customId quickstart with the async client. Uses the resource of
//! `COMMUNICATION_SERVICES_CONNECTION_STRING` when it is set, else an embedded emulator. The code is in
//! `src/quickstart.rs`.

use std::process::ExitCode;

use acs_identity_examples::{BoxError, Resource, finish, init_tracing, quickstart};

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    finish(run().await)
}

async fn run() -> Result<(), BoxError> {
    let mut out = std::io::stdout();
    let resource = Resource::from_env_or_emulator(&mut out).await?;
    quickstart::run(&resource.client(), &mut out).await
}
