//! A real `redis-server` on a loopback port, owned by one test: started, killed, paused and restarted on
//! the same port. Without redis-server the test fails and says how to install it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

fn program() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| {
        ensure_installed();
        "redis-server".to_owned()
    })
}

/// Runs the project's install script once per test process when `redis-server` is not on the PATH, so
/// that `cargo test --workspace` alone works on a fresh machine (the script installs Debian's package).
fn ensure_installed() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let found = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !found {
            let script = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/install-redis-server.sh"
            );
            eprintln!("redis-server is missing: running {script}");
            let _ = Command::new("bash").arg(script).status();
        }
    });
}

impl RedisServer {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("acs-token-service-redis-{port}"));
        std::fs::create_dir_all(&dir).expect("redis dir");
        let mut server = Self {
            port,
            dir,
            child: None,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new(program())
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                "--dir",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start {} ({error}): these tests need a real Redis. Install it with \
                     crates/acs-token-service/scripts/install-redis-server.sh (apt-get install -y redis-server), \
                     or point REDIS_SERVER at the binary",
                    program()
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server did not answer on port {} within 10 s",
            self.port
        );
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn ping(&self) -> bool {
        redis::Client::open(self.url())
            .and_then(|client| client.get_connection_with_timeout(Duration::from_millis(200)))
            .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection))
            .is_ok()
    }

    /// SIGKILL: the data goes with it (no persistence).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// SIGSTOP: Redis keeps its connections but answers nothing (a slow Redis).
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Every key with its values, read back raw with a plain client.
    pub fn dump(&self) -> Vec<(String, Vec<String>)> {
        let client = redis::Client::open(self.url()).expect("client");
        let mut connection = client.get_connection().expect("connection");
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
        keys.into_iter()
            .map(|key| {
                let kind: String = redis::cmd("TYPE").arg(&key).query(&mut connection).unwrap();
                let values: Vec<String> = match kind.as_str() {
                    "string" => vec![redis::cmd("GET").arg(&key).query(&mut connection).unwrap()],
                    "hash" => redis::cmd("HGETALL")
                        .arg(&key)
                        .query(&mut connection)
                        .unwrap(),
                    other => vec![format!("<{other}>")],
                };
                (key, values)
            })
            .collect()
    }

    /// Asserts that no key or value holds any of `secrets` (ACS tokens, custom ids, subjects).
    pub fn assert_holds_none_of(&self, secrets: &[&str]) -> usize {
        let dump = self.dump();
        for (key, values) in &dump {
            for secret in secrets {
                assert!(!key.contains(secret), "key {key} holds {secret:?}");
                for value in values {
                    assert!(!value.contains(secret), "{key} holds {secret:?} in clear");
                }
            }
        }
        dump.len()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // A paused server would not die of SIGKILL any later; make sure it is running first.
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
