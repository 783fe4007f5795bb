//! Reading a request body within bounds: a size cap, a deadline, and a budget of body bytes shared by
//! every request in flight.
//!
//! A body announced at up to [`FREE_BODY`] bytes (every ACS request's) is read without the budget: it
//! fits hyper's first read of the connection, already counted per connection. A larger announced body
//! reserves its whole length before any of it is read, so that bodies never hold part of what they need
//! while waiting for the rest. A chunked body, of unknown length, reserves as it goes what it keeps plus
//! a spare of two reads (hyper reads one chunk ahead of the body's consumer; the spare covers that chunk
//! too). A body that cannot get its share waits, within its deadline, without taking more from the
//! socket: a stalled upload leaves its bytes in the kernel.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use http_body_util::BodyExt as _;
use hyper::body::{Body as _, Bytes, Incoming};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout_at};

use super::limits::{Limits, READ_BUFFER};

/// The largest announced body read without the budget.
pub(crate) const FREE_BODY: u64 = 8 * 1024;
/// The spare a chunked body holds while it is being read: its next read and hyper's read-ahead.
const SPARE: u32 = 2 * READ_BUFFER as u32;

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Past `max_body_bytes`.
    TooLarge,
    /// Not all there by the deadline.
    TimedOut,
    /// The client broke it off, or sent something hyper refused.
    Broken,
}

/// A body read whole, and its share of the budget, given back when dropped.
#[derive(Debug)]
pub(crate) struct ReadBody {
    pub(crate) bytes: Bytes,
    _budget: Option<OwnedSemaphorePermit>,
}

/// Reads `body` whole by `deadline`.
pub(crate) async fn read(
    mut body: Incoming,
    limits: &Limits,
    budget: &Arc<Semaphore>,
    deadline: Instant,
) -> Result<ReadBody, BodyError> {
    let reserve = |permits: u32| async move {
        timeout_at(deadline, Arc::clone(budget).acquire_many_owned(permits))
            .await
            .map_err(|_| BodyError::TimedOut)?
            .map_err(|_| BodyError::Broken)
    };
    let declared = body.size_hint().exact();
    let chunked = declared.is_none();
    // The caller refused lengths past `max_body_bytes`, which fits a u32.
    let mut held = match declared {
        Some(length) if length > FREE_BODY => Some(reserve(length as u32).await?),
        _ => None,
    };
    let mut spare: Option<OwnedSemaphorePermit> = None;
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut received = 0usize;
    while !body.is_end_stream() {
        let have = spare.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
        if chunked && have < SPARE as usize {
            // `have` is below SPARE: the difference fits a u32.
            let more = reserve(SPARE - have as u32).await?;
            merge(&mut spare, Some(more));
        }
        let frame = match timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyError::TimedOut),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(BodyError::Broken),
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers carry nothing the emulator reads.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        received = received.saturating_add(data.len());
        if received > limits.max_body_bytes {
            return Err(BodyError::TooLarge);
        }
        // A chunked body keeps what came: its share moves from the spare to what the body holds.
        let kept = match &mut spare {
            Some(permit) if permit.num_permits() > data.len() => permit.split(data.len()),
            _ => spare.take(),
        };
        merge(&mut held, kept);
        chunks.push(data);
    }
    let bytes = match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => chunks.concat().into(),
    };
    Ok(ReadBody {
        bytes,
        _budget: held,
    })
}

/// Whether what is left of `body` is already here (at most [`FREE_BODY`] bytes, taken without waiting):
/// then a refusal can leave the connection open; else it closes it, and the rest is never read.
pub(crate) fn drained(body: &mut Incoming) -> bool {
    let mut context = Context::from_waker(Waker::noop());
    let mut taken = 0usize;
    while !body.is_end_stream() {
        match Pin::new(&mut *body).poll_frame(&mut context) {
            Poll::Ready(None) => return true,
            Poll::Ready(Some(Ok(frame))) => {
                taken = taken.saturating_add(frame.data_ref().map_or(0, Bytes::len));
                if taken as u64 > FREE_BODY {
                    return false;
                }
            }
            Poll::Ready(Some(Err(_))) | Poll::Pending => return false,
        }
    }
    true
}

fn merge(into: &mut Option<OwnedSemaphorePermit>, permit: Option<OwnedSemaphorePermit>) {
    match (into.as_mut(), permit) {
        (Some(into), Some(permit)) => into.merge(permit),
        (None, permit) => *into = permit,
        (Some(_), None) => {}
    }
}
