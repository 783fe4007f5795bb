//! Where a connection is between its requests, and the deadline of each place: an idle connection is
//! closed after the idle timeout, a head must be complete within the header timeout of its first byte, a
//! request in progress has its own deadlines.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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

/// The phase of one connection, moved by its reads (through [`Watched`](crate::Watched)) and its
/// requests ([`Activity::request`]), and whether its close lingers.
///
/// A new activity is idle, since its creation: make it when the connection is accepted.
#[derive(Debug)]
pub struct Activity {
    phase: watch::Sender<Phase>,
    /// Whether an answer left part of its request unread: the close then lingers.
    linger: AtomicBool,
}

/// The deadline that passed, as [`Activity::expired`] tells it. Its `Display` is `idle` or `header`, as
/// in the servers' log line `connection closed: {which} timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expired {
    /// The connection was idle (no request, not a byte of a head) for the idle timeout.
    Idle,
    /// A head was still incomplete the header timeout after its first byte.
    Header,
}

impl Expired {
    /// `idle` or `header`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Header => "header",
        }
    }
}

impl fmt::Display for Expired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Activity {
    /// The activity of a connection just accepted: idle from now.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            phase: watch::Sender::new(Phase::Idle(Instant::now())),
            linger: AtomicBool::new(false),
        })
    }

    /// Bytes arrived: an idle connection now has a head arriving, whose clock starts here. Later bytes
    /// do not restart it.
    pub(crate) fn bytes_read(&self) {
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
    pub fn request(self: &Arc<Self>) -> InRequest {
        self.phase.send_replace(Phase::Request);
        InRequest(Arc::clone(self))
    }

    /// Resolves when the connection has been idle for `idle_timeout`, or its head has been arriving for
    /// `header_timeout`; says which. Never resolves while a request is in progress; the deadlines start
    /// again from the phase the connection is in when it changes.
    pub async fn expired(&self, header_timeout: Duration, idle_timeout: Duration) -> Expired {
        let mut phase = self.phase.subscribe();
        loop {
            let deadline = match *phase.borrow_and_update() {
                Phase::Idle(since) => Some((since + idle_timeout, Expired::Idle)),
                Phase::Head(since) => Some((since + header_timeout, Expired::Header)),
                Phase::Request => None,
            };
            let changed = match deadline {
                Some((at, which)) => match tokio::time::timeout_at(at, phase.changed()).await {
                    Ok(changed) => changed,
                    Err(_) => return which,
                },
                None => phase.changed().await,
            };
            // `self` holds the sender: it lives as long as this future.
            if changed.is_err() {
                return std::future::pending().await;
            }
        }
    }

    fn linger_on_close(&self) {
        self.linger.store(true, Ordering::Relaxed);
    }

    pub(crate) fn lingers(&self) -> bool {
        self.linger.load(Ordering::Relaxed)
    }
}

/// A request in progress on its connection, from [`Activity::request`]: while it lives, the idle and
/// header deadlines do not apply; dropping it makes the connection idle, from then.
#[derive(Debug)]
pub struct InRequest(Arc<Activity>);

impl InRequest {
    /// The answer leaves part of the request unread and closes the connection: the close lingers, so
    /// that the client gets to read the answer (see [`Watched`](crate::Watched)).
    pub fn linger_on_close(&self) {
        self.0.linger_on_close();
    }

    /// A handle that does what [`InRequest::linger_on_close`] does, for code that sees the request but not
    /// this guard: put it in the request's extensions.
    pub fn linger(&self) -> Linger {
        Linger(Arc::clone(&self.0))
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        self.0.phase.send_replace(Phase::Idle(Instant::now()));
    }
}

/// Asks a connection to linger when it closes, from [`InRequest::linger`]: a request extension through
/// which an answer (a middleware, say) says that it leaves part of the request unread.
#[derive(Debug, Clone)]
pub struct Linger(Arc<Activity>);

impl Linger {
    /// The answer leaves part of the request unread and closes the connection: the close lingers, so
    /// that the client gets to read the answer.
    pub fn on_close(&self) {
        self.0.linger_on_close();
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
        assert_eq!(activity.expired(header, idle).await, Expired::Idle);
        assert_eq!(started.elapsed(), idle);

        // A first byte starts the head's clock; more bytes do not restart it.
        activity.bytes_read();
        let head = Instant::now();
        tokio::time::advance(Duration::from_secs(4)).await;
        activity.bytes_read();
        assert_eq!(activity.expired(header, idle).await, Expired::Header);
        assert_eq!(head.elapsed(), header);

        // No deadline while a request is in progress; idle again after it.
        let request = activity.request();
        let waiting =
            tokio::time::timeout(Duration::from_secs(3600), activity.expired(header, idle));
        assert!(waiting.await.is_err());
        drop(request);
        let answered = Instant::now();
        assert_eq!(activity.expired(header, idle).await, Expired::Idle);
        assert_eq!(answered.elapsed(), idle);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_starts_while_waiting_lifts_the_deadline() {
        let activity = Activity::new();
        let (idle, header) = (Duration::from_secs(30), Duration::from_secs(10));
        let waiting = {
            let activity = Arc::clone(&activity);
            tokio::spawn(async move { activity.expired(header, idle).await })
        };
        tokio::time::advance(Duration::from_secs(20)).await;
        let request = activity.request();
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert!(!waiting.is_finished());
        drop(request);
        let answered = Instant::now();
        assert_eq!(waiting.await.unwrap(), Expired::Idle);
        assert_eq!(answered.elapsed(), idle);
    }

    #[test]
    fn linger_is_asked_by_the_guard_or_its_handle() {
        let activity = Activity::new();
        let request = activity.request();
        let linger = request.linger();
        assert!(!activity.lingers());
        linger.on_close();
        assert!(activity.lingers());

        let other = Activity::new();
        other.request().linger_on_close();
        assert!(other.lingers());
        assert_eq!(
            [Expired::Idle.to_string(), Expired::Header.to_string()],
            ["idle", "header"]
        );
    }
}
