//! The emulator's command-line flags, one definition for the `acs-identity-emulator` binary and the
//! `acs-identity emulator` subcommand of the CLI.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use acs_auth::AccessKey;
use uuid::Uuid;

use crate::{Emulator, EmulatorBuilder, EntraApp, RunningEmulator};

/// The flags of a served emulator (`#[command(flatten)]` them, or use them as a subcommand's arguments).
///
/// ```
/// use clap::Parser;
/// use acs_identity_emulator::cli::EmulatorArgs;
///
/// #[derive(Parser)]
/// struct Command {
///     #[command(flatten)]
///     emulator: EmulatorArgs,
/// }
///
/// let command = Command::parse_from(["serve", "--port", "8080", "--tls"]);
/// assert_eq!(command.emulator.port, 8080);
/// let builder = command.emulator.builder()?;
/// # let _ = builder;
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, clap::Args)]
#[non_exhaustive]
pub struct EmulatorArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The access key (base64). Default: the one stored under --data-dir, else 64 random bytes.
    #[arg(long, env = "ACS_IDENTITY_EMULATOR_ACCESS_KEY", hide_env_values = true)]
    pub access_key: Option<String>,
    /// Keep the state (users, tokens, key) in a SQLite database in this directory, across restarts.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The resource id of identity ids (`8:acs:<resource>_<guid>`). Default: stored, else random.
    #[arg(long)]
    pub resource_id: Option<Uuid>,
    /// Serve HTTPS with a self-signed certificate for localhost, 127.0.0.1 and ::1.
    #[arg(long)]
    pub tls: bool,
    /// Where to write the certificate (PEM). Default: DATA_DIR/acs-identity-emulator-cert.pem, else a file
    /// in the temporary directory. The path is printed on stderr.
    #[arg(long, requires = "tls")]
    pub tls_cert_out: Option<PathBuf>,
    /// The client id of the Entra application registered with the emulator.
    #[arg(long, requires = "entra_client_secret")]
    pub entra_client_id: Option<Uuid>,
    /// Its client secret.
    #[arg(
        long,
        env = "ACS_IDENTITY_EMULATOR_ENTRA_CLIENT_SECRET",
        hide_env_values = true,
        requires = "entra_client_id"
    )]
    pub entra_client_secret: Option<String>,
    /// Sign ACS access tokens with HS256 instead of RS256, for load tests: same claims, not the real
    /// shape (see the README). RS256 is the default.
    #[arg(long)]
    pub fast_tokens: bool,
    /// Log filter (error, warn, info, debug, trace, or a tracing directive). Default: info.
    #[arg(long, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Connections served at once; past it, new ones wait in the listen backlog. Default: 4096.
    #[arg(long, value_name = "COUNT")]
    pub max_connections: Option<usize>,
    /// The largest request body, in bytes (413 past it). Default: 1048576 (1 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Body bytes all requests in flight may hold together, beyond bodies of up to 8 KiB. Default:
    /// 16777216 (16 MiB).
    #[arg(long, value_name = "BYTES")]
    pub body_bytes_in_flight: Option<usize>,
    /// How long a request head may take from its first byte (`10s`, `500ms`...). Default: 10s.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub header_timeout: Option<Duration>,
    /// How long a request body may take after its head (408 past it). Default: 10s.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub body_timeout: Option<Duration>,
    /// How long a keep-alive connection may wait for its next request before it is closed. Default: 30s.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub idle_timeout: Option<Duration>,
}

impl EmulatorArgs {
    /// An [`EmulatorBuilder`] with these settings. The error names the flag at fault and never echoes a key.
    pub fn builder(&self) -> Result<EmulatorBuilder, String> {
        let mut builder = Emulator::builder().address(SocketAddr::new(self.host, self.port));
        if let Some(key) = &self.access_key {
            let key =
                AccessKey::from_base64(key).map_err(|error| format!("--access-key: {error}"))?;
            builder = builder.access_key(key);
        }
        if let Some(dir) = &self.data_dir {
            builder = builder.data_dir(dir);
        }
        if let Some(id) = self.resource_id {
            builder = builder.resource_id(id);
        }
        if let (Some(id), Some(secret)) = (self.entra_client_id, &self.entra_client_secret) {
            builder = builder.entra_app(EntraApp::new(id, secret.clone()));
        }
        if self.tls {
            builder = builder.self_signed_tls();
        }
        if let Some(connections) = self.max_connections {
            builder = builder.max_connections(connections);
        }
        if let Some(bytes) = self.max_body_bytes {
            builder = builder.max_body_bytes(bytes);
        }
        if let Some(bytes) = self.body_bytes_in_flight {
            builder = builder.body_bytes_in_flight(bytes);
        }
        if let Some(timeout) = self.header_timeout {
            builder = builder.header_timeout(timeout);
        }
        if let Some(timeout) = self.body_timeout {
            builder = builder.body_timeout(timeout);
        }
        if let Some(timeout) = self.idle_timeout {
            builder = builder.idle_timeout(timeout);
        }
        Ok(builder.fast_tokens(self.fast_tokens))
    }

    /// Writes the emulator's TLS certificate (if it serves TLS) where `--tls-cert-out` says, and returns the
    /// path written.
    pub fn write_certificate(&self, emulator: &RunningEmulator) -> Result<Option<PathBuf>, String> {
        let Some(pem) = emulator.tls_certificate_pem() else {
            return Ok(None);
        };
        let path = match (&self.tls_cert_out, &self.data_dir) {
            (Some(path), _) => path.clone(),
            (None, Some(dir)) => dir.join("acs-identity-emulator-cert.pem"),
            (None, None) => std::env::temp_dir().join(format!(
                "acs-identity-emulator-{}.pem",
                emulator.local_addr().port()
            )),
        };
        std::fs::write(&path, pem)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        Ok(Some(path))
    }
}
