//! Configuring and starting an emulator.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use acs_auth::{AccessKey, ConnectionString, Endpoint, HmacVerification};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::Rng as _;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use uuid::Uuid;

use crate::acs::signer::AcsSigner;
use crate::entra::EntraAuthority;
use crate::http::limits::Limits;
use crate::running::{BackgroundEmulator, RunningEmulator};
use crate::state::State;
use crate::store::{Store, StoreError};
use crate::tls::{self, TlsError, TlsMaterial};
use crate::{EntraApp, FaultConfig, Faults, RequestLog};

/// The entry point: `Emulator::builder()`.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use acs_identity_emulator::Emulator;
///
/// let emulator = Emulator::builder().start().await?;
/// assert!(emulator.endpoint().starts_with("http://127.0.0.1:"));
/// emulator.shutdown().await;
/// # Ok::<(), acs_identity_emulator::StartError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Emulator;

impl Emulator {
    /// A builder with the defaults: `127.0.0.1:0`, a generated access key and resource id, state in memory,
    /// plain HTTP, no faults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database could not be opened or initialised.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The certificate could not be made or loaded.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The background runtime could not be built.
    #[error("cannot start the background runtime: {0}")]
    Runtime(std::io::Error),
    /// A value stored in the data directory is unreadable (which one is named, never its value).
    #[error("the stored {0} is invalid; remove the data directory or pass it explicitly")]
    InvalidStoredSetting(&'static str),
}

/// How to start an emulator. Every setting has a default; see [`Emulator::builder`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    address: SocketAddr,
    access_key: Option<AccessKey>,
    resource_id: Option<Uuid>,
    data_dir: Option<PathBuf>,
    tls: bool,
    faults: FaultConfig,
    max_clock_skew: Duration,
    entra_app: Option<EntraApp>,
    request_log_capacity: usize,
    page_size: u64,
    fast_tokens: bool,
    limits: Limits,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            access_key: None,
            resource_id: None,
            data_dir: None,
            tls: false,
            faults: FaultConfig::default(),
            max_clock_skew: HmacVerification::default().max_clock_skew,
            entra_app: None,
            request_log_capacity: 1024,
            page_size: 100,
            fast_tokens: false,
            limits: Limits::default(),
        }
    }
}

impl EmulatorBuilder {
    /// The address to listen on. Default `127.0.0.1:0` (loopback, any free port).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// The access key requests must be signed with. Default: the one stored in the data directory, else 64
    /// random bytes (stored there).
    pub fn access_key(mut self, key: AccessKey) -> Self {
        self.access_key = Some(key);
        self
    }

    /// The resource's id, the `<resource>` of `8:acs:<resource>_<guid>`. Default: stored, else random.
    pub fn resource_id(mut self, id: Uuid) -> Self {
        self.resource_id = Some(id);
        self
    }

    /// Keeps the state in a SQLite database under `dir` (created if needed), durable across restarts.
    /// Without it, state lives in memory and dies with the emulator.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Serves HTTPS with a self-signed certificate for `localhost`, `127.0.0.1` and `::1` (kept in the data
    /// directory when there is one); see [`RunningEmulator::tls_certificate_pem`].
    pub fn self_signed_tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Faults to inject from the first request on. Default: none.
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }

    /// How far an HMAC-signed request's date may be from the emulator's clock. Default 15 minutes.
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// The application registered with the emulator's Entra ID. Default: stored, else a random client id
    /// and secret.
    pub fn entra_app(mut self, app: EntraApp) -> Self {
        self.entra_app = Some(app);
        self
    }

    /// How many recent requests [`RequestLog::records`] keeps. Default 1024.
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.request_log_capacity = capacity;
        self
    }

    /// Page size of `GET /access/entra/assignments`. Default 100.
    pub fn entra_assignments_page_size(mut self, size: u64) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Signs ACS access tokens with HS256 under a secret of the emulator's instead of RS256, for load tests
    /// where the emulator must not be the bottleneck: an RS256 signature costs ~0.7 ms of CPU, HS256 a
    /// microsecond (see BENCHMARKS.md). Default off.
    ///
    /// The claims stay the same, but these tokens are **not the real shape**: the header is
    /// `{"alg":"HS256","typ":"JWT","kid":"emulator-fast"}` and they are about 500 characters, not about 740,
    /// and the JWKS of `/_emulator/acs/keys` does not verify them. `check_access_token` and
    /// `/_emulator/tokens/:validate` accept both kinds. The secret is kept in the store like the RSA key.
    pub fn fast_tokens(mut self, fast: bool) -> Self {
        self.fast_tokens = fast;
        self
    }

    /// Connections served at once. Default 4096. At the cap the emulator stops accepting: new connections
    /// wait in the listen backlog (they are not refused) until one closes, which the deadlines below
    /// bound. Raised to at least 1. The process's open-file limit (`ulimit -n`) must allow as many.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.limits.max_connections = connections;
        self
    }

    /// The largest request body. Default 1 MiB. A larger `Content-Length` is answered 413
    /// `RequestBodyTooLarge` before any of the body is read, a chunked body as soon as it passes the size;
    /// either way the connection is closed. Raised to at least 1 byte.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_body_bytes = bytes;
        self
    }

    /// The body bytes all requests in flight may hold together, beyond bodies announced at up to 8 KiB
    /// (every ACS request's, read without it). Default 16 MiB. A larger announced body reserves its
    /// length before any of it is read, a chunked one what it keeps plus 64 KiB for its reads in flight;
    /// a body that cannot get its share waits for it, within its deadline. Raised to at least
    /// `max_body_bytes` plus 64 KiB, so that any body can complete.
    pub fn body_bytes_in_flight(mut self, bytes: usize) -> Self {
        self.limits.body_bytes_in_flight = bytes;
        self
    }

    /// How long a request head may take to arrive, from its first byte. Default 10 s; past it the
    /// connection is closed without an answer. Raised to at least 1 ms.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_timeout = timeout;
        self
    }

    /// How long a request body may take to arrive, from the end of its head. Default 10 s; past it the
    /// answer is 408 `RequestTimeout` and the connection is closed. Raised to at least 1 ms.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.limits.body_timeout = timeout;
        self
    }

    /// How long a keep-alive connection may wait for its next request (or a new one for its first) before
    /// it is closed. Default 30 s. Raised to at least 1 ms.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// Starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<RunningEmulator, StartError> {
        let (store, on_disk) = match &self.data_dir {
            Some(dir) => (Store::in_dir(dir)?, true),
            None => (Store::in_memory()?, false),
        };
        let access_key = setting(
            &store,
            "access_key",
            self.access_key.map(|k| k.to_base64()),
            || random_base64(64),
        )?;
        let access_key = AccessKey::from_base64(&access_key)
            .map_err(|_| StartError::InvalidStoredSetting("access key"))?;
        let resource_id = uuid_setting(&store, "resource_id", self.resource_id, "resource id")?;
        let entra_secret = setting(&store, "entra_token_secret", None, || random_base64(32))?;
        let acs_tokens = if self.fast_tokens {
            let secret = setting(&store, "acs_token_hs256_secret", None, || random_base64(32))?;
            AcsSigner::fast(secret.as_bytes())
        } else {
            AcsSigner::default()
        };
        let tenant_id = uuid_setting(&store, "entra_tenant_id", None, "Entra tenant id")?;
        let client_id = uuid_setting(
            &store,
            "entra_client_id",
            self.entra_app.as_ref().map(EntraApp::client_id),
            "Entra client id",
        )?;
        let explicit_secret = self
            .entra_app
            .as_ref()
            .map(|app| app.client_secret().to_owned());
        let client_secret = setting(&store, "entra_client_secret", explicit_secret, || {
            random_base64(30)
        })?;

        let tls_material = match self.tls {
            true => Some(tls_material(&store)?),
            false => None,
        };
        let acceptor = tls_material.as_ref().map(tls::acceptor).transpose()?;

        let listener = listen(self.address).map_err(|source| StartError::Bind {
            address: self.address,
            source,
        })?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
            address: self.address,
            source,
        })?;
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let authority = match local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => format!("127.0.0.1:{}", local_addr.port()),
            IpAddr::V6(ip) if ip.is_unspecified() => format!("[::1]:{}", local_addr.port()),
            _ => local_addr.to_string(),
        };
        let endpoint = format!("{scheme}://{authority}/");
        let connection_string = Endpoint::parse(&endpoint)
            .map(|parsed| ConnectionString::new(parsed, access_key.clone()))
            .map_err(|_| StartError::InvalidStoredSetting("endpoint"))?;

        let faults = Faults::new(self.faults);
        let requests = RequestLog::new(self.request_log_capacity);
        let app = EntraApp::new(client_id, client_secret);
        let state = Arc::new(State {
            resource_id,
            resource_id_text: resource_id.to_string(),
            access_key,
            hmac: HmacVerification::default().max_clock_skew(self.max_clock_skew),
            store,
            store_on_disk: on_disk,
            acs_tokens,
            entra: EntraAuthority::new(&endpoint, tenant_id, app, entra_secret.as_bytes()),
            faults,
            requests,
            scheme,
            authority,
            endpoint,
            page_size: self.page_size,
            sign_in_open: local_addr.ip().is_loopback(),
            request_context: crate::http::response::request_context(Uuid::new_v4()),
        });
        let (shutdown, stop) = watch::channel(false);
        let server = tokio::spawn(crate::http::server::run(
            listener,
            acceptor,
            Arc::clone(&state),
            self.limits,
            stop,
        ));
        tracing::info!(endpoint = %state.endpoint, "ACS Identity emulator listening");
        Ok(RunningEmulator::new(
            state,
            local_addr,
            connection_string,
            tls_material.map(|m| m.cert_pem),
            shutdown,
            server,
        ))
    }

    /// Starts on a runtime of its own (two worker threads), for synchronous code: tests of a blocking
    /// client, examples. The emulator stops when the returned handle is dropped.
    pub fn start_in_background(self) -> Result<BackgroundEmulator, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("acs-identity-emulator")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let emulator = runtime.block_on(self.start())?;
        Ok(BackgroundEmulator::new(runtime, emulator))
    }
}

/// Connections the OS may hold for the accept loop: a burst of connections (or the wait at the connection
/// cap) beyond it would see its SYNs dropped and retried a second later. The OS caps it (`somaxconn`).
const LISTEN_BACKLOG: u32 = 4096;

fn listen(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind` does: a restarted emulator may take its port again at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

fn setting(
    store: &Store,
    key: &str,
    explicit: Option<String>,
    generate: impl FnOnce() -> String,
) -> Result<String, StartError> {
    Ok(store.setting(key, explicit, generate)?)
}

fn uuid_setting(
    store: &Store,
    key: &str,
    explicit: Option<Uuid>,
    name: &'static str,
) -> Result<Uuid, StartError> {
    let value = setting(store, key, explicit.map(|id| id.to_string()), || {
        Uuid::new_v4().to_string()
    })?;
    Uuid::parse_str(&value).map_err(|_| StartError::InvalidStoredSetting(name))
}

/// The stored certificate and key, or a new pair (stored, so that clients keep trusting it across restarts).
fn tls_material(store: &Store) -> Result<TlsMaterial, StartError> {
    if let (Some(cert_pem), Some(key_pem)) = (
        store.stored_setting("tls_cert_pem")?,
        store.stored_setting("tls_key_pem")?,
    ) {
        return Ok(TlsMaterial { cert_pem, key_pem });
    }
    let material = tls::self_signed()?;
    store.setting("tls_cert_pem", Some(material.cert_pem.clone()), String::new)?;
    store.setting("tls_key_pem", Some(material.key_pem.clone()), String::new)?;
    Ok(material)
}

fn random_base64(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}
