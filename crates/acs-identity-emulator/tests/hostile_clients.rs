//! Hostile clients against the emulator binary (a child process, so that its resident memory is its own):
//! 2,000 stalled uploads (the unsigned ones refused on their headers, the signed ones held until the body
//! deadline) and 200 chunked bodies dripping a byte every half second. Each connection is closed within the
//! body deadline (plus slack), a genuine client is served all along, and the emulator's resident memory
//! stays within 64 MiB of its idle size, in two waves. Loopback only, every loop bounded, 10 to 20 s.

mod common;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use acs_auth::{AccessKey, ConnectionString, sign_request};
use common::RemoteClient;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

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

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The soft limit on open files of this process (the child inherits it).
fn open_files_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap_or(1024)
}

/// A connection with a small send buffer, so that a stalled upload parks little in the kernel.
async fn connect(addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(64 * 1024).unwrap();
    socket.connect(addr).await.unwrap()
}

/// The head of a `POST` announcing `ANNOUNCED` bytes, signed with `key` for a body of `ANNOUNCED` `a`s (or
/// unsigned), or chunked.
fn head(addr: SocketAddr, key: Option<&AccessKey>, chunked: bool) -> Vec<u8> {
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
    head.into_bytes()
}

/// How a hostile connection ended: the status the emulator answered (if any) and when it closed, counted
/// from the connect; `None` if it was still open when the test gave up on it.
#[derive(Debug, Clone, Copy)]
struct Ended {
    status: Option<u16>,
    closed_after: Option<Duration>,
}

/// Reads until the emulator closes the connection, at most until `give_up`.
async fn until_closed(mut tcp: TcpStream, started: Instant, give_up: Instant) -> Ended {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(give_up.into(), tcp.read(&mut buffer)).await {
            Err(_) => {
                return Ended {
                    status: status(&answer),
                    closed_after: None,
                };
            }
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n.min(4096)]),
        }
    }
    Ended {
        status: status(&answer),
        closed_after: Some(started.elapsed()),
    }
}

fn status(answer: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(answer.get(..12)?).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.parse().ok()
}

/// Sends the head and `sent` bytes of the body (as far as the emulator takes them within a second), then
/// stalls until the emulator closes the connection.
async fn stalled_upload(addr: SocketAddr, head: Arc<Vec<u8>>, sent: usize) -> Ended {
    let started = Instant::now();
    let give_up = started + BODY_TIMEOUT + SLACK + Duration::from_secs(2);
    let mut tcp = connect(addr).await;
    let body = vec![b'a'; sent];
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        tcp.write_all(&head).await?;
        tcp.write_all(&body).await
    })
    .await;
    until_closed(tcp, started, give_up).await
}

/// Sends a signed chunked head, then a one-byte chunk every half second until the emulator closes.
async fn dripping(addr: SocketAddr, head: Arc<Vec<u8>>) -> Ended {
    let started = Instant::now();
    let give_up = started + BODY_TIMEOUT + SLACK + Duration::from_secs(2);
    let tcp = connect(addr).await;
    let (mut read, mut write) = tcp.into_split();
    let writer = tokio::spawn(async move {
        if write.write_all(&head).await.is_err() {
            return;
        }
        for _ in 0..40 {
            if write.write_all(b"1\r\na\r\n").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let closed_after = loop {
        match tokio::time::timeout_at(give_up.into(), read.read(&mut buffer)).await {
            Err(_) => break None,
            Ok(Ok(0) | Err(_)) => break Some(started.elapsed()),
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n.min(4096)]),
        }
    };
    writer.abort();
    Ended {
        status: status(&answer),
        closed_after,
    }
}

/// Prints how a kind of connection ended and returns the slowest close, or `None` if one never closed.
fn summary(kind: &str, ended: &[Ended]) -> Option<Duration> {
    let open = ended.iter().filter(|e| e.closed_after.is_none()).count();
    let slowest = ended.iter().filter_map(|e| e.closed_after).max();
    let mut statuses: Vec<(Option<u16>, usize)> = Vec::new();
    for e in ended {
        match statuses.iter_mut().find(|(s, _)| *s == e.status) {
            Some((_, n)) => *n += 1,
            None => statuses.push((e.status, 1)),
        }
    }
    eprintln!(
        "  {kind}: {} connections, never closed: {open}, slowest close {slowest:?}, statuses {statuses:?}",
        ended.len()
    );
    slowest.filter(|_| open == 0)
}

/// How many of each kind of hostile connection fit this machine's open-file limit (each takes two
/// descriptors: one here, one in the emulator).
fn counts() -> [usize; 4] {
    let all = [UNSIGNED, UNSIGNED_ALL_BUT_ONE, SIGNED, DRIPPING];
    let total: usize = all.iter().sum();
    let room = open_files_limit().saturating_sub(512) / 2;
    let counts = all.map(|n| if room >= total { n } else { n * room / total });
    if room < total {
        eprintln!("open-file limit: {room} hostile connections instead of {total}");
    }
    counts
}

/// One wave of the attack; returns the emulator's peak resident set during it, in KiB.
async fn wave(emulator: &Spawned, counts: [usize; 4]) -> u64 {
    let (pid, addr) = (emulator.child.id(), emulator.addr);
    let key = emulator.connection_string.access_key().clone();
    let client = RemoteClient::new(&emulator.connection_string);
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
    let sampler = {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    // A genuine client, a request every 50 ms on a new connection, all along.
    let genuine = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) && latencies.len() < 1000 {
                let started = Instant::now();
                let reply = client.call("POST", TARGET, "{}").await;
                assert_eq!(reply.status, 201, "{}", reply.text());
                latencies.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            latencies
        })
    };

    let unsigned_head = Arc::new(head(addr, None, false));
    let signed_head = Arc::new(head(addr, Some(&key), false));
    let chunked_head = Arc::new(head(addr, Some(&key), true));
    let attack = |count: usize, head: &Arc<Vec<u8>>, sent: usize| {
        (0..count)
            .map(|_| tokio::spawn(stalled_upload(addr, Arc::clone(head), sent)))
            .collect::<Vec<_>>()
    };
    let [unsigned, all_but_one, signed, drips] = counts;
    let started = Instant::now();
    let tasks = [
        attack(unsigned, &unsigned_head, PREFIX),
        attack(all_but_one, &unsigned_head, ANNOUNCED - 1),
        attack(signed, &signed_head, PREFIX),
        (0..drips)
            .map(|_| tokio::spawn(dripping(addr, Arc::clone(&chunked_head))))
            .collect(),
    ];
    let mut ended: Vec<Vec<Ended>> = Vec::new();
    for group in tasks {
        let mut results = Vec::new();
        for task in group {
            results.push(task.await.unwrap());
        }
        ended.push(results);
    }
    let attack_time = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut latencies = genuine.await.unwrap();
    sampler.await.unwrap();
    let peak = peak.load(Ordering::Relaxed);

    latencies.sort();
    let median = latencies
        .get(latencies.len() / 2)
        .copied()
        .unwrap_or_default();
    let max = latencies.last().copied().unwrap_or_default();
    eprintln!(
        "{} stalled uploads and {drips} dripping bodies, all closed after {attack_time:?}; \
         genuine client: {} requests answered 201, median {median:?}, max {max:?}; emulator peak RSS {peak} KiB",
        unsigned + all_but_one + signed,
        latencies.len(),
    );
    let deadline = BODY_TIMEOUT + SLACK;
    let mut failures = Vec::new();
    for (kind, ended, expected) in [
        ("unsigned stalled uploads (64 KiB sent)", &ended[0], 401),
        (
            "unsigned stalled uploads (all but one byte sent)",
            &ended[1],
            401,
        ),
        ("signed stalled uploads (64 KiB sent)", &ended[2], 408),
        ("signed dripping chunked bodies", &ended[3], 408),
    ] {
        match summary(kind, ended) {
            Some(slowest) if slowest <= deadline => {}
            slowest => failures.push(format!(
                "{kind}: not all closed within {deadline:?} ({slowest:?})"
            )),
        }
        if !ended.iter().all(|e| e.status == Some(expected)) {
            failures.push(format!("{kind}: not all answered {expected}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        latencies.len() >= 10 && max < BODY_TIMEOUT,
        "the genuine client was not served throughout: {} requests, the slowest took {max:?}",
        latencies.len()
    );
    peak
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_uploads_and_dripping_bodies_are_bounded_and_a_genuine_client_is_served() {
    let timeout = format!("{}s", BODY_TIMEOUT.as_secs());
    let emulator = spawn(&["--body-timeout", &timeout, "--header-timeout", &timeout]);
    let pid = emulator.child.id();
    let client = RemoteClient::new(&emulator.connection_string);
    for _ in 0..20 {
        assert_eq!(client.call("POST", TARGET, "").await.status, 201);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kib(pid);

    // Two waves: the allocator keeps most of what the first freed (RSS does not fall back to idle), and
    // the second stays within the same bound.
    let counts = counts();
    let first = wave(&emulator, counts).await;
    let between = rss_kib(pid);
    let second = wave(&emulator, counts).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = rss_kib(pid);
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
