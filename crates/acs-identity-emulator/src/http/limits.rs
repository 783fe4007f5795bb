//! What clients may hold of the server, and for how long: connections, body bytes, time.

use std::time::Duration;

/// What a read of a connection brings at most, about (hyper's read buffer, which may grow past it by
/// its allocator's rounding), and the most a request head may weigh (beyond it hyper answers 431).
pub(crate) const READ_BUFFER: usize = 32 * 1024;

/// The server's bounds; see the builder's setters for what each means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) max_body_bytes: usize,
    pub(crate) body_bytes_in_flight: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            max_body_bytes: 1024 * 1024,
            body_bytes_in_flight: 16 * 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

impl Limits {
    /// The limits as the server applies them: at least one connection, one byte of body, a budget that
    /// holds the largest body and a read's spare (a smaller one could never be filled), deadlines of at
    /// least a millisecond.
    pub(crate) fn effective(self) -> Self {
        let at_least = |d: Duration| d.max(Duration::from_millis(1));
        let max_body_bytes = self.max_body_bytes.clamp(1, u32::MAX as usize);
        Self {
            max_connections: self
                .max_connections
                .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
            max_body_bytes,
            body_bytes_in_flight: self.body_bytes_in_flight.clamp(
                max_body_bytes.saturating_add(2 * READ_BUFFER),
                tokio::sync::Semaphore::MAX_PERMITS,
            ),
            header_timeout: at_least(self.header_timeout),
            body_timeout: at_least(self.body_timeout),
            idle_timeout: at_least(self.idle_timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonsense_is_raised_to_what_can_work() {
        let limits = Limits {
            max_connections: 0,
            max_body_bytes: 0,
            body_bytes_in_flight: 0,
            header_timeout: Duration::ZERO,
            body_timeout: Duration::ZERO,
            idle_timeout: Duration::ZERO,
        }
        .effective();
        assert_eq!(limits.max_connections, 1);
        assert_eq!(limits.max_body_bytes, 1);
        assert_eq!(limits.body_bytes_in_flight, 1 + 2 * READ_BUFFER);
        assert_eq!(limits.body_timeout, Duration::from_millis(1));
        let big_bodies = Limits {
            max_body_bytes: 4 * 1024 * 1024,
            body_bytes_in_flight: 1024 * 1024,
            ..Limits::default()
        }
        .effective();
        assert_eq!(
            big_bodies.body_bytes_in_flight,
            4 * 1024 * 1024 + 2 * READ_BUFFER
        );
        assert_eq!(Limits::default().effective(), Limits::default());
    }
}
