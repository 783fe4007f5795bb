//! `acs-identity emulator`: the local ACS Identity service, until Ctrl-C (or SIGTERM).

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use acs_identity_blocking::AccessKey;
use acs_identity_emulator::{Emulator, RunningEmulator};
use serde_json::json;

use crate::args::{EmulatorArgs, Format};
use crate::failure::Failure;

/// Starts the emulator, prints its connection string on stdout (one line, or one JSON object) and the rest on
/// stderr, and serves until interrupted.
pub(crate) fn run(args: EmulatorArgs, format: Format) -> Result<ExitCode, Failure> {
    let mut builder = Emulator::builder().address(SocketAddr::new(args.host, args.port));
    if let Some(key) = &args.access_key {
        let key = AccessKey::from_base64(key)
            .map_err(|error| Failure::Invalid(format!("--access-key: {error}")))?;
        builder = builder.access_key(key);
    }
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    if args.tls {
        builder = builder.self_signed_tls();
    }
    builder = builder.fast_tokens(args.fast_tokens);
    // The emulator's log at info on the console: above all why it refused a request (the missing header,
    // the date skew, the string-to-sign it expected), which no real service says.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "acs_identity_emulator=info",
        ))
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
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
        announce(&emulator, &args, format)?;
        wait_for_signal().await;
        eprintln!("acs-identity: emulator stopping");
        emulator.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn announce(
    emulator: &RunningEmulator,
    args: &EmulatorArgs,
    format: Format,
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

    eprintln!(
        "acs-identity: emulator listening at {} (Ctrl-C to stop)",
        emulator.endpoint()
    );
    eprintln!("  use it: export COMMUNICATION_SERVICES_CONNECTION_STRING='<the line above>'");
    match &args.data_dir {
        Some(dir) => eprintln!("  state kept in {}", dir.display()),
        None => eprintln!("  state kept in memory (--data-dir keeps it across restarts)"),
    }
    if let Some(pem) = emulator.tls_certificate_pem() {
        let path = match &args.data_dir {
            Some(dir) => dir.join("acs-identity-emulator-cert.pem"),
            None => std::env::temp_dir().join(format!(
                "acs-identity-emulator-{}.pem",
                emulator.local_addr().port()
            )),
        };
        std::fs::write(&path, pem)
            .map_err(|error| Failure::Other(format!("cannot write {}: {error}", path.display())))?;
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
