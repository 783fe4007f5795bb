//! Fault soak: 5,000 calls of the blocking client against the emulator while about 30% of the requests meet
//! an injected fault (429 and 503 with and without a retry hint, dropped connections, latency past the
//! per-attempt timeout). Every call ends in success or a typed error within the retry bounds, nothing
//! panics, a custom id never maps to two users, and the emulator's request log shows attempts and delays
//! that follow the client's `RetryOptions`. Also: clones of a client share one connection pool.
//!
//! The body is shared with the async client's soak (`acs-identity/tests/soak.rs`, the other 5,000 calls):
//! `acs-identity/tests/common/soak.rs`. Here, the calls run on threads.

#[macro_use]
mod support;

use std::time::Instant;

use acs_identity_emulator::Emulator;

use support::sdk;

#[path = "../../acs-identity/tests/common/proxy.rs"]
mod proxy;
#[path = "../../acs-identity/tests/common/soak.rs"]
mod soak;

use soak::{CALLS, POOL_CALLS, Pool, Results, SOAK_BOUND};

const THREADS: u64 = 20;
const _: () = assert!(CALLS.is_multiple_of(THREADS));

#[test]
fn five_thousand_calls_under_faults_end_within_the_retry_bounds() {
    let emulator = soak::emulator();
    let (preview, stable, users) = soak::prepare(&emulator, 0xb10c);

    let results = Results::default();
    let started = Instant::now();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (preview, stable, users, results, done) =
                (&preview, &stable, &users, &results, done.clone());
            scope.spawn(move || {
                soak::calls(
                    preview,
                    stable,
                    users,
                    results,
                    0xb10c ^ thread,
                    CALLS / THREADS,
                );
                let _ = done.send(());
            });
        }
        // A thread that panics drops its sender unsent; the scope re-raises the panic at its end.
        for _ in 0..THREADS {
            let left = SOAK_BOUND.saturating_sub(started.elapsed());
            if let Err(error) = finished.recv_timeout(left) {
                assert!(
                    matches!(error, std::sync::mpsc::RecvTimeoutError::Disconnected),
                    "the soak is bounded: {SOAK_BOUND:?}"
                );
            }
        }
    });
    let elapsed = started.elapsed();
    emulator.faults().clear();
    let records = soak::settled_records(&emulator.requests());
    soak::check(&records, &results, elapsed);
    soak::assert_custom_ids_kept(&preview, &results);
    emulator.shutdown();
}

#[test]
fn clones_share_one_connection_pool() {
    const THREADS: u64 = 4;
    let emulator = Emulator::builder().start_in_background().unwrap();
    let pool = Pool::start(&emulator);

    // THREADS threads, each call on its own clone.
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..POOL_CALLS / THREADS {
                    pool.client.clone().get_user_detail(&pool.user).unwrap();
                }
            });
        }
    });
    pool.check(THREADS);
    emulator.shutdown();
}
