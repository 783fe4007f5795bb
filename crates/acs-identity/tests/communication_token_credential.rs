//! `CommunicationTokenCredential` of the async client on tokio's paused clock. The on-demand rules, refresher
//! failures, clones, `Debug` and the end-to-end tests are shared with the blocking client
//! (`tests/common/communication_token_credential.rs`); here are what only the async credential has: the
//! background task (proactive refreshes, their backoff, closing and dropping), single flight among tasks,
//! cancellation by dropping a call, and a credential built outside a runtime.
//!
//! Proactive refreshing and concurrent callers are not shared: here they run on tokio's paused clock (the task
//! sleeps on tokio timers, callers are tasks), in the blocking client on real time (its thread waits on a
//! condition variable, callers are threads held at a gate). The clock of one cannot drive the other.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use time::OffsetDateTime;

use support::{Answer, Env, sdk};

use sdk::{
    AccessToken, CommunicationTokenCredential, CommunicationTokenCredentialBuilder, Error,
    TokenRefreshError,
};

/// The test clock: tokio's paused time, from `T0` at the start. `advance` sleeps, so the runtime's timers run.
#[derive(Clone)]
struct Clock {
    start: tokio::time::Instant,
}

impl Clock {
    /// A clock at `T0` now; in a runtime with paused time.
    fn start() -> Self {
        Self {
            start: tokio::time::Instant::now(),
        }
    }

    fn now(&self) -> OffsetDateTime {
        T0 + (tokio::time::Instant::now() - self.start)
    }

    fn reader(&self) -> impl Fn() -> OffsetDateTime + Clone + Send + Sync + 'static {
        let clock = self.clone();
        move || clock.now()
    }

    async fn advance(&self, by: Duration) {
        tokio::time::sleep(by).await;
    }
}

/// One test on the paused clock, with a `Clock` from `T0`, bounded by `bounded`.
macro_rules! clock_test {
    ($name:ident($clock:ident) $body:block) => {
        #[tokio::test(start_paused = true)]
        async fn $name() {
            crate::bounded(async {
                let $clock = crate::Clock::start();
                $body
            })
            .await;
        }
    };
}

/// Runs a test on the paused clock with a deadline of one virtual day: reached at once if the test hangs,
/// since the paused clock jumps to the next timer whenever every task waits.
async fn bounded(test: impl Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(24 * 3600), test)
        .await
        .expect("the test finished within its deadline");
}

#[path = "common/communication_token_credential.rs"]
mod communication_token_credential;

use communication_token_credential::{
    Calls, MINUTE, T0, assert_refresher_failed, issuing, refresh_error,
};

async fn token_of(credential: &CommunicationTokenCredential) -> String {
    credential.get_token().await.unwrap().token().to_owned()
}

/// A credential refreshing proactively on `clock`, with tokens valid for `lifetime` (see `issuing`).
fn proactive(
    clock: &Clock,
    calls: &Calls,
    lifetime: Duration,
) -> CommunicationTokenCredentialBuilder {
    CommunicationTokenCredential::with_refresher(issuing(clock, calls, lifetime))
        .refresh_proactively(true)
        .clock(clock.reader())
}

/// `count` tasks, each calling `get_token` of a clone of `credential` once.
fn callers(
    credential: &CommunicationTokenCredential,
    count: usize,
) -> Vec<tokio::task::JoinHandle<Result<String, Error>>> {
    (0..count)
        .map(|_| {
            let credential = credential.clone();
            tokio::spawn(async move {
                credential
                    .get_token()
                    .await
                    .map(|token| token.token().to_owned())
            })
        })
        .collect()
}

/// `refresher`, whose every refresh answers `delay` (of paused time) later.
fn slowly<T: Send + 'static>(
    delay: Duration,
    refresher: impl Fn() -> Answer<T> + Send + Sync + 'static,
) -> impl Fn() -> Answer<T> + Send + Sync + 'static {
    move || {
        let refresh = refresher();
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            refresh.await
        })
    }
}

clock_test!(proactive_refreshes_happen_ten_minutes_before_expiry(clock) {
    let calls = Calls::default();
    let credential = proactive(&clock, &calls, MINUTE * 60)
        .initial_token(AccessToken::new("initial", T0 + MINUTE * 30))
        .build()
        .unwrap();
    clock.advance(MINUTE * 75).await;
    calls.assert_at(&[20.0 * 60.0, 70.0 * 60.0]);
    // Callers never waited for a refresh.
    assert_eq!(token_of(&credential).await, "t2");
    assert_eq!(calls.count(), 2);
});

clock_test!(a_token_inside_the_window_is_refreshed_after_half_its_lifetime(clock) {
    let calls = Calls::default();
    let credential = proactive(&clock, &calls, MINUTE * 6).build().unwrap();
    clock.advance(MINUTE * 10).await;
    calls.assert_at(&[0.0, 180.0, 360.0, 540.0]);
    assert_eq!(token_of(&credential).await, "t4");
});

clock_test!(failed_proactive_refreshes_are_retried_with_backoff(clock) {
    let calls = Calls::default();
    let refresher = {
        let (calls, clock) = (calls.clone(), clock.clone());
        move || {
            let n = calls.record(clock.now());
            let result = if n <= 4 {
                Err(std::io::Error::other("unavailable"))
            } else {
                Ok(AccessToken::new(format!("t{n}"), clock.now() + MINUTE * 60))
            };
            async move { result }
        }
    };
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .initial_token(AccessToken::new("initial", T0 + MINUTE * 11))
        .refresh_proactively(true)
        .clock(clock.reader())
        .build()
        .unwrap();
    clock.advance(MINUTE + Duration::from_secs(1)).await;
    assert_eq!(calls.count(), 1, "the first proactive refresh failed");
    // Before the retry is due, callers get the previous token without calling the refresher.
    assert_eq!(token_of(&credential).await, "initial");
    assert_eq!(calls.count(), 1);

    clock.advance(MINUTE).await;
    let times = calls.times();
    assert_eq!(times.len(), 5, "{times:?}");
    assert!((times[0] - 60.0).abs() < 0.01, "{times:?}");
    let gaps: Vec<f64> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
    for (gap, base) in gaps.iter().zip([2.0, 4.0, 8.0, 16.0]) {
        assert!((base * 0.8..=base * 1.2).contains(gap), "gaps {gaps:?}");
    }
    assert_eq!(token_of(&credential).await, "t5");
    clock.advance(MINUTE * 45).await;
    assert_eq!(calls.count(), 5, "back on the normal schedule");
});

clock_test!(concurrent_callers_share_one_refresh(clock) {
    let calls = Calls::default();
    let refresher = slowly(Duration::from_secs(1), issuing(&clock, &calls, MINUTE * 60));
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .clock(clock.reader())
        .build()
        .unwrap();
    for caller in callers(&credential, 50) {
        assert_eq!(caller.await.unwrap().unwrap(), "t1");
    }
    assert_eq!(calls.count(), 1);
});

clock_test!(concurrent_callers_share_one_failure(clock) {
    let calls = Arc::new(AtomicUsize::new(0));
    let credential = CommunicationTokenCredential::with_refresher({
        let calls = Arc::clone(&calls);
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                Err::<String, _>(std::io::Error::other("down"))
            }
        }
    })
    .clock(clock.reader())
    .build()
    .unwrap();
    for caller in callers(&credential, 20) {
        let error = caller.await.unwrap().unwrap_err();
        assert_refresher_failed(&error, "down");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
});

clock_test!(a_caller_that_gives_up_cancels_nothing_for_the_others(clock) {
    let calls = Calls::default();
    let refresher = slowly(Duration::from_secs(10), issuing(&clock, &calls, MINUTE * 60));
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .clock(clock.reader())
        .build()
        .unwrap();
    let waiting = tokio::spawn({
        let credential = credential.clone();
        async move {
            credential
                .get_token()
                .await
                .map(|token| token.token().to_owned())
        }
    });
    // The first caller gives up after a second, dropping its refresh; the waiting one refreshes in turn.
    assert!(
        tokio::time::timeout(Duration::from_secs(1), credential.get_token())
            .await
            .is_err()
    );
    assert_eq!(waiting.await.unwrap().unwrap(), "t2");
    assert_eq!(calls.count(), 2);
    assert_eq!(token_of(&credential).await, "t2");
});

/// A refresher that never finishes, holding `guard` (in the closure and in each refresh) to tell when both
/// are dropped.
fn hanging(
    guard: &Arc<()>,
    started: &Arc<tokio::sync::Notify>,
) -> impl Fn() -> Answer<String> + Send + Sync + 'static {
    let (guard, started) = (Arc::clone(guard), Arc::clone(started));
    move || {
        let held = Arc::clone(&guard);
        started.notify_one();
        Box::pin(async move {
            let _held = held;
            std::future::pending().await
        })
    }
}

/// Waits (1 ms of paused time per check, at most 5 s) until the refresher is dropped.
async fn until_released(guard: &Arc<()>) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while Arc::strong_count(guard) > 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the background task and the refresher are dropped");
}

clock_test!(dropping_the_credential_during_a_refresh_ends_the_background_task(clock) {
    let guard = Arc::new(());
    let started = Arc::new(tokio::sync::Notify::new());
    let credential = CommunicationTokenCredential::with_refresher(hanging(&guard, &started))
        .refresh_proactively(true)
        .clock(clock.reader())
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .expect("the refresh started");
    assert!(Arc::strong_count(&guard) > 1);
    drop(credential);
    until_released(&guard).await;
});

clock_test!(closing_wakes_waiting_callers_and_fails_later_calls(clock) {
    let guard = Arc::new(());
    let started = Arc::new(tokio::sync::Notify::new());
    let credential = CommunicationTokenCredential::with_refresher(hanging(&guard, &started))
        .clock(clock.reader())
        .build()
        .unwrap();
    let waiting = callers(&credential, 3);
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .expect("the refresh started");
    credential.close();
    credential.close();
    assert!(credential.is_closed());
    for caller in waiting {
        let error = tokio::time::timeout(Duration::from_secs(1), caller)
            .await
            .unwrap()
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(refresh_error(&error), TokenRefreshError::Closed),
            "{error:?}"
        );
    }
    let error = credential.get_token().await.unwrap_err();
    assert!(matches!(refresh_error(&error), TokenRefreshError::Closed));
    // The clones still exist, but nothing runs: the refresh in flight was dropped.
    assert_eq!(Arc::strong_count(&guard), 2, "only the closure holds it");
});

clock_test!(closing_stops_proactive_refreshing(clock) {
    let calls = Calls::default();
    let credential = proactive(&clock, &calls, MINUTE * 6).build().unwrap();
    clock.advance(MINUTE).await;
    assert_eq!(calls.count(), 1);
    let clone = credential.clone();
    credential.close();
    clock.advance(MINUTE * 60).await;
    assert_eq!(calls.count(), 1);
    assert!(clone.is_closed());
});

#[test]
fn built_outside_a_runtime_the_task_starts_with_the_first_call() {
    let calls = Calls::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    // The clock needs the runtime's time; the credential itself is built outside it.
    let clock = runtime.block_on(async { Clock::start() });
    let credential = proactive(&clock, &calls, MINUTE * 6).build().unwrap();
    runtime.block_on(async {
        assert_eq!(token_of(&credential).await, "t1");
        tokio::time::sleep(MINUTE * 4).await;
        assert_eq!(
            calls.count(),
            2,
            "the proactive refresh at half the lifetime happened"
        );
    });
}
