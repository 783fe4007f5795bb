//! Hostile clients against the token service (with the emulator as ACS and issuer, in this process):
//! 400 stalled uploads without a bearer token (refused on their headers), 300 signed-in ones and 200
//! signed-in chunked bodies dripping a byte every half second (held until the body deadline, answered 408).
//! Each connection is closed within the deadline (plus slack), a genuine caller is served all along, and
//! the process grows by a bounded amount. Then idle connections, slow heads and the connection cap.
//! Loopback only, every loop bounded, about 10 s.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use acs_identity_emulator::Emulator;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const BODY_TIMEOUT: Duration = Duration::from_secs(2);
/// What a loaded 2-core machine may add to a deadline, counted from the connect.
const SLACK: Duration = Duration::from_secs(4);
const UNSIGNED: usize = 400;
const SIGNED: usize = 300;
const DRIPPING: usize = 200;
/// Growth of this process (service, emulator and attackers) allowed during the attack.
const RSS_BOUND_KIB: u64 = 64 * 1024;
static PREFIX: [u8; 8 * 1024] = [b' '; 8 * 1024];

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// How a hostile connection ended: the status it was answered (if any) and when it closed, from the
/// connect; `None` if still open when the test gave up.
#[derive(Debug, Clone, Copy)]
struct Ended {
    status: Option<u16>,
    closed_after: Option<Duration>,
}

fn status(answer: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(answer.get(..12)?).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.parse().ok()
}

/// Sends `head` and `sent` bytes of the body (a byte every half second after them if `drip`), until the
/// service closes the connection.
async fn hostile(addr: String, head: Arc<String>, sent: usize, drip: bool) -> Ended {
    let started = Instant::now();
    let give_up = started + BODY_TIMEOUT + SLACK + Duration::from_secs(2);
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let (mut read, mut write) = tcp.into_split();
    let writer = tokio::spawn(async move {
        if write.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        if write.write_all(&PREFIX[..sent]).await.is_err() || !drip {
            // Stalled: keep the connection open.
            std::future::pending::<()>().await;
        }
        for _ in 0..40 {
            if write.write_all(b"1\r\n \r\n").await.is_err() {
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
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
        }
    };
    writer.abort();
    Ended {
        status: status(&answer),
        closed_after,
    }
}

fn head(authority: &str, token: Option<&str>, length: Option<usize>) -> String {
    let mut head =
        format!("POST /token HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\n");
    if let Some(token) = token {
        head.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    match length {
        Some(length) => head.push_str(&format!("content-length: {length}\r\n\r\n")),
        None => head.push_str("transfer-encoding: chunked\r\n\r\n"),
    }
    head
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_and_dripping_uploads_are_closed_on_time_and_a_genuine_caller_is_served() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let service = common::start_with(
        emulator,
        "",
        "[server]\nbody_timeout = \"2s\"\nheader_timeout = \"2s\"\n\n\
         [rate_limits]\nper_user = { requests = 100000, window = \"1m\" }\n\
         per_ip = { requests = 100000, window = \"1m\" }\n",
    )
    .await;
    let authority = service.url.trim_start_matches("http://").to_owned();
    let attacker = service.sign_in("mallory");
    let alice = service.sign_in("alice");
    // Warm up: the issuer's keys, the caller's identity, the allocator.
    for _ in 0..5 {
        let (status, _) = service
            .post_json("/token", &alice, serde_json::json!({"scopes": ["chat"]}))
            .await;
        assert_eq!(status, 200);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(idle));
    let sampler = {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let genuine = {
        let stop = Arc::clone(&stop);
        let (http, url, token) = (service.http.clone(), service.url.clone(), alice.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) && latencies.len() < 500 {
                let started = Instant::now();
                let response = http
                    .post(format!("{url}/token"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"scopes": ["chat"]}))
                    .send()
                    .await
                    .expect("the genuine caller's request");
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
                latencies.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            latencies
        })
    };

    let spawn = |count: usize, head: String, sent: usize, drip: bool| {
        let head = Arc::new(head);
        (0..count)
            .map(|_| tokio::spawn(hostile(authority.clone(), Arc::clone(&head), sent, drip)))
            .collect::<Vec<_>>()
    };
    let started = Instant::now();
    let groups = [
        // The attack: a megabyte announced, no token.
        spawn(
            UNSIGNED,
            head(&authority, None, Some(1024 * 1024)),
            PREFIX.len(),
            false,
        ),
        // Signed in, within the body limit (16 KiB), half of it sent.
        spawn(
            SIGNED,
            head(&authority, Some(&attacker), Some(16 * 1024)),
            PREFIX.len(),
            false,
        ),
        spawn(DRIPPING, head(&authority, Some(&attacker), None), 0, true),
    ];
    let mut ended = Vec::new();
    for group in groups {
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
    let max = latencies.last().copied().unwrap_or_default();
    eprintln!(
        "token service: {UNSIGNED} unsigned and {SIGNED} signed stalled uploads, {DRIPPING} dripping bodies, \
         all closed after {attack_time:?}; genuine caller: {} requests answered 200, median {:?}, max {max:?}; \
         process RSS idle {idle} KiB, peak {peak} KiB (+{} KiB)",
        latencies.len(),
        latencies
            .get(latencies.len() / 2)
            .copied()
            .unwrap_or_default(),
        peak.saturating_sub(idle),
    );
    let mut failures = Vec::new();
    for (kind, ended, expected) in [
        ("stalled uploads without a token", &ended[0], 401),
        ("signed-in stalled uploads", &ended[1], 408),
        ("signed-in dripping bodies", &ended[2], 408),
    ] {
        let open = ended.iter().filter(|e| e.closed_after.is_none()).count();
        let slowest = ended.iter().filter_map(|e| e.closed_after).max();
        let answered = ended.iter().filter(|e| e.status == Some(expected)).count();
        eprintln!(
            "  {kind}: {} connections, never closed {open}, slowest close {slowest:?}, answered {expected}: {answered}",
            ended.len()
        );
        if open > 0 || slowest.is_none_or(|s| s > BODY_TIMEOUT + SLACK) {
            failures.push(format!("{kind}: not all closed within the deadline"));
        }
        if answered != ended.len() {
            failures.push(format!("{kind}: not all answered {expected}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        latencies.len() >= 10 && max < BODY_TIMEOUT,
        "the genuine caller was not served throughout: {} requests, slowest {max:?}",
        latencies.len()
    );
    assert!(
        peak <= idle + RSS_BOUND_KIB,
        "the process grew from {idle} KiB to {peak} KiB"
    );
    service.stop().await;
}

#[tokio::test]
async fn idle_connections_slow_heads_and_the_connection_cap() {
    let service = common::start(
        "",
        "[server]\nidle_timeout = \"1s\"\nheader_timeout = \"1s\"\nmax_connections = 3\n",
    )
    .await;
    let authority = service.url.trim_start_matches("http://").to_owned();
    let timeout = Duration::from_secs(1);

    // Silent connections fill the cap: a request on a fourth waits until the idle ones are closed.
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(TcpStream::connect(&authority).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let response = service
        .http
        .get(format!("{}/healthz", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let waited = started.elapsed();
    assert!(waited >= timeout - Duration::from_millis(300), "{waited:?}");
    assert!(waited < timeout + SLACK, "{waited:?}");
    for mut connection in silent {
        let mut rest = Vec::new();
        tokio::time::timeout(SLACK, connection.read_to_end(&mut rest))
            .await
            .expect("an idle connection is closed")
            .unwrap();
    }

    // A head dripping a byte every 200 ms is cut off a second after its first byte.
    let mut slow = TcpStream::connect(&authority).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nx-slow: ")
        .await
        .unwrap();
    let first_byte = Instant::now();
    let (mut read, mut write) = slow.into_split();
    let dripper = tokio::spawn(async move {
        for _ in 0..50 {
            if write.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(timeout + SLACK, read.read_to_end(&mut answer))
        .await
        .expect("a slow head is cut off");
    let cut = first_byte.elapsed();
    assert!(cut >= timeout - Duration::from_millis(100), "{cut:?}");
    dripper.abort();

    // A refused request whose small body is all there keeps its keep-alive connection; one whose body
    // is still on its way is answered and closed.
    let mut tcp = TcpStream::connect(&authority).await.unwrap();
    let refused = format!(
        "POST /token HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{{}}"
    );
    for _ in 0..2 {
        tcp.write_all(refused.as_bytes()).await.unwrap();
        let mut buffer = vec![0u8; 4096];
        let n = tokio::time::timeout(SLACK, tcp.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8_lossy(&buffer[..n]).to_ascii_lowercase();
        assert!(text.starts_with("http/1.1 401"), "{text}");
        assert!(!text.contains("connection: close"), "{text}");
    }
    let mut tcp = TcpStream::connect(&authority).await.unwrap();
    let stalled = head(&authority, None, Some(1024 * 1024));
    tcp.write_all(stalled.as_bytes()).await.unwrap();
    tcp.write_all(&PREFIX).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(SLACK, tcp.read_to_end(&mut answer))
        .await
        .expect("closed after the answer")
        .unwrap();
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 401"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert_eq!(service.acs_requests(), 0);
    service.stop().await;
}
