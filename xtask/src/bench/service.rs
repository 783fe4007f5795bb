//! The `service-*` modes: `acs-token-service` (release) in a process of its own between the bench client and
//! the emulator, trusting the emulator's OpenID issuer, so that its CPU per request (sign-in validation,
//! policy, the ACS call) can be set beside the bare client's CPU per call: without a token cache (every
//! request calls ACS), with its in-memory cache, and with the cache in a real `redis-server`.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::interop::Emulator;

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the service keeps its token cache, if it has one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cache {
    None,
    Memory,
    Redis,
}

/// A `redis-server` on a loopback port, for the `service-redis-16` mode; dropping it kills the process.
pub(crate) struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    pub(crate) fn start(dir: &Path) -> Result<Self> {
        let program = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
        let port = free_port()?;
        let data = dir.join("redis");
        fs::create_dir_all(&data)?;
        let child = Command::new(&program)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!(
                    "starting {program}: the service-redis mode needs a real Redis; install it with \
                     crates/acs-token-service/scripts/install-redis-server.sh, or point REDIS_SERVER at one"
                )
            })?;
        let deadline = Instant::now() + START_TIMEOUT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("redis-server did not listen on {port} within {START_TIMEOUT:?}");
            }
            thread::sleep(Duration::from_millis(20));
        }
        eprintln!("==> redis-server on 127.0.0.1:{port}");
        Ok(Self { child, port })
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port, closed again for the server to take.
fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A running token service; dropping it kills the process.
pub(crate) struct TokenService {
    child: Child,
    url: String,
    sign_in_url: String,
}

impl TokenService {
    pub(crate) fn start(
        binary: &Path,
        emulator: &Emulator,
        dir: &Path,
        cache: Cache,
        redis: Option<&Redis>,
    ) -> Result<Self> {
        let issuer = emulator.described("oidc issuer:")?;
        let client_id = emulator.described("entra app: client id")?;
        let endpoint = emulator
            .connection_string()
            .split(';')
            .find_map(|part| part.strip_prefix("endpoint="))
            .context("the emulator's connection string has no endpoint")?
            .to_owned();
        // A free port, closed again for the service to take.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let quote = |text: &str| serde_json::Value::String(text.to_owned()).to_string();
        // Limits far above the bench's rate: they are counted, never hit.
        let config = format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nmax_concurrent_requests = 4096\n\n\
             [acs]\nconnection_string = {cs}\n\n\
             [[issuers]]\nissuer = {issuer}\naudiences = [{client_id}]\n\n\
             [rate_limits]\nper_user = {{ requests = 100000000, window = \"1m\" }}\n\
             per_ip = {{ requests = 100000000, window = \"1m\" }}\n{state}",
            cs = quote(emulator.connection_string()),
            issuer = quote(&issuer),
            client_id = quote(&client_id),
            state = state_config(cache, redis)?,
        );
        let name = match cache {
            Cache::None => "token-service",
            Cache::Memory => "token-service-cache",
            Cache::Redis => "token-service-redis",
        };
        let config_path = dir.join(format!("{name}.toml"));
        fs::write(&config_path, config).context("writing the token service's configuration")?;
        let log_path = dir.join(format!("{name}.log"));
        let child = Command::new(binary)
            .arg("--config")
            .arg(&config_path)
            .env("RUST_LOG", "warn,acs_token_service=info")
            .env_remove("COMMUNICATION_SERVICES_CONNECTION_STRING")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log_path)?)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut service = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            sign_in_url: format!("{endpoint}_emulator/sign-in?format=text"),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let log = fs::read_to_string(&log_path).unwrap_or_default();
            if log.contains("acs-token-service listening") {
                break;
            }
            if let Some(status) = service.child.try_wait()? {
                bail!("the token service exited ({status}) before listening:\n{log}");
            }
            if Instant::now() > deadline {
                bail!("the token service did not listen within {START_TIMEOUT:?}:\n{log}");
            }
            thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "==> token service: {} (log: {})",
            service.url,
            log_path.display()
        );
        Ok(service)
    }

    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// Tells `bench-client service` where the service and the sign-in route are.
    pub(crate) fn configure(&self, command: &mut Command) {
        command
            .env("ACS_TOKEN_SERVICE_URL", &self.url)
            .env("ACS_SIGN_IN_URL", &self.sign_in_url);
    }
}

/// The `[redis]` and `[token_cache]` sections of a mode.
fn state_config(cache: Cache, redis: Option<&Redis>) -> Result<String> {
    // A fixed bench key (32 bytes of base64): the cache is encrypted as in production.
    const KEY: &str = "YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtMTI=";
    let cache_section = format!(
        "\n[token_cache]\ncurrent_key = \"bench\"\n[[token_cache.keys]]\nid = \"bench\"\nkey = \"{KEY}\"\n"
    );
    Ok(match cache {
        Cache::None => String::new(),
        Cache::Memory => cache_section,
        Cache::Redis => {
            let redis = redis.context("the service-redis mode has no redis-server")?;
            format!(
                "\n[redis]\nurl = \"redis://127.0.0.1:{}/0\"\ntimeout = \"1s\"\n{cache_section}",
                redis.port
            )
        }
    })
}

impl Drop for TokenService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
