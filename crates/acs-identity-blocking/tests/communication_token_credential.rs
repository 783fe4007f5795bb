//! `CommunicationTokenCredential` of the blocking client. The on-demand rules (on a clock moved by hand),
//! refresher failures, clones, `Debug` and the end-to-end tests are shared with the async client
//! (`acs-identity/tests/common/communication_token_credential.rs`); here are what only the blocking credential
//! has: single flight across threads, and the background thread (it refreshes, and stops at once when the
//! credential is dropped or closed). Every wait is bounded.
//!
//! Those are not shared: the thread waits on real time (a condition variable) and callers are threads held at
//! a gate, where the async client's task sleeps on tokio timers and its callers are tasks on the paused clock.
//! The clock of one cannot drive the other.

#[macro_use]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use support::{Env, sdk};

use sdk::{AccessToken, CommunicationTokenCredential, Error, TokenRefreshError};

/// The test clock: moved by hand, from `T0`.
#[derive(Clone, Default)]
struct Clock(Arc<Mutex<Duration>>);

impl Clock {
    fn now(&self) -> OffsetDateTime {
        T0 + *self.0.lock().unwrap()
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }

    fn reader(&self) -> impl Fn() -> OffsetDateTime + Send + Sync + 'static {
        let clock = self.clone();
        move || clock.now()
    }
}

/// One `#[test]` with a fresh `Clock` at `T0`.
macro_rules! clock_test {
    ($name:ident($clock:ident) $body:block) => {
        #[test]
        fn $name() {
            let $clock = crate::Clock::default();
            $body
        }
    };
}

#[path = "../../acs-identity/tests/common/communication_token_credential.rs"]
mod communication_token_credential;

use communication_token_credential::{MINUTE, T0, assert_refresher_failed, refresh_error};

/// The longest any test waits for a thread.
const PATIENCE: Duration = Duration::from_secs(5);

fn token_of(credential: &CommunicationTokenCredential) -> String {
    credential.get_token().unwrap().token().to_owned()
}

/// Waits (at most `PATIENCE`) until `done` holds; returns how long that took.
fn eventually(what: &str, done: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < PATIENCE,
            "timed out waiting until {what}"
        );
        thread::sleep(Duration::from_millis(1));
    }
    started.elapsed()
}

/// Starts `count` threads calling `get_token` together; the refresher (`gated`, counting in `calls`) is
/// released by `go` once its first call started and the threads had time to queue up behind it.
fn race(
    credential: &CommunicationTokenCredential,
    count: usize,
    calls: &AtomicUsize,
    go: &mpsc::Sender<()>,
) -> Vec<thread::JoinHandle<Result<String, Error>>> {
    let barrier = Arc::new(Barrier::new(count));
    let callers = (0..count)
        .map(|_| {
            let (credential, barrier) = (credential.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                credential.get_token().map(|token| token.token().to_owned())
            })
        })
        .collect();
    eventually("the refresh started", || calls.load(Ordering::SeqCst) == 1);
    thread::sleep(Duration::from_millis(200));
    go.send(()).unwrap();
    callers
}

/// A refresher that waits for the test's go (at most `PATIENCE`), then answers with `answer`.
fn gated<T: Send + 'static>(
    calls: &Arc<AtomicUsize>,
    answer: impl Fn(usize) -> Result<T, std::io::Error> + Send + Sync + 'static,
) -> (
    mpsc::Sender<()>,
    impl Fn() -> Result<T, std::io::Error> + Send + Sync + 'static,
) {
    let (go, gate) = mpsc::channel::<()>();
    let (calls, gate) = (Arc::clone(calls), Mutex::new(gate));
    let refresher = move || {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = gate.lock().unwrap().recv_timeout(PATIENCE);
        answer(n)
    };
    (go, refresher)
}

/// A refresher's answer: a token valid for an hour, from a closure that holds `guard` (the tests tell by its
/// count when the background thread let the refresher go).
fn holding(
    guard: &Arc<()>,
    token: &'static str,
) -> impl Fn(usize) -> Result<AccessToken, std::io::Error> + Send + Sync + 'static {
    let guard = Arc::clone(guard);
    move |_| {
        let _held = &guard;
        Ok(AccessToken::new(
            token,
            OffsetDateTime::now_utc() + MINUTE * 60,
        ))
    }
}

#[test]
fn concurrent_callers_share_one_refresh() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (go, refresher) = gated(&calls, |n| {
        Ok(AccessToken::new(
            format!("t{n}"),
            OffsetDateTime::now_utc() + MINUTE * 60,
        ))
    });
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .build()
        .unwrap();
    for caller in race(&credential, 8, &calls, &go) {
        assert_eq!(caller.join().unwrap().unwrap(), "t1");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn concurrent_callers_share_one_failure() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (go, refresher) = gated::<String>(&calls, |_| Err(std::io::Error::other("down")));
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .build()
        .unwrap();
    for caller in race(&credential, 8, &calls, &go) {
        let error = caller.join().unwrap().unwrap_err();
        assert_refresher_failed(&error, "down");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn the_background_thread_refreshes_ten_minutes_before_expiry() {
    // Real time: each token expires 10 minutes and 100 ms after it is issued, so the thread refreshes it
    // 100 ms later, again and again; callers never wait.
    let calls = Arc::new(AtomicUsize::new(0));
    let refresher = {
        let calls = Arc::clone(&calls);
        move || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let lifetime = MINUTE * 10 + Duration::from_millis(100);
            Ok::<_, std::io::Error>(AccessToken::new(
                format!("t{n}"),
                OffsetDateTime::now_utc() + lifetime,
            ))
        }
    };
    let started = Instant::now();
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .refresh_proactively(true)
        .build()
        .unwrap();
    eventually("three proactive refreshes", || {
        calls.load(Ordering::SeqCst) >= 3
    });
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "two waits of 100 ms: {:?}",
        started.elapsed()
    );
    assert!(credential.get_token().unwrap().token().starts_with('t'));
    drop(credential);
    let after_drop = calls.load(Ordering::SeqCst);
    thread::sleep(Duration::from_millis(300));
    assert!(
        calls.load(Ordering::SeqCst) <= after_drop + 1,
        "at most the refresh in flight finishes"
    );
}

#[test]
fn dropping_the_credential_wakes_and_ends_the_background_thread() {
    let guard = Arc::new(());
    let answer = holding(&guard, "t");
    let refresher = move || answer(1);
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .refresh_proactively(true)
        .build()
        .unwrap();
    assert_eq!(token_of(&credential), "t");
    // The thread now waits (up to 5 minutes) for the next refresh; dropping must wake it at once.
    thread::sleep(Duration::from_millis(20));
    let dropped = Instant::now();
    drop(credential);
    let took = eventually("the thread released the refresher", || {
        Arc::strong_count(&guard) == 1
    });
    assert!(
        took < Duration::from_secs(1),
        "{:?} after the drop",
        dropped.elapsed()
    );
}

#[test]
fn closing_during_a_refresh_discards_it_and_stops_the_thread() {
    let guard = Arc::new(());
    let calls = Arc::new(AtomicUsize::new(0));
    let (go, refresher) = gated(&calls, holding(&guard, "late"));
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .refresh_proactively(true)
        .build()
        .unwrap();
    eventually("the thread is refreshing", || {
        calls.load(Ordering::SeqCst) == 1
    });
    let waiting = {
        let credential = credential.clone();
        thread::spawn(move || credential.get_token())
    };
    thread::sleep(Duration::from_millis(50));
    credential.close();
    assert!(credential.is_closed());
    go.send(()).unwrap();
    let error = waiting.join().unwrap().unwrap_err();
    assert!(
        matches!(refresh_error(&error), TokenRefreshError::Closed),
        "{error:?}"
    );
    assert!(matches!(
        refresh_error(&credential.get_token().unwrap_err()),
        TokenRefreshError::Closed
    ));
    drop(credential);
    eventually("the thread ended", || Arc::strong_count(&guard) == 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
