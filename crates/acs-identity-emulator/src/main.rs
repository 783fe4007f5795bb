//! `acs-identity-emulator`: serves the emulator until Ctrl-C or SIGTERM.
//!
//! Prints one line on stdout, the connection string, once it listens; everything else goes to stderr.

/// mimalloc spends less per request than glibc's malloc under load (feature `mimalloc`, off by default so that
/// embedding the library compiles no C; `cargo install acs-identity-emulator --features mimalloc`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write as _;
use std::process::ExitCode;

use acs_identity_emulator::RunningEmulator;
use acs_identity_emulator::cli::EmulatorArgs;
use clap::Parser;

/// A local Azure Communication Services Identity service.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    emulator: EmulatorArgs,
}

fn main() -> ExitCode {
    let args = Args::parse().emulator;
    let filter =
        tracing_subscriber::EnvFilter::try_new(args.log_level.as_deref().unwrap_or("info"))
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the runtime: {error}")),
    };
    runtime.block_on(run(args))
}

async fn run(args: EmulatorArgs) -> ExitCode {
    let signals = Signals::listen();
    let builder = match args.builder() {
        Ok(builder) => builder,
        Err(message) => return fail(&message),
    };
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(error) => return fail(&error.to_string()),
    };

    // The certificate is written before the connection string appears, so that whoever reads the line can
    // trust it at once.
    if let Err(message) = describe(&emulator, &args) {
        return fail(&message);
    }
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", emulator.connection_string())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return fail("cannot write to stdout");
    }
    drop(stdout);

    signals.wait().await;
    tracing::info!("shutting down");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// The rest of what a user needs, on stderr.
fn describe(emulator: &RunningEmulator, args: &EmulatorArgs) -> Result<(), String> {
    eprintln!("endpoint: {}", emulator.endpoint());
    eprintln!("resource id: {}", emulator.resource_id());
    eprintln!(
        "entra authority: {}  tenant: {}",
        emulator.entra_authority(),
        emulator.entra_tenant_id()
    );
    // The client secret is a secret: not printed. Whoever holds the access key reads it from the admin API, or
    // chooses it.
    eprintln!(
        "entra app: client id {}  scope {}  client secret: not shown (choose it with --entra-client-secret, \
         or read it from GET /_emulator/info, signed with the access key)",
        emulator.entra_app().client_id(),
        acs_identity_emulator::COMMUNICATION_SCOPE
    );
    eprintln!(
        "oidc issuer: {}  (discovery: {})",
        emulator.oidc_issuer(),
        emulator.oidc_discovery_url()
    );
    if emulator.local_addr().ip().is_loopback() {
        eprintln!(
            "sign in: curl -s '{}_emulator/sign-in?sub=alice&format=text'",
            emulator.endpoint()
        );
    }
    if let Some(path) = args.write_certificate(emulator)? {
        eprintln!("tls certificate: {}", path.display());
    }
    Ok(())
}

/// Ctrl-C and SIGTERM, listened to from creation on: a signal that arrives before the wait is not lost
/// (nor left to its default action, which would kill the process without a graceful shutdown).
struct Signals {
    #[cfg(unix)]
    listeners: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listeners = signal(SignalKind::interrupt()).and_then(|interrupt| {
                signal(SignalKind::terminate()).map(|terminate| (interrupt, terminate))
            });
            Self {
                listeners: listeners.ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut interrupt, mut terminate)) = self.listeners {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("acs-identity-emulator: {message}");
    ExitCode::FAILURE
}
