//! `cargo run --example byodi`: bring your own durable identity with the async client. Uses the resource of
//! `COMMUNICATION_SERVICES_CONNECTION_STRING` when it is set, else an embedded emulator. The code is in
//! `src/byodi.rs`.

use std::process::ExitCode;

use acs_identity_examples::{BoxError, Resource, byodi, finish, init_tracing};

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    finish(run().await)
}

async fn run() -> Result<(), BoxError> {
    let mut out = std::io::stdout();
    let resource = Resource::from_env_or_emulator(&mut out).await?;
    byodi::run(&resource.client(), &mut out).await
}
