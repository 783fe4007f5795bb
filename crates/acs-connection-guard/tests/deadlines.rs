//! The guard on real loopback sockets, under hyper the way both servers use it: a silent connection is
//! closed at the idle timeout, a dripping head at the header timeout from its first byte, a request in
//! progress is cut by neither, and a close that leaves a body unread lingers so that the client reads the
//! answer. Every loop bounded; a few seconds.

#[path = "common/hostile_clients.rs"]
mod hostile_clients;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use acs_connection_guard::{Activity, LINGER, Linger, Watched};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What a loaded 2-core machine may add to a deadline.
const SLACK: Duration = Duration::from_secs(4);

/// Answers `/wait/<ms>` after that many milliseconds; `/refuse` (the guard asks to linger) and
/// `/refuse-by-extension` (a [`Linger`] from the request's extensions asks) with a 413 that closes the
/// connection, without reading the body; anything else at once.
async fn answer(
    request: Request<Incoming>,
    in_request: acs_connection_guard::InRequest,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let refused = || {
        let mut response = Response::new(Full::new(Bytes::from_static(b"too large")));
        *response.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
        response
            .headers_mut()
            .insert(http::header::CONNECTION, "close".parse().unwrap());
        response
    };
    let response = if let Some(ms) = path.strip_prefix("/wait/") {
        let ms = ms.parse().unwrap_or(0u64).min(10_000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Response::new(Full::new(Bytes::from_static(b"waited")))
    } else if path == "/refuse" {
        in_request.linger_on_close();
        refused()
    } else if path == "/refuse-by-extension" {
        if let Some(linger) = request.extensions().get::<Linger>() {
            linger.on_close();
        }
        refused()
    } else {
        Response::new(Full::new(Bytes::from_static(b"ok")))
    };
    drop(in_request);
    Ok(response)
}

/// A server on 127.0.0.1:0 with the guard's deadlines, as long as the test's runtime lives.
async fn server(header_timeout: Duration, idle_timeout: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let activity = Activity::new();
            let stream = Watched::new(stream, Arc::clone(&activity));
            let on_request = Arc::clone(&activity);
            let service = service_fn(move |mut request: Request<Incoming>| {
                let in_request = on_request.request();
                request.extensions_mut().insert(in_request.linger());
                answer(request, in_request)
            });
            let connection = http1::Builder::new()
                .keep_alive(true)
                .header_read_timeout(None)
                .serve_connection(TokioIo::new(stream), service);
            tokio::spawn(async move {
                tokio::select! {
                    _ = connection => {}
                    _ = activity.expired(header_timeout, idle_timeout) => {}
                }
            });
        }
    });
    addr
}

/// Reads one answer with a sized body (`content-length`), within `SLACK`; returns its text.
async fn read_answer(tcp: &mut TcpStream) -> String {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 4096];
    for _ in 0..1000 {
        let text = String::from_utf8_lossy(&raw).to_ascii_lowercase();
        if let Some((head, body)) = text.split_once("\r\n\r\n")
            && let Some(length) = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
            && body.len() >= length.trim().parse().unwrap()
        {
            return text;
        }
        let n = tokio::time::timeout(SLACK, tcp.read(&mut buffer))
            .await
            .expect("an answer")
            .unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&buffer[..n]);
    }
    panic!("no end to the answer: {:?}", String::from_utf8_lossy(&raw));
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_idle_timeout() {
    let timeout = Duration::from_secs(1);
    let addr = server(Duration::from_secs(30), timeout).await;
    hostile_clients::silent_connection_is_closed(addr, timeout, SLACK).await;
}

#[tokio::test]
async fn a_stalled_head_is_closed_after_the_header_timeout_from_its_first_byte() {
    // The idle timeout is past the slack: the close can only be the head's deadline.
    let timeout = Duration::from_secs(1);
    let addr = server(timeout, timeout + SLACK + Duration::from_secs(5)).await;
    hostile_clients::slow_head_is_cut(addr, b"GET / HTTP/1.1\r\nx-slow: ", timeout, SLACK).await;
}

#[tokio::test]
async fn a_request_in_progress_is_not_cut_by_the_deadlines_and_the_idle_clock_starts_after_it() {
    let timeout = Duration::from_secs(1);
    let addr = server(timeout, timeout).await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    // Three times the deadlines; a second request on the same connection after it, within them.
    for path in ["/wait/3000", "/"] {
        tcp.write_all(format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let text = read_answer(&mut tcp).await;
        assert!(text.starts_with("http/1.1 200"), "{text}");
    }
    let answered = Instant::now();
    hostile_clients::idle_connection_is_closed(&mut tcp, answered, timeout, SLACK).await;
}

/// Writes a byte every 100 ms, 100 times at most, until a write fails; returns when it failed.
async fn drip_until_refused(write: &mut (impl tokio::io::AsyncWrite + Unpin)) -> Option<Instant> {
    for _ in 0..100 {
        if write.write_all(b"a").await.is_err() {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn a_close_that_leaves_the_body_unread_lingers_and_the_client_reads_the_answer() {
    let addr = server(Duration::from_secs(10), Duration::from_secs(10)).await;
    for path in ["/refuse", "/refuse-by-extension"] {
        // All of a 512 KiB body (less than the linger reads) sent while the server answers unread.
        let length = 512 * 1024;
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let head =
            format!("POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-length: {length}\r\n\r\n");
        let (mut read, mut write) = tcp.split();
        let send = async {
            write.write_all(head.as_bytes()).await.unwrap();
            write.write_all(&vec![b'a'; length]).await.unwrap();
        };
        let mut answer = Vec::new();
        let receive = tokio::time::timeout(SLACK, read.read_to_end(&mut answer));
        let ((), received) = tokio::join!(send, receive);
        // The answer whole, then the end of the stream: no reset.
        received
            .expect("the end of the stream after the answer")
            .expect("no reset");
        let ended = Instant::now();
        let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        assert!(text.starts_with("http/1.1 413"), "{path}: {text}");
        assert!(text.contains("connection: close"), "{path}: {text}");
        assert!(text.ends_with("too large"), "{path}: {text}");

        // The server goes on reading what the client sends for the linger, then closes: a write fails
        // (the first write after the close is answered by a reset, the next one fails).
        let refused = drip_until_refused(&mut write)
            .await
            .expect("the connection is closed once the linger is over");
        let lingered = refused - ended;
        assert!(
            lingered >= LINGER - Duration::from_millis(100),
            "{path}: {lingered:?}"
        );
        assert!(lingered < LINGER + SLACK, "{path}: {lingered:?}");
    }
}

#[tokio::test]
async fn a_client_that_keeps_sending_cannot_hold_the_close() {
    let addr = server(Duration::from_secs(10), Duration::from_secs(10)).await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let announced = 64 * 1024 * 1024;
    tcp.write_all(
        format!("POST /refuse HTTP/1.1\r\nhost: localhost\r\ncontent-length: {announced}\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let (mut read, mut write) = tcp.into_split();
    // As fast as it can, 64 MiB at most: far past what the linger reads.
    let started = Instant::now();
    let blaster = tokio::spawn(async move {
        let chunk = vec![b'a'; 64 * 1024];
        for sent in 0..1024 {
            if write.write_all(&chunk).await.is_err() {
                return Some(sent * chunk.len());
            }
        }
        None
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(SLACK, read.read_to_end(&mut answer))
        .await
        .expect("the answer and the end of the stream");
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 413"), "{text}");
    let sent = tokio::time::timeout(LINGER + SLACK, blaster)
        .await
        .expect("the connection is closed within the linger")
        .unwrap()
        .expect("the connection is closed before the whole body is sent");
    eprintln!(
        "closed after {sent} bytes of the body, {:?}",
        started.elapsed()
    );
}
