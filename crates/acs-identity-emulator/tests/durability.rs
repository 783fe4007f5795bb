//! State across restarts and crashes, concurrent creates on one customId, and the binary.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use acs_auth::{AccessKey, ConnectionString};
use acs_identity_emulator::{Emulator, TokenStatus};
use common::{Client, PREVIEW};
use serde_json::json;
use uuid::Uuid;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("acs-emulator-{name}-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn state_survives_a_restart_with_a_data_dir() {
    let dir = TempDir::new("restart");
    let emulator = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let client = Client::new(&emulator);
    let create = format!("/identities?api-version={PREVIEW}");
    let body = json!({"customId": "carol", "createTokenWithScopes": ["chat"]});
    let created = client.call_json("POST", &create, &body).await.json();
    let id = created["identity"]["id"].as_str().unwrap().to_owned();
    let revoked = created["accessToken"]["token"].as_str().unwrap().to_owned();
    client
        .call(
            "POST",
            &format!("/identities/{id}/:revokeAccessTokens?api-version={PREVIEW}"),
            "",
        )
        .await;
    let reply = client
        .call(
            "POST",
            &format!("/identities/{id}/:issueAccessToken?api-version={PREVIEW}"),
            r#"{"scopes":["voip"]}"#,
        )
        .await;
    let valid = reply.json()["token"].as_str().unwrap().to_owned();
    let tenant = Uuid::new_v4();
    let assignment = format!(
        "/access/teamsExtension/tenants/{tenant}/assignments/{tenant}?api-version={PREVIEW}"
    );
    assert_eq!(
        client
            .call_json(
                "PUT",
                &assignment,
                &json!({"principalType": "resourceAccount"})
            )
            .await
            .status,
        201
    );
    let (connection_string, resource, app) = (
        emulator.connection_string(),
        emulator.resource_id(),
        emulator.entra_app().clone(),
    );
    emulator.shutdown().await;

    let emulator = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let client = Client::new(&emulator);
    assert_eq!(emulator.resource_id(), resource);
    assert_eq!(emulator.entra_app(), &app);
    let key_of = |s: &str| ConnectionString::parse(s).unwrap().access_key().clone();
    assert_eq!(
        key_of(&emulator.connection_string()),
        key_of(&connection_string)
    );
    let again = client
        .call_json("POST", &create, &json!({"customId": "carol"}))
        .await
        .json();
    assert_eq!(again["identity"]["id"], id.as_str());
    let detail = client
        .call(
            "GET",
            &format!("/identities/{id}?api-version={PREVIEW}"),
            "",
        )
        .await
        .json();
    assert_eq!(detail["customId"], "carol");
    assert_eq!(emulator.check_access_token(&revoked), TokenStatus::Revoked);
    assert!(
        emulator.check_access_token(&valid).is_valid(),
        "tokens stay valid across restarts"
    );
    assert_eq!(client.call("GET", &assignment, "").await.status, 200);
    assert_eq!(emulator.identity_count().unwrap(), 1);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_on_one_custom_id_make_one_identity() {
    let dir = TempDir::new("race");
    for data_dir in [None, Some(dir.path())] {
        let builder = Emulator::builder();
        let emulator = match data_dir {
            Some(dir) => builder.data_dir(dir),
            None => builder,
        }
        .start()
        .await
        .unwrap();
        let client = Client::new(&emulator);
        let racers: Vec<_> = (0..32)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    let body = json!({"customId": "same", "createTokenWithScopes": ["chat"]});
                    let reply = client
                        .call_json("POST", &format!("/identities?api-version={PREVIEW}"), &body)
                        .await;
                    assert_eq!(reply.status, 201, "{}", reply.text());
                    reply.json()["identity"]["id"].as_str().unwrap().to_owned()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for racer in racers {
            ids.push(racer.await.unwrap());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(emulator.identity_count().unwrap(), 1);
        emulator.shutdown().await;
    }
}

fn binary(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_acs-identity-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The first stdout line, within 30 seconds.
fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the binary printed its connection string")
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits up to 15 seconds for the process to exit.
fn wait(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..150 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the binary did not exit");
}

/// A client for the emulator behind a connection string.
async fn client_for(connection_string: &str) -> (ConnectionString, common::RemoteClient) {
    let parsed = ConnectionString::parse(connection_string.trim()).unwrap();
    let client = common::RemoteClient::new(&parsed);
    (parsed, client)
}

#[tokio::test]
async fn the_binary_prints_its_connection_string_and_stops_on_sigterm() {
    let mut child = binary(&["--port", "0", "--log-level", "warn"]);
    let line = first_line(&mut child);
    assert!(line.starts_with("endpoint=http://127.0.0.1:"), "{line}");
    assert!(line.contains(";accesskey="));
    let (_, client) = client_for(&line).await;
    let reply = client
        .call("POST", "/identities?api-version=2023-10-01", "")
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    signal(&child, "-TERM");
    assert!(wait(&mut child).success());
}

#[tokio::test]
async fn the_binary_serves_tls_and_writes_its_certificate() {
    let dir = TempDir::new("tls");
    let cert = dir.path().join("cert.pem");
    let mut child = binary(&["--tls", "--tls-cert-out", cert.to_str().unwrap()]);
    let line = first_line(&mut child);
    assert!(line.starts_with("endpoint=https://127.0.0.1:"), "{line}");
    let pem = std::fs::read_to_string(&cert).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    signal(&child, "-TERM");
    assert!(wait(&mut child).success());
}

#[tokio::test]
async fn the_binary_loses_nothing_acknowledged_when_killed() {
    let dir = TempDir::new("kill");
    let data_dir = dir.path().to_str().unwrap().to_owned();
    let mut child = binary(&["--data-dir", &data_dir]);
    let line = first_line(&mut child);
    let (_, client) = client_for(&line).await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let body = json!({"customId": format!("user-{n}")});
        let reply = client
            .call_json("POST", &format!("/identities?api-version={PREVIEW}"), &body)
            .await;
        assert_eq!(reply.status, 201);
        ids.push(reply.json()["identity"]["id"].as_str().unwrap().to_owned());
    }
    signal(&child, "-KILL");
    wait(&mut child);

    let mut child = binary(&["--data-dir", &data_dir]);
    let again = first_line(&mut child);
    let key = |s: &str| {
        ConnectionString::parse(s.trim())
            .unwrap()
            .access_key()
            .clone()
    };
    assert_eq!(
        key(&again),
        key(&line),
        "the generated key is kept in the data dir"
    );
    let (_, client) = client_for(&again).await;
    for (n, id) in ids.iter().enumerate() {
        let reply = client
            .call(
                "GET",
                &format!("/identities/{id}?api-version={PREVIEW}"),
                "",
            )
            .await;
        assert_eq!(reply.status, 200, "{id}: {}", reply.text());
        assert_eq!(reply.json()["customId"], format!("user-{n}"));
    }
    signal(&child, "-TERM");
    assert!(wait(&mut child).success());
}

#[test]
fn a_background_emulator_serves_synchronous_code_and_stops_on_drop() {
    use std::io::{Read as _, Write as _};
    let emulator = Emulator::builder().start_in_background().unwrap();
    let address = emulator.local_addr();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "POST /identities?api-version=2023-10-01 HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{response}"
    );
    let lower = response.to_ascii_lowercase();
    assert!(
        lower.contains("\r\ntransfer-encoding: chunked\r\n"),
        "{response}"
    );
    assert!(
        lower.contains("\r\ncontent-type: application/json\r\n"),
        "{response}"
    );
    drop(emulator);
    let refused = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        std::net::TcpStream::connect(address).is_err()
    });
    assert!(refused, "the listener is closed after drop");
}

/// What the load saw acknowledged: every identity, and the one identity of each custom id.
#[derive(Default)]
struct Acknowledged {
    identities: std::collections::BTreeMap<String, Option<String>>,
    custom_ids: std::collections::BTreeMap<String, String>,
}

impl Acknowledged {
    fn record(&mut self, id: String, custom_id: Option<String>) {
        if let Some(custom_id) = &custom_id {
            let first = self
                .custom_ids
                .entry(custom_id.clone())
                .or_insert_with(|| id.clone());
            assert_eq!(*first, id, "custom id {custom_id} maps to two identities");
        }
        let known = self.identities.entry(id).or_insert(custom_id.clone());
        assert_eq!(*known, custom_id);
    }
}

/// One signed request on a fresh connection; any failure (the process was killed) is an `Err`.
async fn try_call(
    connection: &ConnectionString,
    method: &str,
    target: &str,
    body: Option<&serde_json::Value>,
) -> Result<(u16, serde_json::Value), String> {
    use http_body_util::{BodyExt as _, Full};
    use hyper::body::Bytes;

    let authority = connection.endpoint().host_header().to_owned();
    let mut request = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", &authority)
        .body(body.map_or_else(Vec::new, |b| serde_json::to_vec(b).unwrap()))
        .unwrap();
    if body.is_some() {
        request.headers_mut().insert(
            "content-type",
            http::HeaderValue::from_static("application/json"),
        );
    }
    acs_auth::sign_request(
        &mut request,
        connection.access_key(),
        std::time::SystemTime::now(),
    );
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect(&authority)
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, driver) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(driver);
        let response = sender
            .send_request(request.map(|b| Full::new(Bytes::from(b))))
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        Ok((status, json))
    };
    tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .map_err(|_| "timed out".to_owned())?
}

/// Creates identities (plain, with a token, with a custom id from a small pool) until a call fails, which
/// happens when the process is killed. Returns what was acknowledged.
async fn create_until_killed(
    connection: ConnectionString,
    seed: u64,
    acknowledged: std::sync::Arc<std::sync::Mutex<Acknowledged>>,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    use rand::{RngExt as _, SeedableRng as _};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let target = format!("/identities?api-version={PREVIEW}");
    // Bounded: the process is killed long before this many calls.
    for _ in 0..10_000 {
        let custom_id = rng
            .random_bool(0.5)
            .then(|| format!("user-{}", rng.random_range(0..40)));
        let body = match (&custom_id, rng.random_bool(0.3)) {
            (Some(custom_id), true) => {
                json!({"customId": custom_id, "createTokenWithScopes": ["chat"]})
            }
            (Some(custom_id), false) => json!({"customId": custom_id}),
            (None, true) => json!({"createTokenWithScopes": ["voip"]}),
            (None, false) => json!({}),
        };
        let Ok((status, reply)) = try_call(&connection, "POST", &target, Some(&body)).await else {
            return;
        };
        assert_eq!(status, 201, "{reply}");
        let id = reply["identity"]["id"].as_str().unwrap().to_owned();
        acknowledged.lock().unwrap().record(id, custom_id);
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Every acknowledged identity is there with its custom id, and each custom id still gives its identity.
async fn assert_all_there(connection: &ConnectionString, acknowledged: &Acknowledged) {
    for (id, custom_id) in &acknowledged.identities {
        let target = format!("/identities/{id}?api-version={PREVIEW}");
        let (status, detail) = try_call(connection, "GET", &target, None).await.unwrap();
        assert_eq!(status, 200, "{id} lost: {detail}");
        assert_eq!(detail["id"], id.as_str());
        assert_eq!(detail["customId"].as_str(), custom_id.as_deref(), "{id}");
    }
    for (custom_id, id) in &acknowledged.custom_ids {
        let target = format!("/identities?api-version={PREVIEW}");
        let (status, reply) = try_call(
            connection,
            "POST",
            &target,
            Some(&json!({"customId": custom_id})),
        )
        .await
        .unwrap();
        assert_eq!(status, 201);
        assert_eq!(reply["identity"]["id"], id.as_str(), "{custom_id} moved");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_sigkill_at_random_points() {
    use rand::{RngExt as _, SeedableRng as _};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    const CYCLES: u64 = 5;
    const WORKERS: u64 = 8;
    let seed = 0x5eed_d00d;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = TempDir::new("sigkill");
    let data_dir = dir.path().to_str().unwrap().to_owned();
    let key = AccessKey::from_bytes((0..64).map(|_| rng.random()).collect()).to_base64();
    let args = [
        "--data-dir",
        &data_dir,
        "--access-key",
        &key,
        "--port",
        "0",
        "--log-level",
        "warn",
    ];
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let mut kills_after = Vec::new();
    for cycle in 0..CYCLES {
        let mut child = binary(&args);
        let connection = ConnectionString::parse(first_line(&mut child).trim()).unwrap();
        assert_eq!(connection.access_key().to_base64(), key);
        {
            let snapshot = std::mem::take(&mut *acknowledged.lock().unwrap());
            assert_all_there(&connection, &snapshot).await;
            *acknowledged.lock().unwrap() = snapshot;
        }

        // Kill once a seeded number of creates were acknowledged, with others in flight.
        let kill_at = rng.random_range(20..150);
        let count = Arc::new(AtomicU64::new(0));
        let workers: Vec<_> = (0..WORKERS)
            .map(|worker| {
                tokio::spawn(create_until_killed(
                    connection.clone(),
                    seed ^ (cycle << 8 | worker),
                    Arc::clone(&acknowledged),
                    Arc::clone(&count),
                ))
            })
            .collect();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while count.load(Ordering::SeqCst) < kill_at {
            assert!(std::time::Instant::now() < deadline, "the load stalled");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        child.kill().unwrap(); // SIGKILL
        wait(&mut child);
        for worker in workers {
            worker.await.unwrap();
        }
        kills_after.push(count.load(Ordering::SeqCst));
    }

    let mut child = binary(&args);
    let connection = ConnectionString::parse(first_line(&mut child).trim()).unwrap();
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert_all_there(&connection, &acknowledged).await;
    eprintln!(
        "durability: {CYCLES} SIGKILL cycles after {kills_after:?} acknowledged creates; \
         {} identities, {} custom ids intact",
        acknowledged.identities.len(),
        acknowledged.custom_ids.len()
    );
    signal(&child, "-TERM");
    assert!(wait(&mut child).success());
}
