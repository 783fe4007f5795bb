//! A loopback TCP proxy for the tests of both clients: it counts the connections made through it and keeps a
//! copy of all traffic, both ways. Its threads end with the test process. Also the buffer that captures logs.
//!
//! Included by test binaries of `acs-identity` and `acs-identity-blocking` (`#[path]`).

// Each test binary uses part of it.
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Bytes written by a tracing subscriber, or seen by the proxy.
#[derive(Clone, Default)]
pub(crate) struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    /// Installs the global subscriber (one a test binary), writing here every event that `filter` lets
    /// through, and the span events `spans` names, without colours.
    pub(crate) fn capture(filter: &str, spans: FmtSpan) -> Self {
        let captured = Self::default();
        tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(filter))
            .with_span_events(spans)
            .with_ansi(false)
            .with_writer(captured.clone())
            .try_init()
            .unwrap();
        captured
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A running proxy.
pub(crate) struct Proxy {
    /// `http://127.0.0.1:<port>`, the endpoint to give a client.
    pub(crate) url: String,
    /// All traffic so far, both ways.
    pub(crate) wire: Buffer,
    connections: Arc<AtomicU64>,
}

impl Proxy {
    /// A proxy to `upstream` on a free loopback port.
    pub(crate) fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (wire, connections) = (Buffer::default(), Arc::new(AtomicU64::new(0)));
        let (record, counter) = (wire.clone(), Arc::clone(&connections));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let (Ok(client), Ok(server)) = (client, TcpStream::connect(upstream)) else {
                    return;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let mut record = record.clone();
                    std::thread::spawn(move || {
                        let mut buffer = [0; 16 * 1024];
                        while let Ok(n @ 1..) = from.read(&mut buffer) {
                            record.write_all(&buffer[..n]).unwrap();
                            if to.write_all(&buffer[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self {
            url,
            wire,
            connections,
        }
    }

    /// The connections accepted so far.
    pub(crate) fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}
