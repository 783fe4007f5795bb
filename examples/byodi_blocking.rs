//! `cargo run --example byodi_blocking`: bring your own durable identity with the blocking client (no async
//! runtime in your code). Uses the resource of `COMMUNICATION_SERVICES_CONNECTION_STRING` when it is set, else
//! an embedded emulator on a background thread. The code is in `src/byodi_blocking.rs`.

use std::process::ExitCode;

use acs_identity_examples::{BlockingResource, BoxError, byodi_blocking, finish, init_tracing};

fn main() -> ExitCode {
    init_tracing();
    finish(run())
}

fn run() -> Result<(), BoxError> {
    let mut out = std::io::stdout();
    let resource = BlockingResource::from_env_or_emulator(&mut out)?;
    byodi_blocking::run(&resource.client(), &mut out)
}
