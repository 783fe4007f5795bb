//! `acs-token-service`: serve the trusted token service from a configuration file, check a configuration,
//! or run it in development mode against an embedded emulator.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use acs_token_service::{Config, TokenService};
use clap::Parser;

/// The trusted token service of the Azure Communication Services identity model: signs your users in with
/// OpenID Connect, maps them to ACS identities by custom id and issues least-privilege tokens by policy.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The configuration file (TOML). The connection string may come from
    /// COMMUNICATION_SERVICES_CONNECTION_STRING instead.
    #[arg(long, short, env = "ACS_TOKEN_SERVICE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Validate FILE and exit: 0 when it is valid, 3 with every problem listed when it is not.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["config", "dev"])]
    check_config: Option<PathBuf>,
    /// Development mode: an embedded emulator plays ACS and the OpenID issuer; prints how to get a token.
    #[arg(long)]
    dev: bool,
    /// Listen on this address instead of the configuration's `server.listen`.
    #[arg(long, value_name = "ADDRESS")]
    listen: Option<SocketAddr>,
    /// Log lines as JSON objects (for log collectors) instead of text.
    #[arg(long)]
    log_json: bool,
}

/// Exit code of an invalid configuration.
const INVALID_CONFIG: u8 = 3;

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.log_json);
    if let Some(path) = &args.check_config {
        return match Config::load(path, env) {
            Ok(config) => {
                println!(
                    "{}: valid ({} issuer{}, listening on {})",
                    path.display(),
                    config.issuers.len(),
                    if config.issuers.len() == 1 { "" } else { "s" },
                    config.server.listen
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("{}: {error}", path.display());
                ExitCode::from(INVALID_CONFIG)
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    if args.dev {
        return dev(args.listen).await;
    }
    let Some(path) = args.config else {
        eprintln!(
            "error: give a configuration with --config FILE (or ACS_TOKEN_SERVICE_CONFIG), or try --dev"
        );
        return ExitCode::from(INVALID_CONFIG);
    };
    let mut config = match Config::load(&path, env) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{}: {error}", path.display());
            return ExitCode::from(INVALID_CONFIG);
        }
    };
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    match TokenService::new(config) {
        Ok(service) => serve(service, |_| {}).await,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(INVALID_CONFIG)
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Serves until SIGTERM or Ctrl-C; `ready` is called once listening.
async fn serve(service: TokenService, ready: impl FnOnce(SocketAddr)) -> ExitCode {
    let address = service.config().server.listen;
    let listener = match listen(address) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: cannot listen on {address}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().unwrap_or(address);
    service.warm_up().await;
    tracing::info!(address = %local, "acs-token-service listening");
    ready(local);
    match acs_token_service::serve(service, listener, acs_token_service::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Connections the OS may queue for the accept loop (it caps them at `somaxconn`): a burst beyond it, or
/// the wait at `server.max_connections`, would see connections dropped and retried or reset.
const LISTEN_BACKLOG: u32 = 4096;

fn listen(address: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind` does: a restarted service may take its port again at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

#[cfg(feature = "dev")]
async fn dev(listen: Option<SocketAddr>) -> ExitCode {
    let dev = match acs_token_service::dev::DevEnvironment::start(listen).await {
        Ok(dev) => dev,
        Err(error) => {
            eprintln!("error: cannot start the development environment: {error}");
            return ExitCode::FAILURE;
        }
    };
    let service = match dev.service() {
        Ok(service) => service,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    // `dev` holds the emulator: it lives until the service has stopped.
    serve(service, |address| println!("{}", dev.instructions(address))).await
}

#[cfg(not(feature = "dev"))]
async fn dev(_listen: Option<SocketAddr>) -> ExitCode {
    eprintln!("error: this build has no --dev mode (built without the `dev` feature)");
    ExitCode::FAILURE
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
