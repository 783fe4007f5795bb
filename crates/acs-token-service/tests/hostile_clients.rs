//! Hostile clients against the token service (with the emulator as ACS and issuer, in this process):
//! 400 stalled uploads without a bearer token (refused on their headers), 300 signed-in ones and 200
//! signed-in chunked bodies dripping a byte every half second (held until the body deadline, answered 408).
//! Each connection is closed within the deadline (plus slack), a genuine caller is served all along, and
//! the process grows by a bounded amount. Then idle connections, slow heads and the connection cap.
//! Loopback only, every loop bounded, about 10 s.

mod common;
#[path = "../../acs-connection-guard/tests/common/hostile_clients.rs"]
mod hostile_clients;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use acs_identity_emulator::Emulator;
use hostile_clients::{Kind, Upload, fit_open_files, rss_kib, wave};
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
    let addr: SocketAddr = authority.parse().unwrap();
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
    let idle = rss_kib("self");

    let upload = |head: String, sent: usize, drip: bool| Upload {
        head: Arc::new(head.into_bytes()),
        sent,
        filler: b' ',
        drip,
    };
    let mut kinds = vec![
        // The attack: a megabyte announced, no token.
        Kind {
            name: "stalled uploads without a token",
            count: UNSIGNED,
            upload: upload(
                head(&authority, None, Some(1024 * 1024)),
                PREFIX.len(),
                false,
            ),
            expected: 401,
        },
        // Signed in, within the body limit (16 KiB), half of it sent.
        Kind {
            name: "signed-in stalled uploads",
            count: SIGNED,
            upload: upload(
                head(&authority, Some(&attacker), Some(16 * 1024)),
                PREFIX.len(),
                false,
            ),
            expected: 408,
        },
        Kind {
            name: "signed-in dripping bodies",
            count: DRIPPING,
            upload: upload(head(&authority, Some(&attacker), None), 0, true),
            expected: 408,
        },
    ];
    fit_open_files(&mut kinds);
    let genuine = {
        let (http, url, token) = (service.http.clone(), service.url.clone(), alice.clone());
        move || {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            async move {
                let response = http
                    .post(format!("{url}/token"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"scopes": ["chat"]}))
                    .send()
                    .await
                    .expect("the genuine caller's request");
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
            }
        }
    };
    let give_up = BODY_TIMEOUT + SLACK + Duration::from_secs(2);
    let wave = wave(addr, &kinds, give_up, "self", 500, genuine).await;
    let peak = wave.peak_rss_kib;
    eprintln!(
        "token service: process RSS idle {idle} KiB, peak {peak} KiB (+{} KiB)",
        peak.saturating_sub(idle),
    );
    wave.check("token service", &kinds, BODY_TIMEOUT + SLACK, BODY_TIMEOUT);
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
    let addr: SocketAddr = authority.parse().unwrap();
    let timeout = Duration::from_secs(1);

    // Silent connections fill the cap: a request on a fourth waits until the idle ones are closed.
    let request = async {
        let response = service
            .http
            .get(format!("{}/healthz", service.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    };
    hostile_clients::past_the_cap_a_request_waits_for_the_idle_ones(
        addr, 3, timeout, SLACK, request,
    )
    .await;

    // A head dripping a byte every 200 ms is cut off a second after its first byte.
    let head_start = b"GET /healthz HTTP/1.1\r\nx-slow: ";
    hostile_clients::slow_head_is_cut(addr, head_start, timeout, SLACK).await;

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
