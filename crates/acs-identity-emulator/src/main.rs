//! `acs-identity-emulator`: serves the emulator until Ctrl-C or SIGTERM.
//!
//! Prints one line on stdout, the connection string, once it listens; everything else goes to stderr.

/// mimalloc spends less per request than glibc's malloc under load (feature `mimalloc`, off by default so that
/// embedding the library compiles no C; `cargo install acs-identity-emulator --features mimalloc`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use acs_auth::AccessKey;
use acs_identity_emulator::{Emulator, EntraApp, RunningEmulator};
use clap::Parser;
use uuid::Uuid;

/// A local Azure Communication Services Identity service.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The access key (base64). Default: the one stored under --data-dir, else 64 random bytes.
    #[arg(long, env = "ACS_IDENTITY_EMULATOR_ACCESS_KEY", hide_env_values = true)]
    access_key: Option<String>,
    /// Keep the state in a SQLite database in this directory, across restarts.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The resource id of identity ids (`8:acs:<resource>_<guid>`). Default: stored, else random.
    #[arg(long)]
    resource_id: Option<Uuid>,
    /// Serve HTTPS with a self-signed certificate for localhost, 127.0.0.1 and ::1.
    #[arg(long)]
    tls: bool,
    /// Where to write the certificate (PEM). Default: <data-dir>/acs-identity-emulator-cert.pem, else a file
    /// in the temporary directory. The path is printed on stderr.
    #[arg(long, requires = "tls")]
    tls_cert_out: Option<PathBuf>,
    /// The client id of the Entra application registered with the emulator.
    #[arg(long, requires = "entra_client_secret")]
    entra_client_id: Option<Uuid>,
    /// Its client secret.
    #[arg(
        long,
        env = "ACS_IDENTITY_EMULATOR_ENTRA_CLIENT_SECRET",
        hide_env_values = true,
        requires = "entra_client_id"
    )]
    entra_client_secret: Option<String>,
    /// Sign ACS access tokens with HS256 instead of RS256, for load tests: same claims, not the real
    /// shape (see the README). RS256 is the default.
    #[arg(long)]
    fast_tokens: bool,
    /// Log filter (error, warn, info, debug, trace, or a tracing directive).
    #[arg(long, default_value = "info")]
    log_level: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
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

async fn run(args: Args) -> ExitCode {
    let signals = Signals::listen();
    let mut builder = Emulator::builder().address(SocketAddr::new(args.host, args.port));
    if let Some(key) = &args.access_key {
        match AccessKey::from_base64(key) {
            Ok(key) => builder = builder.access_key(key),
            Err(error) => return fail(&format!("--access-key: {error}")),
        }
    }
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    if let Some(id) = args.resource_id {
        builder = builder.resource_id(id);
    }
    if let (Some(id), Some(secret)) = (args.entra_client_id, &args.entra_client_secret) {
        builder = builder.entra_app(EntraApp::new(id, secret.clone()));
    }
    if args.tls {
        builder = builder.self_signed_tls();
    }
    builder = builder.fast_tokens(args.fast_tokens);
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
fn describe(emulator: &RunningEmulator, args: &Args) -> Result<(), String> {
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
    if let Some(pem) = emulator.tls_certificate_pem() {
        let path = match (&args.tls_cert_out, &args.data_dir) {
            (Some(path), _) => path.clone(),
            (None, Some(dir)) => dir.join("acs-identity-emulator-cert.pem"),
            (None, None) => std::env::temp_dir().join(format!(
                "acs-identity-emulator-{}.pem",
                emulator.local_addr().port()
            )),
        };
        std::fs::write(&path, pem)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
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
