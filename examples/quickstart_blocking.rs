//! `cargo run --example quickstart_blocking`: the customId quickstart with the blocking client (no async
//! runtime in your code). Uses the resource of `COMMUNICATION_SERVICES_CONNECTION_STRING` when it is set, else
//! an embedded emulator on a background thread. The code is in `src/quickstart_blocking.rs`.

use std::process::ExitCode;

use acs_identity_examples::{
    BlockingResource, BoxError, finish, init_tracing, quickstart_blocking,
};

fn main() -> ExitCode {
    init_tracing();
    finish(run())
}

fn run() -> Result<(), BoxError> {
    let mut out = std::io::stdout();
    let resource = BlockingResource::from_env_or_emulator(&mut out)?;
    quickstart_blocking::run(&resource.client(), &mut out)
}
