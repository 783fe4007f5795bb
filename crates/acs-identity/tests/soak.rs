//! Fault soak: 5,000 calls of the async client against the emulator while about 30% of the requests meet an
//! injected fault (429 and 503 with and without a retry hint, dropped connections, latency past the
//! per-attempt timeout). Every call ends in success or a typed error within the retry bounds, nothing
//! panics, a custom id never maps to two users, and the emulator's request log shows attempts and delays
//! that follow the client's `RetryOptions`. Also: clones of a client share one connection pool.
//!
//! The blocking client's soak (`acs-identity-blocking/tests/soak.rs`) makes the other 5,000 calls; the
//! reading of the emulator's log is shared (`tests/common/soak.rs`).

use std::sync::Arc;
use std::time::Instant;

use acs_identity::{
    ApiVersion, ClientOptions, CommunicationIdentityClient, CommunicationUserIdentifier,
    CreateUserAndTokenOptions, CreateUserOptions, CustomId, Endpoint, TokenOptions, TokenScope,
};
use acs_identity_emulator::{Emulator, RunningEmulator};
use rand::SeedableRng as _;
use rand::rngs::StdRng;

use acs_identity as sdk;

#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/soak.rs"]
mod soak;

use soak::{CALLS, Call, POOL_CALLS, Results, SOAK_BOUND, USERS};

const TASKS: u64 = 40;
const _: () = assert!(CALLS.is_multiple_of(TASKS));

/// One task's share of the calls.
async fn calls(
    preview: CommunicationIdentityClient,
    stable: CommunicationIdentityClient,
    users: Arc<Vec<CommunicationUserIdentifier>>,
    results: Arc<Results>,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..CALLS / TASKS {
        match Call::draw(&mut rng, &users) {
            Call::CreateUser => results.record(&stable.create_user().await),
            Call::CreateUserAndToken => {
                let options = CreateUserAndTokenOptions::default();
                let created = stable
                    .create_user_and_token(&[TokenScope::Voip], options)
                    .await;
                results.record(&created);
            }
            Call::CreateUserWithCustomId(custom_id) => {
                let options = CreateUserOptions::default().custom_id(custom_id.clone());
                let created = preview.create_user_with_options(options).await;
                if let Ok(user) = &created {
                    results.map_custom_id(&custom_id, user);
                }
                results.record(&created);
            }
            Call::GetToken(user) => {
                let options = TokenOptions::default();
                let token = preview.get_token(user, &[TokenScope::Chat], options).await;
                results.record(&token);
            }
            Call::GetUserDetail(user) => results.record(&preview.get_user_detail(user).await),
            Call::RevokeTokens(user) => results.record(&preview.revoke_tokens(user).await),
        }
    }
}

/// The emulator runs on a runtime of its own, as a service would in a process of its own: client tasks
/// then cannot starve it.
#[test]
fn five_thousand_calls_under_faults_end_within_the_retry_bounds() {
    let emulator = Emulator::builder()
        .request_log_capacity(50_000)
        .start_in_background()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(soak_against(&emulator));
    emulator.shutdown();
}

async fn soak_against(emulator: &RunningEmulator) {
    let client =
        |api_version| soak::client(emulator.endpoint(), emulator.access_key(), api_version);
    let (preview, stable) = (
        client(ApiVersion::default()),
        client(ApiVersion::LATEST_STABLE),
    );
    let mut users = Vec::new();
    for _ in 0..USERS {
        users.push(preview.create_user().await.unwrap());
    }
    let users = Arc::new(users);
    emulator.requests().reset();
    emulator.faults().set(soak::faults(0x50a6));

    let results = Arc::new(Results::default());
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            tokio::spawn(calls(
                preview.clone(),
                stable.clone(),
                Arc::clone(&users),
                Arc::clone(&results),
                0x50a6 ^ task,
            ))
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
    soak::check("async", &records, &results, elapsed);

    // Without faults, every custom id still gives the identity the soak saw, and that identity knows it.
    for (custom_id, id) in results.custom_ids() {
        let options =
            CreateUserOptions::default().custom_id(CustomId::new(custom_id.clone()).unwrap());
        let user = preview.create_user_with_options(options).await.unwrap();
        assert_eq!(user.id(), id, "custom id {custom_id} moved");
        let detail = preview.get_user_detail(&user).await.unwrap();
        assert_eq!(detail.custom_id.as_deref(), Some(custom_id.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_one_connection_pool() {
    const PERMITS: usize = 4;
    let emulator = Emulator::builder().start().await.unwrap();
    let proxy = proxy::Proxy::start(emulator.local_addr());
    let client = CommunicationIdentityClient::with_access_key(
        Endpoint::parse(&proxy.url).unwrap(),
        emulator.access_key().clone(),
        ClientOptions::default(),
    );
    let user = client.create_user().await.unwrap();
    for _ in 0..POOL_CALLS {
        client.get_user_detail(&user).await.unwrap();
    }
    let sequential = proxy.connections();

    // Each call on its own clone, at most PERMITS at a time.
    let permits = Arc::new(tokio::sync::Semaphore::new(PERMITS));
    let tasks: Vec<_> = (0..POOL_CALLS)
        .map(|_| {
            let (client, user, permits) = (client.clone(), user.clone(), Arc::clone(&permits));
            tokio::spawn(async move {
                let _permit = permits.acquire().await.unwrap();
                client.get_user_detail(&user).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let opened = proxy.connections();
    soak::check_pool("async", sequential, opened, PERMITS as u64);
    emulator.shutdown().await;
}
