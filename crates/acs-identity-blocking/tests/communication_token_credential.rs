//! The blocking `CommunicationTokenCredential`: the on-demand rules on a manual clock, single flight across
//! threads, the background thread (it refreshes, and stops at once when the credential is dropped), then end
//! to end against the emulator. Every wait is bounded.

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use acs_identity_blocking::{
    AccessToken, CommunicationIdentityClient, CommunicationTokenCredential, CredentialBuildError,
    EntraAssignmentSettings, EntraCommunicationTokenCredentialOptions, EntraPrincipalType,
    EntraToken, Error, ErrorKind, TeamsExtensionPrincipalType, TokenParseError, TokenRefreshError,
    TokenScope, UpsertTeamsExtensionAssignment,
};
use acs_identity_emulator::{Emulator, EntraUser, Operation};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2025-04-14 12:00 UTC);
const MINUTE: Duration = Duration::from_secs(60);
/// The longest any test waits for a thread.
const PATIENCE: Duration = Duration::from_secs(5);

/// A clock the test moves by hand, starting at `T0`.
#[derive(Clone, Default)]
struct ManualClock(Arc<Mutex<Duration>>);

impl ManualClock {
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

/// A refresher issuing `t1`, `t2`... valid for `lifetime` on `clock`, counting its calls.
fn issuing(
    clock: &ManualClock,
    lifetime: Duration,
    calls: &Arc<AtomicUsize>,
) -> impl Fn() -> Result<AccessToken, std::io::Error> + Send + Sync + 'static {
    let (clock, calls) = (clock.clone(), Arc::clone(calls));
    move || {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(AccessToken::new(format!("t{n}"), clock.now() + lifetime))
    }
}

fn refresh_error(error: &Error) -> &TokenRefreshError {
    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
    error
        .source()
        .and_then(|source| source.downcast_ref::<TokenRefreshError>())
        .expect("a TokenRefreshError source")
}

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

#[test]
fn a_fixed_token_is_returned_until_it_expires() {
    let now = OffsetDateTime::now_utc();
    let credential =
        CommunicationTokenCredential::new(AccessToken::new("fixed", now + MINUTE * 60)).unwrap();
    assert_eq!(token_of(&credential), "fixed");
    let expired = CommunicationTokenCredential::new(AccessToken::new("old", now - MINUTE)).unwrap();
    let error = expired.get_token().unwrap_err();
    assert!(matches!(
        refresh_error(&error),
        TokenRefreshError::StaticTokenExpired { .. }
    ));
    assert!(!format!("{error} {error:?} {expired:?}").contains("old"));
    // {"alg":"none"}.{"exp":4102444800}: the year 2100.
    let credential =
        CommunicationTokenCredential::new("eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.").unwrap();
    assert_eq!(
        credential.get_token().unwrap().expires_on(),
        datetime!(2100-01-01 0:00 UTC)
    );
    assert!(matches!(
        CommunicationTokenCredential::new("\n"),
        Err(TokenParseError::Blank)
    ));
    credential.close();
    assert!(matches!(
        refresh_error(&credential.get_token().unwrap_err()),
        TokenRefreshError::Closed
    ));
}

#[test]
fn tokens_are_refreshed_on_demand_two_minutes_before_they_expire() {
    let clock = ManualClock::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let credential =
        CommunicationTokenCredential::with_refresher(issuing(&clock, MINUTE * 60, &calls))
            .initial_token(AccessToken::new("initial", T0 + MINUTE * 60))
            .clock(clock.reader())
            .build()
            .unwrap();
    assert_eq!(token_of(&credential), "initial");
    clock.advance(MINUTE * 58 - Duration::from_secs(1));
    assert_eq!(token_of(&credential), "initial");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(token_of(&credential), "t1");
    assert_eq!(token_of(&credential), "t1");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_token_inside_the_window_is_refreshed_after_half_its_lifetime() {
    let clock = ManualClock::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let credential = CommunicationTokenCredential::with_refresher(issuing(
        &clock,
        Duration::from_secs(90),
        &calls,
    ))
    .clock(clock.reader())
    .build()
    .unwrap();
    assert_eq!(token_of(&credential), "t1");
    clock.advance(Duration::from_secs(44));
    assert_eq!(token_of(&credential), "t1", "not refreshed on every call");
    clock.advance(Duration::from_secs(1));
    assert_eq!(token_of(&credential), "t2");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn refresher_failures_are_errors_or_keep_the_valid_token_until_the_retry() {
    let clock = ManualClock::default();
    let fail = Arc::new(AtomicUsize::new(0));
    let refresher = {
        let (clock, fail) = (clock.clone(), Arc::clone(&fail));
        move || match fail.load(Ordering::SeqCst) {
            0 => Ok(AccessToken::new("good", clock.now() + MINUTE * 60)),
            1 => Err(std::io::Error::other("the token server is down")),
            _ => Ok(AccessToken::new(
                "stale",
                clock.now() - Duration::from_secs(1),
            )),
        }
    };
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .clock(clock.reader())
        .build()
        .unwrap();
    assert_eq!(token_of(&credential), "good");

    // Near the expiry the refresh fails: the still-valid token is kept until the retry is due (2 s ± 20 %).
    fail.store(1, Ordering::SeqCst);
    clock.advance(MINUTE * 59);
    assert_eq!(token_of(&credential), "good");
    clock.advance(Duration::from_millis(1500));
    assert_eq!(token_of(&credential), "good");
    clock.advance(MINUTE);
    let error = credential.get_token().unwrap_err();
    assert!(matches!(
        refresh_error(&error),
        TokenRefreshError::Refresher(_)
    ));
    let cause = error.source().and_then(|source| source.source()).unwrap();
    assert_eq!(cause.to_string(), "the token server is down");

    fail.store(2, Ordering::SeqCst);
    let error = credential.get_token().unwrap_err();
    assert!(matches!(
        refresh_error(&error),
        TokenRefreshError::ExpiredToken { .. }
    ));
    assert!(!format!("{error:?}").contains("stale"));

    let credential =
        CommunicationTokenCredential::with_refresher(|| Ok::<_, std::io::Error>("opaque"))
            .build()
            .unwrap();
    let error = credential.get_token().unwrap_err();
    assert!(matches!(
        refresh_error(&error),
        TokenRefreshError::InvalidToken(TokenParseError::NotJwt)
    ));
}

/// Starts `count` threads calling `get_token` together; the refresher, gated by the returned sender, is
/// released once they had time to queue up.
fn race(
    credential: &CommunicationTokenCredential,
    count: usize,
) -> Vec<thread::JoinHandle<Result<String, Error>>> {
    let barrier = Arc::new(Barrier::new(count));
    (0..count)
        .map(|_| {
            let (credential, barrier) = (credential.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                credential.get_token().map(|token| token.token().to_owned())
            })
        })
        .collect()
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
    let callers = race(&credential, 8);
    eventually("the refresh started", || calls.load(Ordering::SeqCst) == 1);
    thread::sleep(Duration::from_millis(200));
    go.send(()).unwrap();
    for caller in callers {
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
    let callers = race(&credential, 8);
    eventually("the refresh started", || calls.load(Ordering::SeqCst) == 1);
    thread::sleep(Duration::from_millis(200));
    go.send(()).unwrap();
    for caller in callers {
        let error = caller.join().unwrap().unwrap_err();
        assert!(matches!(
            refresh_error(&error),
            TokenRefreshError::Refresher(_)
        ));
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
    let refresher = {
        let guard = Arc::clone(&guard);
        move || {
            let _held = &guard;
            Ok::<_, std::io::Error>(AccessToken::new(
                "t",
                OffsetDateTime::now_utc() + MINUTE * 60,
            ))
        }
    };
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
    let (go, refresher) = {
        let guard = Arc::clone(&guard);
        gated(&calls, move |_| {
            let _held = &guard;
            Ok(AccessToken::new(
                "late",
                OffsetDateTime::now_utc() + MINUTE * 60,
            ))
        })
    };
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

#[test]
fn build_errors_and_debug_output_never_show_tokens() {
    let result = CommunicationTokenCredential::with_refresher(|| Ok::<_, std::io::Error>("x"))
        .initial_token("opaque-initial-secret")
        .build();
    assert!(matches!(
        result,
        Err(CredentialBuildError::Token(TokenParseError::NotJwt))
    ));
    let builder = CommunicationTokenCredential::with_refresher(|| Ok::<_, std::io::Error>("x"))
        .initial_token(AccessToken::new(
            "initial-secret",
            OffsetDateTime::now_utc() + MINUTE * 60,
        ));
    assert!(!format!("{builder:?}").contains("initial-secret"));
    let shown = format!("{:?}", builder.build().unwrap());
    assert!(
        !shown.contains("initial-secret") && shown.contains("expires_on"),
        "{shown}"
    );

    let endpoint =
        acs_identity_blocking::Endpoint::parse("https://contoso.communication.azure.com").unwrap();
    let options = EntraCommunicationTokenCredentialOptions::new(endpoint, |_: &[String]| {
        Ok::<_, std::io::Error>(EntraToken::new("entra", SystemTime::now()))
    })
    .scopes(Vec::<String>::new());
    let result = CommunicationTokenCredential::with_entra(options).build();
    assert!(
        matches!(result, Err(CredentialBuildError::Scopes(_))),
        "{result:?}"
    );
}

#[test]
fn refreshes_tokens_issued_by_the_emulator() {
    let emulator = Emulator::builder().start_in_background().unwrap();
    let client =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string()).unwrap();
    let user = client.create_user().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let credential = CommunicationTokenCredential::with_refresher({
        let calls = Arc::clone(&calls);
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            client.get_token(
                &user,
                &[TokenScope::Chat, TokenScope::Voip],
                Default::default(),
            )
        }
    })
    .refresh_proactively(true)
    .build()
    .unwrap();
    let token = credential.get_token().unwrap();
    assert!(emulator.check_access_token(token.token()).is_valid());
    assert_eq!(credential.get_token().unwrap(), token);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one refresh, shared by the thread and the caller"
    );
    let parsed = acs_identity_blocking::parse_access_token(token.token()).unwrap();
    assert_eq!(
        parsed.expires_on().unix_timestamp(),
        token.expires_on().unix_timestamp()
    );
    drop(credential);
    emulator.shutdown();
}

/// An Entra ID token source minting tokens for `user` at the emulator.
fn entra_source(
    emulator: &Arc<acs_identity_emulator::BackgroundEmulator>,
    user: EntraUser,
) -> impl Fn(&[String]) -> Result<EntraToken, std::io::Error> + Send + Sync + 'static {
    let emulator = Arc::clone(emulator);
    move |_scopes: &[String]| {
        let token = emulator.issue_entra_user_token(&user);
        Ok(EntraToken::new(
            token.secret(),
            SystemTime::from(token.expires_on()),
        ))
    }
}

#[test]
fn exchanges_entra_tokens_at_the_emulator() {
    let emulator = Arc::new(Emulator::builder().start_in_background().unwrap());
    let client =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string()).unwrap();
    let endpoint = client.endpoint().clone();
    let app_id = emulator.entra_app().client_id();
    let tenant_id = emulator.entra_tenant_id().to_string();

    let user = EntraUser::for_entra_exchange(Uuid::new_v4(), app_id);
    let settings = EntraAssignmentSettings::new(
        tenant_id.clone(),
        EntraPrincipalType::User,
        vec![app_id.to_string()],
    );
    client
        .upsert_entra_assignment(&user.object_id.to_string(), settings)
        .unwrap();
    let options = EntraCommunicationTokenCredentialOptions::new(
        endpoint.clone(),
        entra_source(&emulator, user),
    );
    let credential = CommunicationTokenCredential::with_entra(options)
        .refresh_proactively(true)
        .build()
        .unwrap();
    let token = credential.get_token().unwrap();
    assert!(emulator.check_access_token(token.token()).is_valid());
    assert_eq!(credential.get_token().unwrap(), token);
    assert_eq!(emulator.requests().count(Operation::ExchangeEntraToken), 1);

    let teams_user = EntraUser::teams_user(Uuid::new_v4(), app_id);
    let mut assignment = UpsertTeamsExtensionAssignment::new(
        tenant_id,
        teams_user.object_id.to_string(),
        TeamsExtensionPrincipalType::User,
    );
    assignment.client_ids = vec![app_id.to_string()];
    client
        .upsert_teams_extension_assignment(assignment)
        .unwrap();
    let options = EntraCommunicationTokenCredentialOptions::new(
        endpoint.clone(),
        entra_source(&emulator, teams_user),
    )
    .scopes(["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"]);
    let credential = CommunicationTokenCredential::with_entra(options)
        .build()
        .unwrap();
    assert!(
        emulator
            .check_access_token(credential.get_token().unwrap().token())
            .is_valid()
    );
    assert_eq!(
        emulator
            .requests()
            .count(Operation::ExchangeTeamsExtensionToken),
        1
    );

    let stranger = EntraUser::for_entra_exchange(Uuid::new_v4(), app_id);
    let options =
        EntraCommunicationTokenCredentialOptions::new(endpoint, entra_source(&emulator, stranger));
    let credential = CommunicationTokenCredential::with_entra(options)
        .build()
        .unwrap();
    let error = credential.get_token().unwrap_err();
    let service = error
        .source()
        .and_then(|source| source.source())
        .and_then(|cause| cause.downcast_ref::<Error>());
    assert_eq!(
        service
            .and_then(Error::status)
            .map(|status| status.as_u16()),
        Some(403),
        "{error:?}"
    );
}
