//! Per-operation request counters and a bounded log of recent requests, for tests that assert attempts.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::Operation;

/// One request the emulator received, as the log keeps it. Holds no secret: the `Authorization` header is
/// kept as a fingerprint that tells whether two attempts carried the same signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The operation the request was routed to.
    pub operation: Operation,
    /// The HTTP method.
    pub method: String,
    /// The request-target exactly as received (path and query).
    pub target: String,
    /// The `x-ms-date` header, if any.
    pub x_ms_date: Option<String>,
    /// The first 16 hex digits of the SHA-256 of the `Authorization` header, if any.
    pub authorization_fingerprint: Option<String>,
    /// The `x-ms-client-request-id` header, if any.
    pub client_request_id: Option<String>,
    /// The status answered, or `None` when none was: a fault dropped the connection, or the client hung
    /// up first (for example during an injected latency).
    pub status: Option<u16>,
    /// Whether an injected fault answered (or dropped) the request.
    pub faulted: bool,
    /// When the request arrived.
    pub received_at: SystemTime,
    /// Why authentication failed, in detail, when it did (the `x-emulator-auth-error` of the answer):
    /// the missing header, the date skew, the body hash, or the string-to-sign the emulator expected and
    /// the client quirk that explains the mismatch. Never a signature, key or token.
    pub auth_error: Option<String>,
}

/// The request counters and recent-request log of a running emulator. Cheap to clone.
///
/// Counts every request routed to an ACS operation or the Entra token endpoint (admin routes are not
/// counted), including the ones an injected fault answered.
#[derive(Clone)]
pub struct RequestLog {
    inner: Arc<Inner>,
}

struct Inner {
    counts: [AtomicU64; Operation::ALL.len()],
    records: Mutex<VecDeque<RequestRecord>>,
    capacity: usize,
}

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLog")
            .field("counts", &self.counts())
            .finish()
    }
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                counts: std::array::from_fn(|_| AtomicU64::new(0)),
                records: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
                capacity,
            }),
        }
    }

    /// How many requests `operation` received.
    pub fn count(&self, operation: Operation) -> u64 {
        self.inner
            .counts
            .get(operation.index())
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// How many requests were counted, over all operations.
    pub fn total(&self) -> u64 {
        self.inner
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// The non-zero counters.
    pub fn counts(&self) -> BTreeMap<Operation, u64> {
        Operation::ALL
            .into_iter()
            .map(|op| (op, self.count(op)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The most recent requests, oldest first (at most the configured capacity).
    pub fn records(&self) -> Vec<RequestRecord> {
        self.inner
            .records
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The most recent requests of one operation, oldest first.
    pub fn records_of(&self, operation: Operation) -> Vec<RequestRecord> {
        self.records()
            .into_iter()
            .filter(|r| r.operation == operation)
            .collect()
    }

    /// Zeroes the counters and empties the log.
    pub fn reset(&self) {
        for count in &self.inner.counts {
            count.store(0, Ordering::Relaxed);
        }
        if let Ok(mut records) = self.inner.records.lock() {
            records.clear();
        }
    }

    pub(crate) fn count_request(&self, operation: Operation) {
        if let Some(count) = self.inner.counts.get(operation.index()) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether records are kept at all (capacity above 0), so that callers can skip building them.
    pub(crate) fn keeps_records(&self) -> bool {
        self.inner.capacity > 0
    }

    pub(crate) fn record(&self, record: RequestRecord) {
        if !self.keeps_records() {
            return;
        }
        if let Ok(mut records) = self.inner.records.lock() {
            if records.len() >= self.inner.capacity {
                records.pop_front();
            }
            records.push_back(record);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u16) -> RequestRecord {
        RequestRecord {
            operation: Operation::CreateIdentity,
            method: "POST".into(),
            target: "/identities".into(),
            x_ms_date: None,
            authorization_fingerprint: None,
            client_request_id: None,
            status: Some(n),
            faulted: false,
            received_at: SystemTime::UNIX_EPOCH,
            auth_error: None,
        }
    }

    #[test]
    fn log_is_bounded_and_counters_reset() {
        let log = RequestLog::new(2);
        for n in 0..3 {
            log.count_request(Operation::CreateIdentity);
            log.record(record(n));
        }
        assert_eq!(log.count(Operation::CreateIdentity), 3);
        assert_eq!(log.total(), 3);
        assert_eq!(
            log.records().iter().map(|r| r.status).collect::<Vec<_>>(),
            [Some(1), Some(2)]
        );
        log.reset();
        assert_eq!(log.total(), 0);
        assert!(log.records().is_empty());
        assert!(log.counts().is_empty());
    }
}
