//! A request body under the service's deadline (`server.body_timeout`), telling whether it was read to its
//! end: an answer that leaves a body unread closes the connection, so that hyper never waits for the rest.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use hyper::body::{Body as _, Frame, SizeHint};
use tokio::time::Sleep;

/// What an unread body may still bring, taken without waiting when it is dropped: if that ends it, the
/// connection can stay open.
const DRAIN_LIMIT: usize = 16 * 1024;

/// The body did not arrive by its deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTimeout;

impl fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl StdError for BodyTimeout {}

/// Whether `error` is, or was caused by, a `T`.
pub(crate) fn caused_by<T: StdError + 'static>(error: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<T>() {
            return true;
        }
        next = error.source();
    }
    false
}

/// Puts `request`'s body under a deadline of `timeout` from now. Returns the flag that turns true once the
/// body was read to its end (or was all there when dropped); `None` when the request has no body.
pub(crate) fn bounded(request: Request, timeout: Duration) -> (Request, Option<Arc<AtomicBool>>) {
    if request.body().is_end_stream() {
        return (request, None);
    }
    let done = Arc::new(AtomicBool::new(false));
    let request = request.map(|inner| {
        Body::new(Bounded {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            done: Arc::clone(&done),
        })
    });
    (request, Some(done))
}

struct Bounded {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    done: Arc<AtomicBool>,
}

impl hyper::body::Body for Bounded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.done.store(true, Ordering::Relaxed);
                Poll::Ready(None)
            }
            Poll::Ready(Some(frame)) => {
                if this.inner.is_end_stream() {
                    this.done.store(true, Ordering::Relaxed);
                }
                Poll::Ready(Some(frame))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimeout)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Bounded {
    /// An unread body that is all there already (a refused request's small body, say) is taken now, so
    /// that the connection may stay open; what is still on its way is never waited for.
    fn drop(&mut self) {
        if self.done.load(Ordering::Relaxed) {
            return;
        }
        let mut context = Context::from_waker(Waker::noop());
        let mut taken = 0usize;
        while !self.inner.is_end_stream() {
            match Pin::new(&mut self.inner).poll_frame(&mut context) {
                Poll::Ready(None) => break,
                Poll::Ready(Some(Ok(frame))) => {
                    taken = taken.saturating_add(frame.data_ref().map_or(0, Bytes::len));
                    if taken > DRAIN_LIMIT {
                        return;
                    }
                }
                Poll::Ready(Some(Err(_))) | Poll::Pending => return,
            }
        }
        self.done.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    /// A body that never ends.
    struct Stalled;

    impl hyper::body::Body for Stalled {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Pending
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_is_cut_off_at_its_deadline_and_a_complete_one_is_marked_read() {
        let (request, done) = bounded(Request::new(Body::from("{}")), Duration::from_secs(1));
        let done = done.expect("a body");
        assert_eq!(to_bytes(request.into_body(), 1024).await.unwrap(), "{}");
        assert!(done.load(Ordering::Relaxed));

        let (request, done) = bounded(Request::new(Body::new(Stalled)), Duration::from_secs(1));
        let error = to_bytes(request.into_body(), 1024).await.unwrap_err();
        assert!(caused_by::<BodyTimeout>(&error));
        assert!(!done.expect("a body").load(Ordering::Relaxed));

        // Dropped unread: all there is taken, and the body counts as read.
        let (request, done) = bounded(Request::new(Body::from("{}")), Duration::from_secs(1));
        drop(request);
        assert!(done.expect("a body").load(Ordering::Relaxed));
        let (request, done) = bounded(Request::new(Body::new(Stalled)), Duration::from_secs(1));
        drop(request);
        assert!(!done.expect("a body").load(Ordering::Relaxed));

        let (_, done) = bounded(Request::new(Body::empty()), Duration::from_secs(1));
        assert!(done.is_none());
    }
}
