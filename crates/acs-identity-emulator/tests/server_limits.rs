//! The server's bounds one at a time: refusals on the head alone answer what the complete request gets and
//! close the connection; an oversized `Content-Length` is refused unread; idle connections and slow heads
//! are closed on time; past the connection cap a new connection waits its turn; the body budget makes a
//! large body wait for a stalled one's deadline while small bodies pass. Loopback, bounded, a few seconds.

mod common;
#[path = "../../acs-connection-guard/tests/common/hostile_clients.rs"]
mod hostile_clients;

use std::time::{Duration, Instant, SystemTime};

use acs_auth::{AccessKey, sign_request};
use acs_identity_emulator::{Emulator, Operation, RunningEmulator};
use common::{Client, PREVIEW, Reply};
use http::{HeaderMap, Request};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// What a loaded 2-core machine may add to a deadline.
const SLACK: Duration = Duration::from_secs(3);

/// A body of `len` bytes that is valid JSON: `{}` padded with spaces.
fn padded_json(len: usize) -> Vec<u8> {
    let mut body = vec![b' '; len];
    body[0] = b'{';
    body[len - 1] = b'}';
    body
}

/// The head of `request` as sent on the wire, announcing its body's length.
fn wire_head(request: &Request<Vec<u8>>) -> Vec<u8> {
    let target = request.uri().path_and_query().unwrap().as_str();
    let mut head = format!("{} {target} HTTP/1.1\r\n", request.method());
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", request.body().len()));
    head.into_bytes()
}

/// A raw answer, read until the emulator closed the connection.
struct RawReply {
    reply: Reply,
    /// From the end of the send to the close.
    closed_after: Duration,
}

/// Sends the head and the first `sent` bytes of `request`'s body, then reads until the connection closes.
async fn send_partially(addr: &str, request: &Request<Vec<u8>>, sent: usize) -> RawReply {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(&wire_head(request)).await.unwrap();
    tcp.write_all(&request.body()[..sent]).await.unwrap();
    let sent_at = Instant::now();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut raw))
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the emulator did not close the connection: {:?}",
                request.uri()
            )
        })
        .unwrap();
    RawReply {
        reply: parse(&raw),
        closed_after: sent_at.elapsed(),
    }
}

/// Parses an HTTP/1.1 response, with a chunked or sized body.
fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        headers.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.trim().parse().unwrap(),
        );
    }
    let mut rest = &raw[split + 4..];
    let body = if headers.get("transfer-encoding").is_some() {
        let mut body = Vec::new();
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap(), 16).unwrap();
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            body.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body
    } else {
        rest.to_vec()
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// The same reason, up to the seconds of a date skew measured a moment apart.
fn without_digits(text: Option<&str>) -> Option<String> {
    text.map(|t| t.replace(|c: char| c.is_ascii_digit(), "#"))
}

fn last_auth_error(emulator: &RunningEmulator, operation: Operation) -> Option<String> {
    emulator
        .requests()
        .records_of(operation)
        .last()
        .and_then(|record| record.auth_error.clone())
}

/// A refused request: what it shows, the request, the operation it counts as (none for admin routes).
type Case = (&'static str, Request<Vec<u8>>, Option<Operation>);

#[tokio::test]
async fn refusals_on_the_head_answer_as_complete_requests_do_and_close() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let create = format!("/identities?api-version={PREVIEW}");
    let body = padded_json(64 * 1024);
    let wrong_key = AccessKey::from_base64("d3Jvbmcga2V5").unwrap();
    let signed_with = |key: &AccessKey, at: SystemTime, target: &str| {
        let mut request = client.request("POST", target, body.clone());
        sign_request(&mut request, key, at);
        request
    };
    let mut cases: Vec<Case> = vec![
        (
            "no Authorization",
            client.request("POST", &create, body.clone()),
            Some(Operation::CreateIdentity),
        ),
        (
            "a wrong key",
            signed_with(&wrong_key, SystemTime::now(), &create),
            Some(Operation::CreateIdentity),
        ),
        (
            "a date 20 minutes old",
            signed_with(
                emulator.access_key(),
                SystemTime::now() - Duration::from_secs(20 * 60),
                &create,
            ),
            Some(Operation::CreateIdentity),
        ),
        (
            "a bad bearer token",
            client.bearer("POST", &create, body.clone(), "not-a-token"),
            Some(Operation::CreateIdentity),
        ),
        (
            "a Teams extension exchange without a user's bearer token",
            client.signed(
                "POST",
                "/access/teamsExtension/:exchangeAccessToken?api-version=2025-06-30",
                body.clone(),
            ),
            Some(Operation::ExchangeTeamsExtensionToken),
        ),
        (
            "an admin route unsigned",
            client.request("POST", "/_emulator/faults/rules", body.clone()),
            None,
        ),
    ];
    let mut malformed = client.request("POST", &create, body.clone());
    malformed
        .headers_mut()
        .insert("authorization", "HMAC-SHA256 nonsense".parse().unwrap());
    cases.push((
        "a malformed Authorization",
        malformed,
        Some(Operation::CreateIdentity),
    ));
    let mut no_hash = client.signed("POST", &create, body.clone());
    no_hash.headers_mut().remove("x-ms-content-sha256");
    cases.push((
        "no x-ms-content-sha256",
        no_hash,
        Some(Operation::CreateIdentity),
    ));

    for (case, request, operation) in cases {
        let complete = client.send(request.clone()).await.unwrap();
        let logged_complete = operation.and_then(|op| last_auth_error(&emulator, op));
        let partial = send_partially(client.authority(), &request, 1024).await;
        let early = &partial.reply;
        assert_eq!(early.status, complete.status, "{case}");
        assert!(
            matches!(early.status, 401 | 403),
            "{case}: {}",
            early.status
        );
        assert_eq!(early.json(), complete.json(), "{case}");
        let reason = early.header("x-emulator-auth-error");
        assert_eq!(
            without_digits(reason),
            without_digits(complete.header("x-emulator-auth-error")),
            "{case}"
        );
        assert_eq!(early.header("connection"), Some("close"), "{case}");
        assert!(
            partial.closed_after < SLACK,
            "{case}: {:?}",
            partial.closed_after
        );
        if let Some(operation) = operation {
            assert_eq!(
                without_digits(last_auth_error(&emulator, operation).as_deref()),
                without_digits(logged_complete.as_deref()),
                "{case}: the request log has the early refusal"
            );
        }
    }
    assert_eq!(emulator.identity_count().unwrap(), 0);

    // A refused request whose small body is all there leaves its keep-alive connection open.
    let tcp = TcpStream::connect(client.authority()).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    for _ in 0..3 {
        let request = client.request("POST", &create, "{}");
        let response = sender
            .send_request(request.map(|b| Full::new(Bytes::from(b))))
            .await
            .expect("the connection stayed open");
        assert_eq!(response.status(), 401);
        assert!(response.headers().get("connection").is_none());
        response.into_body().collect().await.unwrap();
    }
    drop(sender);
    connection.await.unwrap().unwrap();

    // Past the size cap, refused before any authentication and without reading the body.
    let huge = client.signed("POST", &create, padded_json(2 * 1024 * 1024));
    let refused = send_partially(client.authority(), &huge, 10 * 1024).await;
    assert_eq!(refused.reply.status, 413);
    assert_eq!(refused.reply.error().1, "RequestBodyTooLarge");
    assert_eq!(refused.reply.header("connection"), Some("close"));
    assert!(refused.closed_after < SLACK);
    emulator.shutdown().await;
}

#[tokio::test]
async fn idle_connections_and_slow_heads_are_closed_on_time() {
    let timeout = Duration::from_secs(1);
    let emulator = Emulator::builder()
        .idle_timeout(timeout)
        .header_timeout(timeout)
        .start()
        .await
        .unwrap();
    let addr = emulator.local_addr();

    // A connection that says nothing; a head dripping a byte every 200 ms, cut from its first byte.
    hostile_clients::silent_connection_is_closed(addr, timeout, SLACK).await;
    let head = b"POST /identities HTTP/1.1\r\nx-slow: ";
    hostile_clients::slow_head_is_cut(addr, head, timeout, SLACK).await;

    // A keep-alive connection used more often than the idle timeout stays open past it, then closes.
    let client = Client::new(&emulator);
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    let kept_since = Instant::now();
    for _ in 0..6 {
        let request = client.signed("POST", "/identities?api-version=2023-10-01", "");
        let response = sender
            .send_request(request.map(|b| Full::new(Bytes::from(b))))
            .await
            .expect("the keep-alive connection is still open");
        assert_eq!(response.status(), 201);
        response.into_body().collect().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(kept_since.elapsed() > timeout + Duration::from_millis(500));
    tokio::time::timeout(timeout + SLACK, connection)
        .await
        .expect("the idle keep-alive connection is closed")
        .unwrap()
        .unwrap();

    // A head past 32 KiB is refused.
    let mut big = client.signed("GET", "/identities/x?api-version=2025-03-02-preview", "");
    big.headers_mut()
        .insert("x-big", "a".repeat(40 * 1024).parse().unwrap());
    let big = client.send(big).await.unwrap();
    assert_eq!(big.status, 431, "{:?} {}", big.headers, big.text());
    emulator.shutdown().await;
}

#[tokio::test]
async fn past_the_connection_cap_a_new_connection_waits_its_turn() {
    let idle = Duration::from_secs(1);
    let emulator = Emulator::builder()
        .max_connections(3)
        .idle_timeout(idle)
        .start()
        .await
        .unwrap();
    let client = Client::new(&emulator);
    let request = async {
        let reply = client
            .call("POST", "/identities?api-version=2023-10-01", "")
            .await;
        assert_eq!(reply.status, 201);
    };
    hostile_clients::past_the_cap_a_request_waits_for_the_idle_ones(
        emulator.local_addr(),
        3,
        idle,
        SLACK,
        request,
    )
    .await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_large_body_waits_for_its_budget_while_small_ones_pass() {
    let body_timeout = Duration::from_millis(1500);
    let emulator = Emulator::builder()
        .max_body_bytes(256 * 1024)
        // Raised to the largest body and a spare: 256 KiB + 64 KiB.
        .body_bytes_in_flight(1)
        .body_timeout(body_timeout)
        .start()
        .await
        .unwrap();
    let client = Client::new(&emulator);
    let create = format!("/identities?api-version={PREVIEW}");

    // A signed upload of 200 KiB that stalls halfway holds 200 KiB of the budget until its deadline.
    let stalled = client.signed("POST", &create, padded_json(200 * 1024));
    let authority = client.authority().to_owned();
    let staller =
        tokio::spawn(async move { send_partially(&authority, &stalled, 100 * 1024).await });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let small = client.call("POST", &create, "{}").await;
    assert_eq!(small.status, 201);
    let small_took = started.elapsed();
    let large = client.call("POST", &create, padded_json(200 * 1024)).await;
    assert_eq!(large.status, 201, "{}", large.text());
    let large_took = started.elapsed();
    let stalled = staller.await.unwrap();
    assert_eq!(stalled.reply.status, 408);
    assert_eq!(stalled.reply.error().1, "RequestTimeout");
    assert_eq!(stalled.reply.header("connection"), Some("close"));
    assert!(small_took < body_timeout / 2, "{small_took:?}");
    assert!(
        large_took >= body_timeout - Duration::from_millis(500),
        "the large body waited for the stalled one: {large_took:?}"
    );

    // Chunked bodies draw on the budget as they come: a genuine one passes, one past the cap is 413.
    for (len, expected) in [(2 * 1024, 201), (300 * 1024, 413)] {
        let request = client.signed("POST", &create, padded_json(len));
        let mut head = String::from_utf8(wire_head(&request)).unwrap();
        head = head.replace(
            &format!("content-length: {len}\r\n"),
            "transfer-encoding: chunked\r\n",
        );
        let mut tcp = TcpStream::connect(client.authority()).await.unwrap();
        tcp.write_all(head.as_bytes()).await.unwrap();
        let writer = {
            let body = request.body().clone();
            let (mut read, mut write) = tcp.into_split();
            let writer = tokio::spawn(async move {
                for chunk in body.chunks(16 * 1024) {
                    let frame =
                        [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
                    if write.write_all(&frame).await.is_err() {
                        return;
                    }
                }
                let _ = write.write_all(b"0\r\n\r\n").await;
            });
            let mut raw = Vec::new();
            if expected == 201 {
                // A kept-alive answer: read its head and sized body only.
                let mut buffer = [0u8; 8192];
                while !raw.windows(4).any(|w| w == b"\r\n\r\n") || !raw.ends_with(b"}") {
                    let n = tokio::time::timeout(SLACK, read.read(&mut buffer))
                        .await
                        .unwrap()
                        .unwrap();
                    assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&raw));
                    raw.extend_from_slice(&buffer[..n]);
                }
            } else {
                tokio::time::timeout(SLACK, read.read_to_end(&mut raw))
                    .await
                    .unwrap()
                    .unwrap();
            }
            assert_eq!(parse(&raw).status, expected, "{len} bytes chunked");
            writer
        };
        writer.abort();
    }
    emulator.shutdown().await;
}
