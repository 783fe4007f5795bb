//! Fault soak: 5,000 calls of the async client against the emulator while about 30% of the requests meet an
//! injected fault (429 and 503 with and without a retry hint, dropped connections, latency past the
//! per-attempt timeout). Every call ends in success or a typed error within the retry bounds, nothing
//! panics, a custom id never maps to two users, and the emulator's request log shows attempts and delays
//! that follow the client's `RetryOptions`. Also: clones of a client share one connection pool.
//!
//! The body is shared with the blocking client's soak (`acs-identity-blocking/tests/soak.rs`, the other 5,000
//! calls): `tests/common/soak.rs`. Here, the calls run on tokio tasks.

#[macro_use]
mod support;

use std::sync::Arc;
use std::time::Instant;

use acs_identity_emulator::{Emulator, RunningEmulator};

use support::sdk;

#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/soak.rs"]
mod soak;

use soak::{CALLS, POOL_CALLS, Pool, Results, SOAK_BOUND};

const TASKS: u64 = 40;
const _: () = assert!(CALLS.is_multiple_of(TASKS));

/// The emulator runs on a runtime of its own (see `soak::emulator`), the client on a multi-thread one.
#[test]
fn five_thousand_calls_under_faults_end_within_the_retry_bounds() {
    let emulator = soak::emulator();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(soak_against(&emulator));
    emulator.shutdown();
}

async fn soak_against(emulator: &RunningEmulator) {
    let (preview, stable, users) = soak::prepare(emulator, 0x50a6).await;
    let users = Arc::new(users);
    let results = Arc::new(Results::default());
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (preview, stable) = (preview.clone(), stable.clone());
            let (users, results) = (Arc::clone(&users), Arc::clone(&results));
            tokio::spawn(async move {
                let seed = 0x50a6 ^ task;
                soak::calls(&preview, &stable, &users, &results, seed, CALLS / TASKS).await;
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(SOAK_BOUND.saturating_sub(started.elapsed()), task)
            .await
            .expect("the soak is bounded")
            .expect("no call panicked");
    }
    let elapsed = started.elapsed();
    emulator.faults().clear();
    let records = tokio::task::block_in_place(|| soak::settled_records(&emulator.requests()));
    soak::check(&records, &results, elapsed);
    soak::assert_custom_ids_kept(&preview, &results).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_one_connection_pool() {
    const PERMITS: usize = 4;
    let emulator = Emulator::builder().start().await.unwrap();
    let pool = Pool::start(&emulator).await;

    // Each call on its own clone, at most PERMITS at a time.
    let permits = Arc::new(tokio::sync::Semaphore::new(PERMITS));
    let tasks: Vec<_> = (0..POOL_CALLS)
        .map(|_| {
            let (client, user) = (pool.client.clone(), pool.user.clone());
            let permits = Arc::clone(&permits);
            tokio::spawn(async move {
                let _permit = permits.acquire().await.unwrap();
                client.get_user_detail(&user).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    pool.check(PERMITS as u64);
    emulator.shutdown().await;
}
