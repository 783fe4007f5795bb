//! State across restarts and crashes, concurrent creates on one customId, and the binary.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use acs_auth::ConnectionString;
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
