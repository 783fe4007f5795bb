//! Fault soak: 5,000 calls of the blocking client against the emulator while about 30% of the requests meet
//! an injected fault (429 and 503 with and without a retry hint, dropped connections, latency past the
//! per-attempt timeout). Every call ends in success or a typed error within the retry bounds, nothing
//! panics, a custom id never maps to two users, and the emulator's request log shows attempts and delays
//! that follow the client's `RetryOptions`. Also: clones of a client share one connection pool.
//!
//! The async client's soak (`acs-identity/tests/soak.rs`) makes the other 5,000 calls; the reading of the
//! emulator's log is shared (`acs-identity/tests/common/soak.rs`).

use std::time::Instant;

use acs_identity_blocking::{
    ApiVersion, ClientOptions, CommunicationIdentityClient, CommunicationUserIdentifier,
    CreateUserAndTokenOptions, CreateUserOptions, CustomId, Endpoint, TokenOptions, TokenScope,
};
use acs_identity_emulator::Emulator;
use rand::SeedableRng as _;
use rand::rngs::StdRng;

use acs_identity_blocking as sdk;

#[path = "../../acs-identity/tests/common/proxy.rs"]
mod proxy;
#[path = "../../acs-identity/tests/common/soak.rs"]
mod soak;

use soak::{CALLS, Call, POOL_CALLS, Results, SOAK_BOUND, USERS};

const THREADS: u64 = 20;
const _: () = assert!(CALLS.is_multiple_of(THREADS));

/// One thread's share of the calls.
fn calls(
    preview: &CommunicationIdentityClient,
    stable: &CommunicationIdentityClient,
    users: &[CommunicationUserIdentifier],
    results: &Results,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..CALLS / THREADS {
        match Call::draw(&mut rng, users) {
            Call::CreateUser => results.record(&stable.create_user()),
            Call::CreateUserAndToken => {
                let options = CreateUserAndTokenOptions::default();
                results.record(&stable.create_user_and_token(&[TokenScope::Voip], options));
            }
            Call::CreateUserWithCustomId(custom_id) => {
                let options = CreateUserOptions::default().custom_id(custom_id.clone());
                let created = preview.create_user_with_options(options);
                if let Ok(user) = &created {
                    results.map_custom_id(&custom_id, user);
                }
                results.record(&created);
            }
            Call::GetToken(user) => {
                let options = TokenOptions::default();
                results.record(&preview.get_token(user, &[TokenScope::Chat], options));
            }
            Call::GetUserDetail(user) => results.record(&preview.get_user_detail(user)),
            Call::RevokeTokens(user) => results.record(&preview.revoke_tokens(user)),
        }
    }
}

#[test]
fn five_thousand_calls_under_faults_end_within_the_retry_bounds() {
    let emulator = Emulator::builder()
        .request_log_capacity(50_000)
        .start_in_background()
        .unwrap();
    let client =
        |api_version| soak::client(emulator.endpoint(), emulator.access_key(), api_version);
    let (preview, stable) = (
        client(ApiVersion::default()),
        client(ApiVersion::LATEST_STABLE),
    );
    let users: Vec<_> = (0..USERS).map(|_| preview.create_user().unwrap()).collect();
    emulator.requests().reset();
    emulator.faults().set(soak::faults(0xb10c));

    let results = Results::default();
    let started = Instant::now();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (preview, stable, users, results, done) =
                (&preview, &stable, &users, &results, done.clone());
            scope.spawn(move || {
                calls(preview, stable, users, results, 0xb10c ^ thread);
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
    soak::check("blocking", &records, &results, elapsed);

    // Without faults, every custom id still gives the identity the soak saw, and that identity knows it.
    for (custom_id, id) in results.custom_ids() {
        let options =
            CreateUserOptions::default().custom_id(CustomId::new(custom_id.clone()).unwrap());
        let user = preview.create_user_with_options(options).unwrap();
        assert_eq!(user.id(), id, "custom id {custom_id} moved");
        let detail = preview.get_user_detail(&user).unwrap();
        assert_eq!(detail.custom_id.as_deref(), Some(custom_id.as_str()));
    }
    emulator.shutdown();
}

#[test]
fn clones_share_one_connection_pool() {
    const THREADS: u64 = 4;
    let emulator = Emulator::builder().start_in_background().unwrap();
    let proxy = proxy::Proxy::start(emulator.local_addr());
    let client = CommunicationIdentityClient::with_access_key(
        Endpoint::parse(&proxy.url).unwrap(),
        emulator.access_key().clone(),
        ClientOptions::default(),
    );
    let user = client.create_user().unwrap();
    for _ in 0..POOL_CALLS {
        client.get_user_detail(&user).unwrap();
    }
    let sequential = proxy.connections();

    // THREADS threads, each call on its own clone.
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..POOL_CALLS / THREADS {
                    client.clone().get_user_detail(&user).unwrap();
                }
            });
        }
    });
    let opened = proxy.connections();
    soak::check_pool("blocking", sequential, opened, THREADS);
    emulator.shutdown();
}
