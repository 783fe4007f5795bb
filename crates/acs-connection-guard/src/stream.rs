//! The connection's stream: it tells the connection's [`Activity`] when bytes arrive, and lingers when it
//! is shut down after an answer that left its request unread.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::Activity;

/// How long a closing connection keeps reading (and discarding) what the client still sends, at most:
/// closing with unread bytes would reset the connection, and a reset can destroy the answer before the
/// client reads it (a 408, or a refusal sent before a body that is still arriving).
pub const LINGER: Duration = Duration::from_secs(1);
/// How much a lingering close reads and discards at most.
pub const LINGER_BYTES: usize = 1024 * 1024;

/// The connection's stream, telling its [`Activity`] when bytes arrive, and lingering when it closes:
/// hand it to hyper in place of the socket (or TLS stream).
#[derive(Debug)]
pub struct Watched<S> {
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
    /// `stream`, watched for `activity`.
    pub fn new(stream: S, activity: Arc<Activity>) -> Self {
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
        if !this.activity.lingers() {
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
