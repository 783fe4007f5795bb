//! `bench-client raw`: the least work a client can do, to measure the emulator alone.
//!
//! One issue-token request is built by the core and signed once, then replayed byte for byte on
//! `concurrency` keep-alive connections (a signature stays valid for the 15-minute skew window, and
//! issue-token is idempotent), all driven by one thread (a current-thread tokio runtime, so one `epoll_wait`
//! serves many connections): per call one `write` and one or two `read`s, the response's status line
//! checked and its body skipped by `Content-Length`. Every answer is still a real issue-token: the emulator
//! verifies the signature, looks the user up and signs a token.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use acs_identity::{ApiVersion, ConnectionString};
use acs_identity_core::{IssueToken, Operation as _, ServiceConfig};
use http::HeaderValue;

use super::{Args, Phase, SCOPES, Tally, report};

/// Runs the raw mode: one user created with our blocking client, then the replay.
pub(crate) fn run(args: &Args, connection_string: &str) -> Result<String, String> {
    let user = acs_identity_blocking::CommunicationIdentityClient::from_connection_string(
        connection_string,
    )
    .map_err(|e| e.to_string())?
    .create_user()
    .map_err(|e| e.to_string())?;
    let connection_string =
        ConnectionString::parse(connection_string).map_err(|e| e.to_string())?;
    let endpoint = connection_string.endpoint();
    if endpoint.scheme() != "http" {
        return Err("the raw mode speaks plain http only".to_owned());
    }
    let service = ServiceConfig::new(
        endpoint.clone(),
        ApiVersion::default(),
        HeaderValue::from_static("acs-identity-bench-raw"),
    );
    let mut request = IssueToken::new(user, SCOPES)
        .build_request(&service)
        .map_err(|e| e.to_string())?;
    acs_auth::sign_request(
        &mut request,
        connection_string.access_key(),
        SystemTime::now(),
    );
    let bytes = http1_bytes(&request, endpoint.host_header());
    let address = (endpoint.host(), endpoint.port().unwrap_or(80))
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("the endpoint resolves to no address")?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let bytes: Arc<[u8]> = bytes.into();
    let deadline = Instant::now() + args.max_time;
    let phase = async |calls: usize| {
        let phase = Phase::new(calls, deadline);
        let workers: Vec<_> = (0..args.concurrency)
            .map(|_| tokio::spawn(replay(Arc::clone(&phase), address, Arc::clone(&bytes))))
            .collect();
        let mut tally = Tally::default();
        for worker in workers {
            tally.merge(worker.await.map_err(|e| e.to_string())?);
        }
        Ok::<_, String>(tally)
    };
    runtime.block_on(async {
        phase(args.warmup).await?;
        let (cpu, started) = (super::cpu_time(), Instant::now());
        let tally = phase(args.count).await?;
        Ok(report(tally, started.elapsed(), cpu))
    })
}

/// The request as HTTP/1.1 puts it on the wire.
fn http1_bytes(request: &http::Request<Vec<u8>>, host: &str) -> Vec<u8> {
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let mut bytes =
        format!("{} {target} HTTP/1.1\r\nhost: {host}\r\n", request.method()).into_bytes();
    for (name, value) in request.headers() {
        bytes.extend_from_slice(name.as_str().as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(format!("content-length: {}\r\n\r\n", request.body().len()).as_bytes());
    bytes.extend_from_slice(request.body());
    bytes
}

/// One connection's share of a phase; a failed exchange counts as an error and opens a new connection.
async fn replay(phase: Arc<Phase>, address: SocketAddr, request: Arc<[u8]>) -> Tally {
    let mut tally = Tally::default();
    let mut connection: Option<TcpStream> = None;
    let mut buffer = vec![0; 64 * 1024];
    while phase.claim() {
        let started = Instant::now();
        let result = exchange(&mut connection, address, &request, &mut buffer).await;
        if result.is_err() {
            connection = None;
        }
        tally.record(started, result);
    }
    tally
}

/// Sends the request and reads one response: headers, then `Content-Length` bytes of body. Fails unless
/// the status is 200.
async fn exchange(
    connection: &mut Option<TcpStream>,
    address: SocketAddr,
    request: &[u8],
    buffer: &mut [u8],
) -> std::io::Result<()> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let stream = match connection {
        Some(stream) => stream,
        None => {
            let stream = TcpStream::connect(address).await?;
            stream.set_nodelay(true)?;
            connection.insert(stream)
        }
    };
    stream.write_all(request).await?;
    let mut filled = 0;
    let head_end = loop {
        let read = stream.read(&mut buffer[filled..]).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        filled += read;
        if let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if filled == buffer.len() {
            return Err(invalid("response headers too large"));
        }
    };
    let head = std::str::from_utf8(&buffer[..head_end]).map_err(|_| invalid("non-UTF-8 head"))?;
    if !head.starts_with("HTTP/1.1 200 ") {
        return Err(invalid(head.lines().next().unwrap_or_default()));
    }
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or_else(|| invalid("no Content-Length"))?;
    if filled > head_end + length {
        return Err(invalid("more bytes than one response"));
    }
    let mut left = head_end + length - filled;
    while left > 0 {
        let chunk = left.min(buffer.len());
        let read = stream.read(&mut buffer[..chunk]).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        left -= read;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_goes_on_the_wire_as_built() {
        let request = http::Request::post("http://127.0.0.1:8080/identities?api-version=1")
            .header("x-ms-date", "Sat, 21 Nov 2026 05:00:00 GMT")
            .body(b"{}".to_vec())
            .unwrap();
        assert_eq!(
            http1_bytes(&request, "127.0.0.1:8080"),
            b"POST /identities?api-version=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n\
              x-ms-date: Sat, 21 Nov 2026 05:00:00 GMT\r\ncontent-length: 2\r\n\r\n{}"
        );
    }

    /// A loopback server that answers each request with the next of `answers`, each written in two
    /// pieces, so that a response arrives across reads.
    fn server(answers: Vec<&'static [u8]>) -> SocketAddr {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            for answer in answers {
                let mut request = [0; 1024];
                let _ = stream.read(&mut request).unwrap();
                let (head, rest) = answer.split_at(answer.len() / 2);
                stream.write_all(head).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(5));
                stream.write_all(rest).unwrap();
            }
        });
        address
    }

    #[test]
    fn reads_whole_responses_and_refuses_anything_but_200() {
        let address = server(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 2\r\n\r\n{}",
        ]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (mut connection, mut buffer) = (None, vec![0; 1024]);
            for _ in 0..2 {
                exchange(
                    &mut connection,
                    address,
                    b"GET / HTTP/1.1\r\n\r\n",
                    &mut buffer,
                )
                .await
                .unwrap();
            }
            let refused = exchange(
                &mut connection,
                address,
                b"GET / HTTP/1.1\r\n\r\n",
                &mut buffer,
            )
            .await
            .unwrap_err();
            assert_eq!(refused.to_string(), "HTTP/1.1 401 Unauthorized");
        });
    }
}
