//! A one-shot HTTP forward proxy on loopback for the `NetworkOptions` tests of both clients: it sends back the
//! request line it got and answers 404.
//!
//! Included by test binaries of `acs-identity` and `acs-identity-blocking` (`#[path]`).

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// A one-shot HTTP proxy on loopback: sends back the request line it got and answers 404.
pub(crate) fn proxy() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        sender.send(line.trim_end().to_owned()).unwrap();
        let body = r#"{"error":{"code":"IdentityNotFound","message":"Identity not found."}}"#;
        let response = format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        (&stream).write_all(response.as_bytes()).unwrap();
    });
    (format!("http://{address}"), receiver)
}
