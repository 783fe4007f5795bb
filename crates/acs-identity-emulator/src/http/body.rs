//! The response body: sized (successes, sent with `Content-Length`) or unsized (errors, sent chunked like
//! the service's).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};

/// A response body held in memory.
#[derive(Debug, Default)]
pub(crate) struct ResponseBody {
    data: Option<Bytes>,
    /// Whether the size is announced; without it hyper sends `Transfer-Encoding: chunked`.
    sized: bool,
}

impl ResponseBody {
    pub(crate) fn empty() -> Self {
        Self {
            data: None,
            sized: true,
        }
    }

    pub(crate) fn sized(data: impl Into<Bytes>) -> Self {
        Self {
            data: Some(data.into()),
            sized: true,
        }
    }

    pub(crate) fn chunked(data: impl Into<Bytes>) -> Self {
        Self {
            data: Some(data.into()),
            sized: false,
        }
    }

    #[cfg(test)]
    pub(crate) fn bytes(&self) -> &[u8] {
        self.data.as_deref().unwrap_or_default()
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(
            self.data
                .take()
                .filter(|d| !d.is_empty())
                .map(|d| Ok(Frame::data(d))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.data.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        if self.sized {
            SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
        } else {
            SizeHint::default()
        }
    }
}
