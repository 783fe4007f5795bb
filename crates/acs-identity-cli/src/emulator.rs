//! `acs-identity emulator`: the local ACS Identity service, until Ctrl-C (or SIGTERM).

use std::io::Write;
use std::process::ExitCode;

use acs_identity_emulator::RunningEmulator;
use acs_identity_emulator::cli::EmulatorArgs;
use serde_json::json;

use crate::args::Format;
use crate::failure::Failure;

/// Starts the emulator, prints its connection string on stdout (one line, or one JSON object) and the rest on
/// stderr, and serves until interrupted.
pub(crate) fn run(args: EmulatorArgs, format: Format, quiet: bool) -> Result<ExitCode, Failure> {
    // The same flags as the `acs-identity-emulator` binary (one definition, in the emulator crate).
    let builder = args.builder().map_err(Failure::Invalid)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Failure::Other(format!("cannot start the runtime: {error}")))?;
    runtime.block_on(async {
        let emulator = builder
            .start()
            .await
            .map_err(|error| Failure::Other(format!("the emulator did not start: {error}")))?;
        announce(&emulator, &args, format, quiet)?;
        wait_for_signal().await;
        if !quiet {
            eprintln!("acs-identity: emulator stopping");
        }
        emulator.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn announce(
    emulator: &RunningEmulator,
    args: &EmulatorArgs,
    format: Format,
    quiet: bool,
) -> Result<(), Failure> {
    let write_failed =
        |error: std::io::Error| Failure::Other(format!("cannot write to stdout: {error}"));
    let mut stdout = std::io::stdout().lock();
    // The connection string holds the emulator's access key: printing it is the point of this command.
    match format {
        Format::Text => writeln!(stdout, "{}", emulator.connection_string()),
        Format::Json => writeln!(
            stdout,
            "{}",
            json!({ "connectionString": emulator.connection_string(), "endpoint": emulator.endpoint() })
        ),
    }
    .and_then(|()| stdout.flush())
    .map_err(write_failed)?;

    // The certificate is written (and its path known) before anything else is said.
    let certificate = args.write_certificate(emulator).map_err(Failure::Other)?;
    if quiet {
        return Ok(());
    }
    eprintln!(
        "acs-identity: emulator listening at {} (Ctrl-C to stop)",
        emulator.endpoint()
    );
    eprintln!("  use it: export COMMUNICATION_SERVICES_CONNECTION_STRING='<the line above>'");
    match &args.data_dir {
        Some(dir) => eprintln!("  state kept in {}", dir.display()),
        None => eprintln!("  state kept in memory (--data-dir keeps it across restarts)"),
    }
    if let Some(path) = certificate {
        eprintln!(
            "  TLS certificate (trust it in your client): {}",
            path.display()
        );
    }
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
