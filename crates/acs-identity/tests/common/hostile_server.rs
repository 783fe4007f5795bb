//! A hostile server on loopback, and what both clients must do against it. Every request is answered `503`
//! with `Retry-After` (an hour unless told otherwise) and a 3 MiB ACS error whose message echoes the request's
//! `Authorization` as sent, in base64 and percent-encoded; its `MS-CV` and `x-ms-request-id` echo it too. The
//! client's error must be bounded, show no part of what the call sent in any of those forms, and come at once
//! instead of after a sleep of the retry policy's `max_delay`.
//!
//! Included by `acs-identity/tests/hostile_server.rs` and `acs-identity-blocking/tests/hostile_server.rs`,
//! whose `tests/support` defines the seam: `sdk` (the client crate), `client_test!` (one test, async or not)
//! and `aw!` (`.await` or nothing); they include `common/hygiene.rs` (the search for secrets) too. Everything
//! below is written once.

use std::io::{BufRead as _, BufReader, ErrorKind as IoErrorKind, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::hygiene::assert_hidden;
use crate::sdk::{
    AccessKey, CallOptions, ClientOptions, CommunicationIdentityClient,
    CommunicationUserIdentifier, Endpoint, EntraToken, Error, ErrorKind, ServiceError,
};

/// The size of every error body: under the clients' 4 MiB read limit, far over what an error keeps.
const BODY_LEN: usize = 3 << 20;
/// The server stops after this many connections, or after `SERVE_FOR`, whichever comes first.
const MAX_CONNECTIONS: usize = 4;
const SERVE_FOR: Duration = Duration::from_secs(30);
/// The longest a call may take: the answer is read and the error built at once (a debug build on a busy
/// 2-core machine included); the sleep it replaces was 60 s.
const AT_ONCE: Duration = Duration::from_secs(2);

/// The hostile server: its URL, and the `Authorization` of each request it got.
struct Hostile {
    url: String,
    seen: mpsc::Receiver<String>,
}

impl Hostile {
    fn start(retry_after: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (sender, seen) = mpsc::channel();
        std::thread::spawn(move || {
            let deadline = Instant::now() + SERVE_FOR;
            let mut served = 0;
            while served < MAX_CONNECTIONS && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        // A client that hangs up early is no failure of the server.
                        let _ = answer(stream, retry_after, &sender);
                    }
                    Err(e) if e.kind() == IoErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => return,
                }
            }
        });
        Self { url, seen }
    }

    /// The `Authorization` of every request so far.
    fn authorizations(&self) -> Vec<String> {
        self.seen.try_iter().collect()
    }
}

/// Reads one request (head bounded in lines and length, body by its `Content-Length`) and sends the answer.
fn answer(
    stream: TcpStream,
    retry_after: &str,
    seen: &mpsc::Sender<String>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let (mut authorization, mut content_length) = (String::new(), 0usize);
    for _ in 0..100 {
        let mut line = String::new();
        if reader.by_ref().take(16 * 1024).read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "authorization" => authorization = value.trim().to_owned(),
                "content-length" => content_length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0; content_length.min(64 * 1024)];
    reader.read_exact(&mut body)?;
    let _ = seen.send(authorization.clone());
    let body = echoing(&authorization);
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: {retry_after}\r\n\
         ms-cv: {authorization}\r\nx-ms-request-id: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        STANDARD.encode(&authorization),
        body.len()
    );
    let mut stream = stream;
    stream.write_all(head.as_bytes())?;
    stream.write_all(&body)?;
    stream.flush()
}

/// A 3 MiB ACS error whose message starts with `authorization` in every form, then two-byte characters.
fn echoing(authorization: &str) -> Vec<u8> {
    let echoed = format!(
        "Unauthorized request, you sent: {authorization} (base64 {}, percent-encoded {})",
        STANDARD.encode(authorization),
        percent_encoded(authorization)
    );
    // A JSON string: the forms hold no quote or backslash, but make sure.
    let echoed = echoed.replace('\\', "\\\\").replace('"', "\\\"");
    let head = format!(r#"{{"error":{{"code":"ServiceUnavailable","message":"{echoed} "#);
    let tail = r#""}}"#;
    let filler = "é".repeat((BODY_LEN - head.len() - tail.len()) / 2);
    format!("{head}{filler}{tail}").into_bytes()
}

/// Every byte but RFC 3986's unreserved characters as `%XX`.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What a call sent that must not come back: the whole `Authorization` and the credential in it.
fn sent_secrets(authorization: &str) -> Vec<String> {
    let credential = match authorization.split_once("Signature=") {
        Some((_, signature)) => signature,
        None => authorization.split_once(' ').map_or("", |(_, token)| token),
    };
    assert!(credential.len() >= 16, "{authorization}");
    vec![authorization.to_owned(), credential.to_owned()]
}

/// Every text of `error` a user can see: `Display`, `Debug`, the accessors, the source chain.
fn everything_shown(error: &Error) -> String {
    let mut shown = format!(
        "{error}\n{error:?}\n{:?} {:?}\n",
        error.ms_cv(),
        error.request_id()
    );
    if let Some(service) = error.service_error() {
        let fields = [
            service.code(),
            service.message(),
            service.target(),
            service.body_excerpt(),
            service.client_request_id(),
        ];
        for field in fields.into_iter().flatten() {
            shown.push_str(field);
            shown.push('\n');
        }
        shown.push_str(&format!("{:?}", service.details()));
    }
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        shown.push_str(&format!("\n{inner} {inner:?}"));
        source = inner.source();
    }
    shown
}

/// The checks of every test: one attempt, at once, a bounded error, no secret in any form.
fn assert_hostile_answer_handled(
    server: &Hostile,
    result: Result<impl std::fmt::Debug, Error>,
    took: Duration,
    asked: Duration,
) {
    let error = result.expect_err("the server only says 503");
    assert!(took < AT_ONCE, "the call took {took:?}: it waited");
    assert_eq!(error.kind(), ErrorKind::Service, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.attempts(), 1, "{error}");
    let service = error.service_error().unwrap();
    assert_eq!(service.retry_after_beyond_budget(), Some(asked));
    let shown_line = error.to_string();
    assert!(
        shown_line.contains("not retried: the service asked to wait"),
        "{shown_line}"
    );
    assert!(
        shown_line.len() < 6 * 1024,
        "{} bytes shown",
        shown_line.len()
    );

    let message = service.message().unwrap();
    assert!(
        message.len() <= ServiceError::MESSAGE_LIMIT,
        "{}",
        message.len()
    );
    assert!(
        message.ends_with("é...[truncated]"),
        "cut on a char boundary, marked"
    );
    assert!(
        message.starts_with("Unauthorized request, you sent: [redacted] (base64 [redacted]"),
        "{}",
        message.chars().take(120).collect::<String>()
    );
    assert!(service.is_truncated());

    let authorizations = server.authorizations();
    assert_eq!(authorizations.len(), 1, "one request, no retry");
    let start: String = shown_line.chars().take(110).collect();
    let end: String = shown_line
        .chars()
        .rev()
        .take(150)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    eprintln!(
        "hostile server: error after {took:?}, {} bytes: {start} ... {end}",
        shown_line.len()
    );
    // As sent, base64 (both alphabets), percent-encoded (either hex case).
    let shown = everything_shown(&error);
    assert_hidden(&shown, &sent_secrets(&authorizations[0]), "the error");
}

fn user() -> CommunicationUserIdentifier {
    CommunicationUserIdentifier::new("8:acs:00000000-0000-0000-0000-000000000000_hostile")
}

client_test!(an_access_key_clients_error_is_bounded_redacted_and_at_once {
    let server = Hostile::start("3600");
    let client = CommunicationIdentityClient::with_access_key(
        Endpoint::parse(&server.url).unwrap(),
        AccessKey::from_bytes((0..64u8).map(|n| n.wrapping_mul(7)).collect()),
        ClientOptions::default(),
    );
    let started = Instant::now();
    // Getting a user is idempotent: a 503 would be retried, after the server's delay if it fitted.
    let result = aw!(client.get_user_detail(&user()));
    assert_hostile_answer_handled(&server, result, started.elapsed(), Duration::from_secs(3600));
});

client_test!(an_entra_clients_error_is_bounded_redacted_and_at_once {
    let server = Hostile::start("3600");
    let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2NvbW11bmljYXRpb24uYXp1cmUuY29tIn0.aG9zdGlsZS1zZXJ2ZXItdGVzdA";
    let expires = SystemTime::now() + Duration::from_secs(3600);
    let client = CommunicationIdentityClient::with_token_source(
        Endpoint::parse(&server.url).unwrap(),
        EntraToken::new(token, expires),
        ClientOptions::default(),
    );
    let started = Instant::now();
    let result = aw!(client.get_user_detail(&user()));
    assert_hostile_answer_handled(&server, result, started.elapsed(), Duration::from_secs(3600));
    assert!(server.authorizations().is_empty(), "no second request");
});

client_test!(a_retry_after_beyond_the_call_deadline_ends_the_call_at_once {
    // 10 s fit in the retry policy (under its 60 s cap and 2 minute budget), not in the call's 3 s.
    let server = Hostile::start("10");
    let client = CommunicationIdentityClient::with_access_key(
        Endpoint::parse(&server.url).unwrap(),
        AccessKey::from_bytes(vec![3; 32]),
        ClientOptions::default(),
    );
    let options = CallOptions::default().timeout(Duration::from_secs(3));
    let started = Instant::now();
    let result = aw!(client.get_user_detail_with_response(&user(), &options));
    assert_hostile_answer_handled(&server, result, started.elapsed(), Duration::from_secs(10));
});
