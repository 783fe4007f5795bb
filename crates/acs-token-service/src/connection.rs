//! A connection's deadlines between requests: an idle keep-alive connection is closed after
//! `server.idle_timeout`, a request head must be complete within `server.header_timeout` of its first
//! byte. (The body has its own deadline, in `request_body`; hyper's own header timer would also count the
//! idle time.) And a close that leaves part of a request unread lingers, so that the client reads the
//! answer before the connection is reset.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Instant;

/// Where a connection is between its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the next request, since then.
    Idle(Instant),
    /// A head is arriving, since its first byte.
    Head(Instant),
    /// A request is being read or answered: its own deadlines apply.
    Request,
}

/// The phase of one connection, moved by its reads and its requests.
#[derive(Debug)]
pub(crate) struct Activity {
    phase: watch::Sender<Phase>,
    /// Whether an answer left part of its request unread: the close then lingers.
    linger: AtomicBool,
}

impl Activity {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            phase: watch::Sender::new(Phase::Idle(Instant::now())),
            linger: AtomicBool::new(false),
        })
    }

    fn bytes_read(&self) {
        self.phase.send_if_modified(|phase| match phase {
            Phase::Idle(_) => {
                *phase = Phase::Head(Instant::now());
                true
            }
            _ => false,
        });
    }

    /// Marks a request as started; the connection is idle again when the guard is dropped, once the
    /// answer is handed to hyper (or the request abandoned).
    pub(crate) fn request(self: &Arc<Self>) -> InRequest {
        self.phase.send_replace(Phase::Request);
        InRequest(Arc::clone(self))
    }

    /// Resolves when the connection has been idle, or its head has been arriving, for too long; says which.
    pub(crate) async fn expired(
        &self,
        header_timeout: Duration,
        idle_timeout: Duration,
    ) -> &'static str {
        let mut phase = self.phase.subscribe();
        loop {
            let deadline = match *phase.borrow_and_update() {
                Phase::Idle(since) => Some((since + idle_timeout, "idle")),
                Phase::Head(since) => Some((since + header_timeout, "header")),
                Phase::Request => None,
            };
            let changed = match deadline {
                Some((at, which)) => tokio::select! {
                    () = tokio::time::sleep_until(at) => return which,
                    changed = phase.changed() => changed,
                },
                None => phase.changed().await,
            };
            // The sender lives as long as the connection.
            if changed.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

/// A request in progress on its connection.
#[derive(Debug)]
pub(crate) struct InRequest(Arc<Activity>);

/// The request extension through which an answer asks its connection to linger when it closes.
#[derive(Debug, Clone)]
pub(crate) struct Linger(pub(crate) Arc<Activity>);

impl Linger {
    /// The answer leaves part of the request unread and closes the connection: the close lingers, so
    /// that the client gets to read the answer.
    pub(crate) fn on_close(&self) {
        self.0.linger.store(true, Ordering::Relaxed);
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        self.0.phase.send_replace(Phase::Idle(Instant::now()));
    }
}

/// How long a closing connection keeps reading (and discarding) what the client still sends, and how
/// much at most: closing with unread bytes would reset the connection, and a reset can destroy the answer
/// before the client reads it (a 408, or a refusal sent before a body that is still arriving).
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 1024 * 1024;

/// The connection's stream, telling its [`Activity`] when bytes arrive, and lingering when it closes.
#[derive(Debug)]
pub(crate) struct Watched<S> {
    stream: S,
    activity: Arc<Activity>,
    lingering: Option<Lingering>,
}

#[derive(Debug)]
struct Lingering {
    until: Pin<Box<tokio::time::Sleep>>,
    discarded: usize,
}

impl<S> Watched<S> {
    pub(crate) fn new(stream: S, activity: Arc<Activity>) -> Self {
        Self {
            stream,
            activity,
            lingering: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    /// Sends the end of the stream; after an answer that left its request unread, then discards what the
    /// client still sends until it closes its side, [`LINGER`] passes or [`LINGER_BYTES`] came.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.activity.linger.load(Ordering::Relaxed) {
            return Pin::new(&mut this.stream).poll_shutdown(cx);
        }
        if this.lingering.is_none() {
            std::task::ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            this.lingering = Some(Lingering {
                until: Box::pin(tokio::time::sleep(LINGER)),
                discarded: 0,
            });
        }
        let Some(lingering) = this.lingering.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 4096];
        while lingering.discarded < LINGER_BYTES {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                    lingering.discarded += buf.filled().len();
                }
                // The client closed its side, or broke the connection: nothing more to wait for.
                Poll::Ready(_) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    return match lingering.until.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Ok(())),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn idle_then_head_then_request_each_have_their_deadline() {
        let activity = Activity::new();
        let idle = Duration::from_secs(30);
        let header = Duration::from_secs(10);
        let started = Instant::now();
        assert_eq!(activity.expired(header, idle).await, "idle");
        assert_eq!(started.elapsed(), idle);

        // A first byte starts the head's clock; more bytes do not restart it.
        activity.bytes_read();
        let head = Instant::now();
        tokio::time::advance(Duration::from_secs(4)).await;
        activity.bytes_read();
        assert_eq!(activity.expired(header, idle).await, "header");
        assert_eq!(head.elapsed(), header);

        // No deadline while a request is in progress; idle again after it.
        let request = activity.request();
        let waiting =
            tokio::time::timeout(Duration::from_secs(3600), activity.expired(header, idle));
        assert!(waiting.await.is_err());
        drop(request);
        let answered = Instant::now();
        assert_eq!(activity.expired(header, idle).await, "idle");
        assert_eq!(answered.elapsed(), idle);
    }
}
