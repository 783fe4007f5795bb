//! The TCP transport under ureq, in place of its own: the same connections in fewer system calls per request.
//!
//! Against ureq's `TcpTransport` (3.5) it saves, on every request over a pooled connection:
//! - a liveness probe: ureq asks twice per request, when it returns the connection to its pool and when it takes
//!   it out again, and probes the socket each time with a read between two `ioctl(FIONBIO)`. Here a probe is one
//!   `recv(MSG_PEEK | MSG_DONTWAIT)`, and only the second question probes (see [`TcpTransport::is_open`]);
//! - the socket timeouts: a global timeout gives every I/O call a slightly different remaining time, which
//!   ureq applies with `setsockopt` each time; here an applied timeout is kept while it is a little shorter than
//!   the time left (see [`SocketTimeout`]), and a read or write that it cuts short resumes until the deadline;
//! - one TCP segment: ureq transmits the request head and the body separately; a head announcing a body is held
//!   back and leaves with the body's first bytes, in one `send`. Anything held goes out before any wait for input,
//!   so nothing can wait on a request that was not sent.
//!
//! The connect logic (each resolved address in turn, a share of the connect timeout each, `TCP_NODELAY` as
//! configured) follows ureq's `TcpConnector`, and [`connector`] chains it exactly where ureq's
//! `DefaultConnector` has its own: after the CONNECT proxy, before TLS.

use std::fmt;
use std::io::{self, ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::net::RecvFlags;
use ureq::Timeout;
use ureq::config::Config;
use ureq::unversioned::resolver::ResolvedSocketAddrs;
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout,
    ShutdownHandle, Transport,
};

/// The connector chain of ureq's `DefaultConnector` (without SOCKS, a feature this crate leaves off), with
/// [`TcpConnector`] in place of ureq's.
pub(crate) fn connector() -> impl Connector {
    let chain =
        ().chain(SocksUnsupported)
            .chain(ConnectProxyConnector::default())
            .chain(TcpConnector);
    #[cfg(feature = "rustls")]
    let chain = chain.chain(ureq::unversioned::transport::RustlsConnector::default());
    #[cfg(feature = "native-tls")]
    let chain = chain.chain(ureq::unversioned::transport::NativeTlsConnector::default());
    chain
}

/// What ureq does without its `socks-proxy` feature: a SOCKS proxy from the environment is ignored, with a
/// warning. (ureq panics on one configured in code; this crate configures none.)
#[derive(Debug)]
struct SocksUnsupported;

impl<In: Transport> Connector<In> for SocksUnsupported {
    type Out = In;

    fn connect(
        &self,
        details: &ConnectionDetails<'_>,
        chained: Option<In>,
    ) -> Result<Option<In>, ureq::Error> {
        use ureq::ProxyProtocol::{Socks4, Socks4A, Socks5, Socks5h};
        if chained.is_none()
            && let Some(proxy) = details.config.proxy()
            && matches!(proxy.protocol(), Socks4 | Socks4A | Socks5 | Socks5h)
        {
            tracing::warn!(
                "a SOCKS proxy is set in the environment but not supported: connecting directly"
            );
        }
        Ok(chained)
    }
}

/// Opens plain TCP connections, unless an earlier connector in the chain (a proxy) made one.
#[derive(Debug)]
pub(crate) struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails<'_>,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if let Some(chained) = chained {
            return Ok(Some(Either::A(chained)));
        }
        let config = details.config;
        let stream = connect_any(&details.addrs, details.timeout, config)?;
        let buffers = LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size());
        let transport = TcpTransport::new(stream, buffers);
        (details.register_shutdown)(transport.shutdown_handle())?;
        Ok(Some(Either::B(transport)))
    }
}

/// Tries the addresses in turn. Each gets a share of the time left, halving from one to the next, as in ureq
/// (and curl): the shares add up to the whole budget, none below 10 ms.
fn connect_any(
    addrs: &ResolvedSocketAddrs,
    timeout: NextTimeout,
    config: &Config,
) -> Result<TcpStream, ureq::Error> {
    const MIN_PER_ADDRESS: Duration = Duration::from_millis(10);
    let started = Instant::now();
    let budget = timeout.not_zero().map(|t| *t);
    let total_weight = 2.0 * (1.0 - 0.5_f64.powi(i32::try_from(addrs.len()).unwrap_or(i32::MAX)));
    let mut weight = 1.0_f64;
    let mut last_error = None;
    for addr in addrs {
        let per_address = budget.map(|budget| {
            // A saturating cast: no panic on a huge budget.
            let millis = (budget.as_secs_f64() * weight / total_weight * 1000.0) as u64;
            Duration::from_millis(millis).max(MIN_PER_ADDRESS)
        });
        match connect_one(*addr, per_address, config) {
            Ok(stream) => return Ok(stream),
            Err(ureq::Error::Io(e)) if is_address_specific(&e) => {
                last_error = Some(ureq::Error::Io(e));
                continue;
            }
            Err(e @ ureq::Error::Timeout(_)) => {
                if budget.is_some_and(|budget| started.elapsed() > budget) {
                    return Err(ureq::Error::Timeout(timeout.reason));
                }
                last_error = Some(e);
            }
            Err(e) => return Err(e),
        }
        weight /= 2.0;
    }
    Err(last_error.unwrap_or_else(|| io::Error::from(ErrorKind::ConnectionRefused).into()))
}

/// A failure that concerns only the address tried: the next one may still work (ureq #1184).
fn is_address_specific(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::AddrNotAvailable
    )
}

fn connect_one(
    addr: SocketAddr,
    timeout: Option<Duration>,
    config: &Config,
) -> Result<TcpStream, ureq::Error> {
    let stream = match timeout {
        Some(timeout) => TcpStream::connect_timeout(&addr, timeout),
        None => TcpStream::connect(addr),
    };
    let stream = match stream {
        Ok(stream) => stream,
        Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
            return Err(ureq::Error::Timeout(Timeout::Connect));
        }
        Err(e) => return Err(e.into()),
    };
    if config.no_delay() {
        stream.set_nodelay(true)?;
    }
    Ok(stream)
}

/// A TCP connection for ureq; see the module documentation for how it differs from ureq's own.
pub(crate) struct TcpTransport {
    /// Shared (weakly) with the agent, which shuts it down to interrupt blocked I/O.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// A request head whose body is still to come; sent with the body's first bytes or before any read.
    held: Vec<u8>,
    read_timeout: SocketTimeout,
    write_timeout: SocketTimeout,
    /// Set by every request's I/O, cleared by the liveness question that follows it.
    used: bool,
}

/// A held head buffer larger than this (a head held with a large first chunk of body) is not kept for reuse.
const HELD_CAPACITY: usize = 16 << 10;

impl TcpTransport {
    fn new(stream: TcpStream, buffers: LazyBuffers) -> Self {
        Self {
            stream: Arc::new(stream),
            buffers,
            held: Vec::new(),
            read_timeout: SocketTimeout::default(),
            write_timeout: SocketTimeout::default(),
            used: false,
        }
    }

    fn shutdown_handle(&self) -> Weak<dyn ShutdownHandle> {
        // ureq implements `ShutdownHandle` for `TcpStream`: `shutdown(Both)`.
        Arc::downgrade(&self.stream) as Weak<dyn ShutdownHandle>
    }

    /// Sends what is held, if anything.
    fn flush_held(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let result = send_all(&self.stream, &mut self.write_timeout, &self.held, timeout);
        self.release_held();
        result
    }

    fn release_held(&mut self) {
        self.held.clear();
        if self.held.capacity() > HELD_CAPACITY {
            self.held = Vec::new();
        }
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.used = true;
        let output = self.buffers.output().get(..amount).unwrap_or_default();
        if self.held.is_empty() {
            if announces_body(output) {
                // ureq writes the body into the same buffer next: keep a copy of the head.
                self.held.extend_from_slice(output);
                return Ok(());
            }
            return send_all(&self.stream, &mut self.write_timeout, output, timeout);
        }
        self.held.extend_from_slice(output);
        self.flush_held(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.used = true;
        self.flush_held(timeout)?;
        let timeout = timeout.for_read();
        let deadline = Deadline::new(timeout)?;
        let input = self.buffers.input_append_buf();
        let mut first = true;
        let amount = loop {
            self.read_timeout
                .cover(deadline.left(timeout)?, first, |t| {
                    self.stream.set_read_timeout(t)
                })?;
            first = false;
            match (&*self.stream).read(input) {
                Ok(amount) => break amount,
                // Without a timeout, only a signal handler installed without SA_RESTART interrupts a read: it
                // asked for the interruption (ureq's rule).
                Err(e) if e.kind() == ErrorKind::Interrupted && deadline.is_none() => {
                    return Err(e.into());
                }
                Err(e) if is_cut_short(&e) => deadline.resume_after_cut(timeout)?,
                Err(e) => return Err(e.into()),
            }
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    /// Open when the peer has neither closed the connection nor sent anything unasked: bytes waiting on an idle
    /// connection mean the last response was not what it seemed, so ureq does not reuse it.
    ///
    /// ureq asks right after a response, before it pools the connection, and again when it takes the connection
    /// from the pool. Only the second question probes the socket: it sees all the first would have seen (the
    /// bytes stay in the socket, and so does an end of stream), and more. A connection that fails it is closed
    /// then instead of before pooling; until then it holds its place in the pool, as one the peer closes while
    /// it is idle always did.
    fn is_open(&mut self) -> bool {
        if !self.held.is_empty() {
            return false;
        }
        if std::mem::take(&mut self.used) {
            return true;
        }
        is_idle_and_open(&self.stream)
    }
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport")
            .field("addr", &self.stream.peer_addr().ok())
            .finish_non_exhaustive()
    }
}

/// One non-blocking peek: no bytes waiting and no end of stream.
fn is_idle_and_open(stream: &TcpStream) -> bool {
    let mut byte = [0_u8; 1];
    loop {
        match rustix::net::recv(stream, &mut byte[..], RecvFlags::PEEK | RecvFlags::DONTWAIT) {
            Err(Errno::INTR) => continue,
            Err(e) => return e == Errno::AGAIN || e == Errno::WOULDBLOCK,
            // End of stream, or bytes nobody asked for.
            Ok(_) => return false,
        }
    }
}

/// Sends all of `data`, within `timeout`.
fn send_all(
    stream: &TcpStream,
    applied: &mut SocketTimeout,
    mut data: &[u8],
    timeout: NextTimeout,
) -> Result<(), ureq::Error> {
    let timeout = timeout.for_write();
    let deadline = Deadline::new(timeout)?;
    let mut first = true;
    // `TcpStream::write` is `send(MSG_NOSIGNAL)` (or a socket with `SO_NOSIGPIPE`): a closed peer is an error,
    // not a SIGPIPE, even in a process that did not ignore the signal.
    let mut writer = stream;
    while !data.is_empty() {
        applied.cover(deadline.left(timeout)?, first, |t| {
            stream.set_write_timeout(t)
        })?;
        first = false;
        match writer.write(data) {
            Ok(0) => return Err(io::Error::from(ErrorKind::WriteZero).into()),
            Ok(sent) => data = data.get(sent..).unwrap_or_default(),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if is_cut_short(&e) => deadline.resume_after_cut(timeout)?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// A socket timeout ran out (`EAGAIN` on a blocking socket).
fn is_cut_short(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// When one read or write must end, if ever.
#[derive(Clone, Copy)]
struct Deadline(Option<Instant>);

impl Deadline {
    fn new(timeout: NextTimeout) -> Result<Self, ureq::Error> {
        if timeout.after.is_zero() {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        // A timeout too far away to represent is no timeout.
        Ok(Self(
            timeout
                .not_zero()
                .and_then(|after| Instant::now().checked_add(*after)),
        ))
    }

    fn is_none(self) -> bool {
        self.0.is_none()
    }

    /// The time left (`None`: no limit), or the timeout error once there is none.
    fn left(self, timeout: NextTimeout) -> Result<Option<Duration>, ureq::Error> {
        let Some(deadline) = self.0 else {
            return Ok(None);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        Ok(Some(left))
    }

    /// After a socket timeout ran out: the timeout error, unless time is left (the socket's timeout was set
    /// shorter than the time left, see [`SocketTimeout::cover`]), in which case the caller tries again.
    fn resume_after_cut(self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        match self.left(timeout)? {
            Some(_) => Ok(()),
            None => Err(ureq::Error::Timeout(timeout.reason)),
        }
    }
}

/// A socket's read or write timeout (`SO_RCVTIMEO`, `SO_SNDTIMEO`) as last applied, changed only when needed.
///
/// A blocking call must not wait past the deadline, so the applied timeout may not exceed the time left. It may
/// be shorter: the call then returns early and is repeated, with exactly the time left. So a timeout is kept
/// while it lies within the last eighth below the time left; a new one is set a sixteenth below it. Every call
/// with a fresh per-attempt budget then finds the timeout of the call before still fitting.
#[derive(Debug, Default)]
struct SocketTimeout {
    /// `None`: blocking without limit, the state of a new socket.
    applied: Option<Duration>,
}

impl SocketTimeout {
    /// Makes the socket's timeout fit the time `left` (`None`: no limit); `first` is false when the call is
    /// repeated after an early return, and then the time left is applied exactly.
    fn cover(
        &mut self,
        left: Option<Duration>,
        first: bool,
        set: impl FnOnce(Option<Duration>) -> io::Result<()>,
    ) -> io::Result<()> {
        let Some(wanted) = Self::wanted(self.applied, left, first) else {
            return Ok(());
        };
        match set(wanted) {
            Ok(()) => self.applied = wanted,
            // macOS may refuse a new timeout after the peer closed with request data unread; the response may
            // still be readable, so let the I/O report the outcome (as ureq does).
            Err(e) if cfg!(target_os = "macos") && e.kind() == ErrorKind::InvalidInput => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// The timeout to apply, if the applied one does not fit.
    fn wanted(
        applied: Option<Duration>,
        left: Option<Duration>,
        first: bool,
    ) -> Option<Option<Duration>> {
        match (applied, left) {
            (None, None) => None,
            (Some(_), None) => Some(None),
            (Some(applied), Some(left)) if applied <= left && applied >= left - left / 8 => None,
            (_, Some(left)) if first => Some(Some(left - left / 16)),
            (_, Some(left)) => Some(Some(left)),
        }
    }
}

/// Whether `output` is exactly a request head, up to its blank line, that announces a body (`content-length`
/// above 0). Such a head can wait for the body's first bytes: ureq transmits them next.
fn announces_body(output: &[u8]) -> bool {
    const NAME: &[u8] = b"content-length:";
    let Some(head) = output.strip_suffix(b"\r\n\r\n") else {
        return false;
    };
    // One pass (this runs on every request): the request line, then one header per line, and no blank line
    // before the end.
    let mut announced = false;
    for line in head.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return false;
        }
        if let Some((name, value)) = line.split_at_checked(NAME.len())
            && name.eq_ignore_ascii_case(NAME)
        {
            announced = std::str::from_utf8(value)
                .ok()
                .and_then(|value| value.trim().parse::<u64>().ok())
                .is_some_and(|length| length > 0);
        }
    }
    announced
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use ureq::unversioned::transport::time::Duration as UreqDuration;

    use super::*;

    const HEAD: &[u8] =
        b"POST /identities HTTP/1.1\r\nhost: localhost\r\ncontent-length: 19\r\n\r\n";
    const BODY: &[u8] = b"{\"scopes\":[\"chat\"]}";
    /// Bounds every wait in these tests, so that a broken transport fails them instead of hanging.
    const PATIENCE: Duration = Duration::from_secs(5);

    fn within(after: Duration) -> NextTimeout {
        NextTimeout {
            after: UreqDuration::Exact(after),
            reason: Timeout::Global,
            per_read: None,
            per_write: None,
        }
    }

    /// A transport connected to a loopback listener, and the listener's end of the connection.
    fn connected() -> (TcpTransport, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.set_nodelay(true).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_read_timeout(Some(PATIENCE)).unwrap();
        (
            TcpTransport::new(client, LazyBuffers::new(4096, 4096)),
            server,
        )
    }

    fn transmit(transport: &mut TcpTransport, bytes: &[u8]) {
        transport.buffers().output()[..bytes.len()].copy_from_slice(bytes);
        transport
            .transmit_output(bytes.len(), within(PATIENCE))
            .unwrap();
    }

    /// Reads what has arrived, waiting at most `wait` for the first bytes.
    fn arrived(server: &mut TcpStream, wait: Duration) -> Vec<u8> {
        server.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0; 4096];
        match server.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(e) if is_cut_short(&e) => Vec::new(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn heads_that_announce_a_body() {
        let cases: [(&[u8], bool); 9] = [
            (HEAD, true),
            (b"PUT /x HTTP/1.1\r\nContent-Length:  5 \r\n\r\n", true),
            (b"POST /x HTTP/1.1\r\nCONTENT-LENGTH: 123456\r\n\r\n", true),
            (b"POST /x HTTP/1.1\r\ncontent-length: 0\r\n\r\n", false),
            (b"GET /x HTTP/1.1\r\nhost: localhost\r\n\r\n", false),
            (
                b"POST /x HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
                false,
            ),
            // not a whole head, or a head with something after it
            (b"POST /x HTTP/1.1\r\ncontent-length: 5\r\n", false),
            (
                b"POST /x HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello\r\n\r\n",
                false,
            ),
            (b"", false),
        ];
        for (output, expected) in cases {
            let shown = String::from_utf8_lossy(output);
            assert_eq!(announces_body(output), expected, "{shown}");
        }
    }

    #[test]
    fn socket_timeouts_change_only_when_they_no_longer_fit() {
        let ms = Duration::from_millis;
        let wanted = SocketTimeout::wanted;
        assert_eq!(wanted(None, None, true), None);
        assert_eq!(wanted(Some(ms(100)), None, true), Some(None));
        // Set a sixteenth below the time left, then kept while within an eighth below it.
        assert_eq!(wanted(None, Some(ms(1600)), true), Some(Some(ms(1500))));
        assert_eq!(wanted(Some(ms(1500)), Some(ms(1600)), true), None);
        assert_eq!(wanted(Some(ms(1500)), Some(ms(1501)), true), None);
        assert_eq!(wanted(Some(ms(1500)), Some(ms(1714)), true), None);
        assert_eq!(
            wanted(Some(ms(1500)), Some(ms(1800)), true),
            Some(Some(ms(1687) + Duration::from_micros(500)))
        );
        // Never longer than the time left.
        assert_eq!(
            wanted(Some(ms(1500)), Some(ms(1499)), true),
            Some(Some(ms(1499) - ms(1499) / 16))
        );
        // A call repeated after an early return waits exactly the time left.
        assert_eq!(
            wanted(Some(ms(1500)), Some(ms(100)), false),
            Some(Some(ms(100)))
        );
    }

    #[test]
    fn a_head_that_announces_a_body_leaves_with_it_in_one_segment() {
        let (mut transport, mut server) = connected();
        transmit(&mut transport, HEAD);
        assert_eq!(transport.held, HEAD);
        assert_eq!(arrived(&mut server, Duration::from_millis(20)), b"");
        transmit(&mut transport, BODY);
        assert!(transport.held.is_empty());
        // One send: the whole request is there for the first read.
        assert_eq!(arrived(&mut server, PATIENCE), [HEAD, BODY].concat());
    }

    #[test]
    fn other_output_is_sent_at_once() {
        let (mut transport, mut server) = connected();
        let get = b"GET /identities HTTP/1.1\r\nhost: localhost\r\n\r\n";
        transmit(&mut transport, get);
        assert!(transport.held.is_empty());
        assert_eq!(arrived(&mut server, PATIENCE), get);
    }

    #[test]
    fn a_held_head_is_sent_before_waiting_for_input() {
        // As with `expect: 100-continue`: the head, then a wait for the server's answer before the body.
        let (mut transport, mut server) = connected();
        transmit(&mut transport, HEAD);
        let peer = thread::spawn(move || {
            let mut head = vec![0; HEAD.len()];
            server.read_exact(&mut head).unwrap();
            server.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
            (head, server)
        });
        assert!(transport.await_input(within(PATIENCE)).unwrap());
        assert_eq!(
            transport.buffers().input(),
            b"HTTP/1.1 100 Continue\r\n\r\n"
        );
        assert!(transport.held.is_empty());
        let (head, _server) = peer.join().unwrap();
        assert_eq!(head, HEAD);
    }

    #[test]
    fn an_idle_connection_is_open_until_the_peer_sends_or_closes() {
        let (mut transport, mut server) = connected();
        assert!(transport.is_open());
        assert!(transport.is_open(), "the probe consumes nothing");
        server.write_all(b"x").unwrap();
        let started = Instant::now();
        while transport.is_open() {
            assert!(started.elapsed() < PATIENCE, "unasked bytes went unnoticed");
            thread::sleep(Duration::from_millis(1));
        }
        // The byte is still there to read.
        assert!(transport.await_input(within(PATIENCE)).unwrap());
        assert_eq!(transport.buffers().input(), b"x");

        let (mut transport, server) = connected();
        assert!(transport.is_open());
        drop(server);
        let started = Instant::now();
        while transport.is_open() {
            assert!(started.elapsed() < PATIENCE, "the close went unnoticed");
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn the_question_before_pooling_is_left_to_the_one_at_checkout() {
        let (mut transport, mut server) = connected();
        let get = b"GET /identities HTTP/1.1\r\nhost: localhost\r\n\r\n";
        transmit(&mut transport, get);
        assert_eq!(arrived(&mut server, PATIENCE), get);
        server
            .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
            .unwrap();
        drop(server);
        assert!(transport.await_input(within(PATIENCE)).unwrap());
        let response = transport.buffers().input().len();
        // The peer closed after its response: the question before pooling says open, the one at checkout not.
        transport.buffers().input_consume(response);
        assert!(transport.is_open(), "asked before pooling");
        let started = Instant::now();
        while transport.is_open() {
            assert!(
                started.elapsed() < PATIENCE,
                "the close went unnoticed at checkout"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_read_times_out_at_its_deadline_not_before() {
        let (mut transport, _server) = connected();
        let timeout = Duration::from_millis(200);
        let times_out_at_the_deadline = |transport: &mut TcpTransport| {
            let started = Instant::now();
            let error = transport.await_input(within(timeout)).unwrap_err();
            assert!(
                matches!(error, ureq::Error::Timeout(Timeout::Global)),
                "{error}"
            );
            assert!(started.elapsed() >= timeout);
            assert!(started.elapsed() < PATIENCE);
        };
        times_out_at_the_deadline(&mut transport);

        // A socket timeout kept from an earlier call, shorter than the time left, wakes the read early: it goes
        // on waiting until the deadline.
        let applied = Duration::from_millis(190);
        assert_eq!(
            SocketTimeout::wanted(
                Some(applied),
                Some(timeout - Duration::from_millis(1)),
                true
            ),
            None
        );
        transport.stream.set_read_timeout(Some(applied)).unwrap();
        transport.read_timeout.applied = Some(applied);
        times_out_at_the_deadline(&mut transport);
    }

    /// TLS runs over this transport as over ureq's own: signed https calls to the emulator (its self-signed
    /// certificate trusted) get their answers, the second one over the pooled connection.
    #[cfg(feature = "rustls")]
    #[test]
    fn tls_runs_over_this_transport() {
        use ureq::tls::{Certificate, RootCerts, TlsConfig};

        let emulator = acs_identity_emulator::Emulator::builder()
            .self_signed_tls()
            .start_in_background()
            .unwrap();
        let pem = emulator.tls_certificate_pem().unwrap();
        let root = Certificate::from_pem(pem.as_bytes()).unwrap();
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::Specific(Arc::new(vec![root])))
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(PATIENCE))
            .tls_config(tls)
            .build();
        let resolver = crate::resolver::CachingResolver::default();
        let agent = ureq::Agent::with_parts(config, connector(), resolver);
        assert!(emulator.endpoint().starts_with("https://"));
        for _ in 0..2 {
            let mut request = http::Request::post(format!(
                "{}identities?api-version=2025-06-30",
                emulator.endpoint()
            ))
            .header("content-type", "application/json")
            .body(b"{}".to_vec())
            .unwrap();
            acs_auth::sign_request(
                &mut request,
                emulator.access_key(),
                std::time::SystemTime::now(),
            );
            let response = agent.run(request).unwrap();
            assert_eq!(response.status(), 201);
        }
        assert_eq!(emulator.requests().total(), 2);
        emulator.shutdown();
    }
}
