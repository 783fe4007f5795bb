//! Hostile clients against the emulator binary (a child process, so that its resident memory is its own):
//! 2,000 stalled uploads (the unsigned ones refused on their headers, the signed ones held until the body
//! deadline) and 200 chunked bodies dripping a byte every half second. Each connection is closed within the
//! body deadline (plus slack), a genuine client is served all along, and the emulator's resident memory
//! stays within 64 MiB of its idle size, in two waves. Loopback only, every loop bounded, 10 to 20 s.

mod common;
#[path = "../../acs-connection-guard/tests/common/hostile_clients.rs"]
mod hostile_clients;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use acs_auth::{AccessKey, ConnectionString, sign_request};
use common::RemoteClient;
use hostile_clients::{Kind, Upload, fit_open_files, rss_kib, wave};

/// The body deadline the emulator is started with (`--body-timeout`).
const BODY_TIMEOUT: Duration = Duration::from_secs(4);
/// What a loaded 2-core machine (a load average of 10: other builds, this test's own 2,200 clients) may
/// add to a deadline before the close is seen, counted from the connect.
const SLACK: Duration = Duration::from_secs(4);
/// Stalled uploads: unsigned ones sending 64 KiB, unsigned ones sending all but the last byte, signed ones
/// sending 64 KiB (2,000 in all, fewer if the open-file limit is low).
const UNSIGNED: usize = 800;
const UNSIGNED_ALL_BUT_ONE: usize = 200;
const SIGNED: usize = 1000;
const DRIPPING: usize = 200;
/// The announced body: the emulator's largest.
const ANNOUNCED: usize = 1024 * 1024;
const PREFIX: usize = 64 * 1024;
/// Growth of the emulator's resident set allowed under the attack (the target).
const RSS_BOUND_KIB: u64 = 64 * 1024;
const TARGET: &str = "/identities?api-version=2023-10-01";

struct Spawned {
    child: Child,
    addr: SocketAddr,
    connection_string: ConnectionString,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Spawned {
    let mut child = Command::new(env!("CARGO_BIN_EXE_acs-identity-emulator"))
        .args(["--port", "0", "--log-level", "error"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the binary printed its connection string");
    let connection_string = ConnectionString::parse(line.trim()).unwrap();
    let addr = connection_string.endpoint().host_header().parse().unwrap();
    Spawned {
        child,
        addr,
        connection_string,
    }
}

/// The head of a `POST` announcing `ANNOUNCED` bytes, signed with `key` for a body of `ANNOUNCED` `a`s (or
/// unsigned), or chunked.
fn head(addr: SocketAddr, key: Option<&AccessKey>, chunked: bool) -> Arc<Vec<u8>> {
    let mut request = http::Request::post(TARGET)
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(vec![b'a'; ANNOUNCED])
        .unwrap();
    if let Some(key) = key {
        sign_request(&mut request, key, SystemTime::now());
    }
    let mut head = format!("POST {TARGET} HTTP/1.1\r\n");
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    if chunked {
        head.push_str("transfer-encoding: chunked\r\n\r\n");
    } else {
        head.push_str(&format!("content-length: {ANNOUNCED}\r\n\r\n"));
    }
    Arc::new(head.into_bytes())
}

/// The attack: the kinds of hostile connection, fitted to this machine's open-file limit.
fn kinds(emulator: &Spawned) -> Vec<Kind> {
    let (addr, key) = (emulator.addr, emulator.connection_string.access_key());
    let upload = |head: &Arc<Vec<u8>>, sent: usize, drip: bool| Upload {
        head: Arc::clone(head),
        sent,
        filler: b'a',
        drip,
    };
    let unsigned = head(addr, None, false);
    let signed = head(addr, Some(key), false);
    let chunked = head(addr, Some(key), true);
    let mut kinds = vec![
        Kind {
            name: "unsigned stalled uploads (64 KiB sent)",
            count: UNSIGNED,
            upload: upload(&unsigned, PREFIX, false),
            expected: 401,
        },
        Kind {
            name: "unsigned stalled uploads (all but one byte sent)",
            count: UNSIGNED_ALL_BUT_ONE,
            upload: upload(&unsigned, ANNOUNCED - 1, false),
            expected: 401,
        },
        Kind {
            name: "signed stalled uploads (64 KiB sent)",
            count: SIGNED,
            upload: upload(&signed, PREFIX, false),
            expected: 408,
        },
        Kind {
            name: "signed dripping chunked bodies",
            count: DRIPPING,
            upload: upload(&chunked, 0, true),
            expected: 408,
        },
    ];
    fit_open_files(&mut kinds);
    kinds
}

/// One wave of the attack, while a genuine client makes a request every 50 ms on a new connection;
/// returns the emulator's peak resident set during it, in KiB.
async fn attack(emulator: &Spawned, kinds: &[Kind]) -> u64 {
    let client = RemoteClient::new(&emulator.connection_string);
    let genuine = move || {
        let client = client.clone();
        async move {
            let reply = client.call("POST", TARGET, "{}").await;
            assert_eq!(reply.status, 201, "{}", reply.text());
        }
    };
    let pid = emulator.child.id().to_string();
    let give_up = BODY_TIMEOUT + SLACK + Duration::from_secs(2);
    let wave = wave(emulator.addr, kinds, give_up, &pid, 1000, genuine).await;
    wave.check("emulator", kinds, BODY_TIMEOUT + SLACK, BODY_TIMEOUT);
    wave.peak_rss_kib
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_uploads_and_dripping_bodies_are_bounded_and_a_genuine_client_is_served() {
    let timeout = format!("{}s", BODY_TIMEOUT.as_secs());
    let emulator = spawn(&["--body-timeout", &timeout, "--header-timeout", &timeout]);
    let pid = emulator.child.id().to_string();
    let client = RemoteClient::new(&emulator.connection_string);
    for _ in 0..20 {
        assert_eq!(client.call("POST", TARGET, "").await.status, 201);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kib(&pid);

    // Two waves: the allocator keeps most of what the first freed (RSS does not fall back to idle), and
    // the second stays within the same bound.
    let kinds = kinds(&emulator);
    let first = attack(&emulator, &kinds).await;
    let between = rss_kib(&pid);
    let second = attack(&emulator, &kinds).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = rss_kib(&pid);
    assert_eq!(client.call("POST", TARGET, "").await.status, 201);
    eprintln!(
        "emulator RSS: idle {idle} KiB; first wave peak {first} KiB (+{} KiB), then {between} KiB; \
         second wave peak {second} KiB (+{} KiB), then {after} KiB",
        first.saturating_sub(idle),
        second.saturating_sub(idle),
    );
    for peak in [first, second] {
        assert!(
            peak <= idle + RSS_BOUND_KIB,
            "the emulator grew from {idle} KiB to {peak} KiB"
        );
    }
}
