//! `CommunicationTokenCredential` on tokio's paused clock (every timing rule, failures, single flight,
//! cancellation, closing), then end to end against the emulator.

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use acs_identity::{
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

/// A clock following tokio's (paused) time, starting at `T0`.
fn virtual_clock() -> impl Fn() -> OffsetDateTime + Clone + Send + Sync + 'static {
    let start = tokio::time::Instant::now();
    move || T0 + (tokio::time::Instant::now() - start)
}

/// Seconds since `T0`.
fn elapsed(at: OffsetDateTime) -> f64 {
    (at - T0).as_seconds_f64()
}

/// The refresher's calls, by virtual time.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<OffsetDateTime>>>);

impl Calls {
    fn record(&self, at: OffsetDateTime) -> usize {
        let mut calls = self.0.lock().unwrap();
        calls.push(at);
        calls.len()
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Seconds since `T0` of each call.
    fn times(&self) -> Vec<f64> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .copied()
            .map(elapsed)
            .collect()
    }

    /// The calls happened at these seconds since `T0` (within the timer's millisecond resolution).
    fn assert_at(&self, expected: &[f64]) {
        let times = self.times();
        let close = times.len() == expected.len()
            && times
                .iter()
                .zip(expected)
                .all(|(t, e)| (t - e).abs() < 0.01);
        assert!(close, "calls at {times:?}, expected {expected:?}");
    }
}

/// A refresher issuing tokens `t1`, `t2`... valid for `lifetime`, after `delay`.
fn issuing(
    calls: &Calls,
    lifetime: Duration,
    delay: Duration,
) -> impl Fn() -> Refreshing<AccessToken> + Send + Sync + 'static {
    let (calls, clock) = (calls.clone(), virtual_clock());
    move || {
        let (calls, clock) = (calls.clone(), clock.clone());
        Box::pin(async move {
            let n = calls.record(clock());
            tokio::time::sleep(delay).await;
            Ok(AccessToken::new(format!("t{n}"), clock() + lifetime))
        })
    }
}

fn refresh_error(error: &Error) -> &TokenRefreshError {
    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
    error
        .source()
        .and_then(|source| source.downcast_ref::<TokenRefreshError>())
        .expect("a TokenRefreshError source")
}

async fn token_of(credential: &CommunicationTokenCredential) -> String {
    credential.get_token().await.unwrap().token().to_owned()
}

#[tokio::test]
async fn a_fixed_token_is_returned_until_it_expires() {
    let now = OffsetDateTime::now_utc();
    let credential =
        CommunicationTokenCredential::new(AccessToken::new("fixed", now + MINUTE * 60)).unwrap();
    assert_eq!(token_of(&credential).await, "fixed");
    assert_eq!(token_of(&credential).await, "fixed");

    let expired = CommunicationTokenCredential::new(AccessToken::new("old", now - MINUTE)).unwrap();
    let error = expired.get_token().await.unwrap_err();
    assert!(
        matches!(
            refresh_error(&error),
            TokenRefreshError::StaticTokenExpired { .. }
        ),
        "{error:?}"
    );

    // A JWT's expiry comes from its `exp`: {"alg":"none"}.{"exp":4102444800} (year 2100).
    let jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.";
    let credential = CommunicationTokenCredential::new(jwt).unwrap();
    assert_eq!(
        credential.get_token().await.unwrap().expires_on(),
        datetime!(2100-01-01 0:00 UTC)
    );
    assert!(matches!(
        CommunicationTokenCredential::new(""),
        Err(TokenParseError::Blank)
    ));
    assert!(matches!(
        CommunicationTokenCredential::new("opaque"),
        Err(TokenParseError::NotJwt)
    ));

    credential.close();
    let error = credential.get_token().await.unwrap_err();
    assert!(matches!(refresh_error(&error), TokenRefreshError::Closed));
}

#[tokio::test(start_paused = true)]
async fn tokens_are_refreshed_on_demand_two_minutes_before_they_expire() {
    bounded(async {
        let calls = Calls::default();
        let credential = CommunicationTokenCredential::with_refresher(issuing(
            &calls,
            MINUTE * 60,
            Duration::ZERO,
        ))
        .initial_token(AccessToken::new("initial", T0 + MINUTE * 60))
        .clock(virtual_clock())
        .build()
        .unwrap();
        assert_eq!(token_of(&credential).await, "initial");
        tokio::time::sleep(MINUTE * 58 - Duration::from_secs(1)).await;
        assert_eq!(token_of(&credential).await, "initial");
        assert_eq!(calls.count(), 0);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(token_of(&credential).await, "t1");
        assert_eq!(token_of(&credential).await, "t1");
        calls.assert_at(&[58.0 * 60.0]);
        // Not proactive: nothing happens in the background.
        tokio::time::sleep(MINUTE * 600).await;
        assert_eq!(calls.count(), 1);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn the_first_call_refreshes_when_there_is_no_initial_token() {
    bounded(async {
        let calls = Calls::default();
        let credential = CommunicationTokenCredential::with_refresher(issuing(
            &calls,
            MINUTE * 60,
            Duration::ZERO,
        ))
        .clock(virtual_clock())
        .build()
        .unwrap();
        tokio::time::sleep(MINUTE).await;
        assert_eq!(calls.count(), 0, "on demand only");
        assert_eq!(token_of(&credential).await, "t1");
        calls.assert_at(&[60.0]);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn proactive_refreshes_happen_ten_minutes_before_expiry() {
    bounded(async {
        let calls = Calls::default();
        let credential = CommunicationTokenCredential::with_refresher(issuing(
            &calls,
            MINUTE * 60,
            Duration::ZERO,
        ))
        .initial_token(AccessToken::new("initial", T0 + MINUTE * 30))
        .refresh_proactively(true)
        .clock(virtual_clock())
        .build()
        .unwrap();
        tokio::time::sleep(MINUTE * 75).await;
        calls.assert_at(&[20.0 * 60.0, 70.0 * 60.0]);
        // Callers never waited for a refresh.
        assert_eq!(token_of(&credential).await, "t2");
        assert_eq!(calls.count(), 2);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_token_inside_the_window_is_refreshed_after_half_its_lifetime() {
    bounded(async {
        let calls = Calls::default();
        let credential = CommunicationTokenCredential::with_refresher(issuing(
            &calls,
            MINUTE * 6,
            Duration::ZERO,
        ))
        .refresh_proactively(true)
        .clock(virtual_clock())
        .build()
        .unwrap();
        tokio::time::sleep(MINUTE * 10).await;
        calls.assert_at(&[0.0, 180.0, 360.0, 540.0]);
        assert_eq!(token_of(&credential).await, "t4");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn an_expired_token_from_the_refresher_is_an_error() {
    bounded(async {
        let clock = virtual_clock();
        let credential = CommunicationTokenCredential::with_refresher({
            let clock = clock.clone();
            move || {
                let token = AccessToken::new("stale", clock() - Duration::from_secs(1));
                async move { Ok::<_, std::io::Error>(token) }
            }
        })
        .clock(clock)
        .build()
        .unwrap();
        let error = credential.get_token().await.unwrap_err();
        assert!(
            matches!(
                refresh_error(&error),
                TokenRefreshError::ExpiredToken { .. }
            ),
            "{error:?}"
        );
        assert!(!format!("{error} {error:?}").contains("stale"));
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn refresher_errors_reach_the_caller_with_their_cause() {
    bounded(async {
        let credential = CommunicationTokenCredential::with_refresher(|| async {
            Err::<String, _>(std::io::Error::other("the token server is down"))
        })
        .clock(virtual_clock())
        .build()
        .unwrap();
        let error = credential.get_token().await.unwrap_err();
        assert!(matches!(
            refresh_error(&error),
            TokenRefreshError::Refresher(_)
        ));
        let cause = error.source().and_then(|source| source.source()).unwrap();
        assert_eq!(cause.to_string(), "the token server is down");

        let credential = CommunicationTokenCredential::with_refresher(|| async {
            Ok::<_, std::io::Error>("not a jwt")
        })
        .clock(virtual_clock())
        .build()
        .unwrap();
        let error = credential.get_token().await.unwrap_err();
        assert!(matches!(
            refresh_error(&error),
            TokenRefreshError::InvalidToken(TokenParseError::NotJwt)
        ));
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn failed_proactive_refreshes_are_retried_with_backoff() {
    bounded(async {
        let calls = Calls::default();
        let clock = virtual_clock();
        let refresher = {
            let (calls, clock) = (calls.clone(), clock.clone());
            move || {
                let n = calls.record(clock());
                let result = if n <= 4 {
                    Err(std::io::Error::other("unavailable"))
                } else {
                    Ok(AccessToken::new(format!("t{n}"), clock() + MINUTE * 60))
                };
                async move { result }
            }
        };
        let credential = CommunicationTokenCredential::with_refresher(refresher)
            .initial_token(AccessToken::new("initial", T0 + MINUTE * 11))
            .refresh_proactively(true)
            .clock(clock)
            .build()
            .unwrap();
        tokio::time::sleep(MINUTE + Duration::from_secs(1)).await;
        assert_eq!(calls.count(), 1, "the first proactive refresh failed");
        // Before the retry is due, callers get the previous token without calling the refresher.
        assert_eq!(token_of(&credential).await, "initial");
        assert_eq!(calls.count(), 1);

        tokio::time::sleep(MINUTE).await;
        let times = calls.times();
        assert_eq!(times.len(), 5, "{times:?}");
        assert!((times[0] - 60.0).abs() < 0.01, "{times:?}");
        let gaps: Vec<f64> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
        for (gap, base) in gaps.iter().zip([2.0, 4.0, 8.0, 16.0]) {
            assert!((base * 0.8..=base * 1.2).contains(gap), "gaps {gaps:?}");
        }
        assert_eq!(token_of(&credential).await, "t5");
        tokio::time::sleep(MINUTE * 45).await;
        assert_eq!(calls.count(), 5, "back on the normal schedule");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_refresh() {
    bounded(async {
        let calls = Calls::default();
        let credential = CommunicationTokenCredential::with_refresher(issuing(
            &calls,
            MINUTE * 60,
            Duration::from_secs(1),
        ))
        .clock(virtual_clock())
        .build()
        .unwrap();
        let callers: Vec<_> = (0..50)
            .map(|_| {
                let credential = credential.clone();
                tokio::spawn(async move {
                    credential
                        .get_token()
                        .await
                        .map(|token| token.token().to_owned())
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap().unwrap(), "t1");
        }
        assert_eq!(calls.count(), 1);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_failure() {
    bounded(async {
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
        .clock(virtual_clock())
        .build()
        .unwrap();
        let callers: Vec<_> = (0..20)
            .map(|_| {
                let credential = credential.clone();
                tokio::spawn(async move { credential.get_token().await.map(drop) })
            })
            .collect();
        for caller in callers {
            let error = caller.await.unwrap().unwrap_err();
            assert!(matches!(
                refresh_error(&error),
                TokenRefreshError::Refresher(_)
            ));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_gives_up_cancels_nothing_for_the_others() {
    bounded(async {
        let calls = Calls::default();
        let credential = CommunicationTokenCredential::with_refresher(issuing(
            &calls,
            MINUTE * 60,
            Duration::from_secs(10),
        ))
        .clock(virtual_clock())
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
    })
    .await;
}

/// A boxed refresh.
type Refreshing<T> = std::pin::Pin<Box<dyn Future<Output = Result<T, std::io::Error>> + Send>>;

/// A refresher that never finishes, holding `guard` (in the closure and in each refresh) to tell when both
/// are dropped.
fn hanging(
    guard: &Arc<()>,
    started: &Arc<tokio::sync::Notify>,
) -> impl Fn() -> Refreshing<String> + Send + Sync + 'static {
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

/// Runs a test on the paused clock with a deadline of one virtual day: reached at once if the test hangs,
/// since the paused clock jumps to the next timer whenever every task waits.
async fn bounded(test: impl Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(24 * 3600), test)
        .await
        .expect("the test finished within its deadline");
}

#[tokio::test(start_paused = true)]
async fn dropping_the_credential_during_a_refresh_ends_the_background_task() {
    bounded(async {
        let guard = Arc::new(());
        let started = Arc::new(tokio::sync::Notify::new());
        let credential = CommunicationTokenCredential::with_refresher(hanging(&guard, &started))
            .refresh_proactively(true)
            .clock(virtual_clock())
            .build()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), started.notified())
            .await
            .expect("the refresh started");
        assert!(Arc::strong_count(&guard) > 1);
        drop(credential);
        until_released(&guard).await;
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn closing_wakes_waiting_callers_and_fails_later_calls() {
    bounded(async {
        let guard = Arc::new(());
        let started = Arc::new(tokio::sync::Notify::new());
        let credential = CommunicationTokenCredential::with_refresher(hanging(&guard, &started))
            .clock(virtual_clock())
            .build()
            .unwrap();
        let callers: Vec<_> = (0..3)
            .map(|_| {
                let credential = credential.clone();
                tokio::spawn(async move { credential.get_token().await.map(drop) })
            })
            .collect();
        tokio::time::timeout(Duration::from_secs(5), started.notified())
            .await
            .expect("the refresh started");
        credential.close();
        credential.close();
        assert!(credential.is_closed());
        for caller in callers {
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
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn closing_stops_proactive_refreshing() {
    bounded(async {
        let calls = Calls::default();
        let credential = CommunicationTokenCredential::with_refresher(issuing(
            &calls,
            MINUTE * 6,
            Duration::ZERO,
        ))
        .refresh_proactively(true)
        .clock(virtual_clock())
        .build()
        .unwrap();
        tokio::time::sleep(MINUTE).await;
        assert_eq!(calls.count(), 1);
        let clone = credential.clone();
        credential.close();
        tokio::time::sleep(MINUTE * 60).await;
        assert_eq!(calls.count(), 1);
        assert!(clone.is_closed());
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn clones_share_the_token() {
    bounded(async {
        let calls = Calls::default();
        let credential = CommunicationTokenCredential::with_refresher(issuing(
            &calls,
            MINUTE * 60,
            Duration::ZERO,
        ))
        .clock(virtual_clock())
        .build()
        .unwrap();
        let clone = credential.clone();
        assert_eq!(token_of(&credential).await, "t1");
        assert_eq!(token_of(&clone).await, "t1");
        drop(credential);
        assert_eq!(
            token_of(&clone).await,
            "t1",
            "dropping one clone closes nothing"
        );
        assert_eq!(calls.count(), 1);
    })
    .await;
}

#[test]
fn built_outside_a_runtime_the_task_starts_with_the_first_call() {
    let calls = Calls::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    // The clock needs the runtime's time; the credential itself is built outside it.
    let clock = runtime.block_on(async { virtual_clock() });
    let refresher = runtime.block_on(async { issuing(&calls, MINUTE * 6, Duration::ZERO) });
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .refresh_proactively(true)
        .clock(clock)
        .build()
        .unwrap();
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

#[tokio::test]
async fn build_errors_and_debug_output_never_show_tokens() {
    let result =
        CommunicationTokenCredential::with_refresher(|| async { Ok::<_, std::io::Error>("x") })
            .initial_token("opaque-initial-secret")
            .build();
    assert!(matches!(
        result,
        Err(CredentialBuildError::Token(TokenParseError::NotJwt))
    ));

    let builder =
        CommunicationTokenCredential::with_refresher(|| async { Ok::<_, std::io::Error>("x") })
            .initial_token(AccessToken::new(
                "initial-secret",
                OffsetDateTime::now_utc() + MINUTE * 60,
            ));
    assert!(!format!("{builder:?}").contains("initial-secret"));
    let credential = builder.build().unwrap();
    let shown = format!("{credential:?}");
    assert!(
        !shown.contains("initial-secret") && shown.contains("expires_on"),
        "{shown}"
    );

    let endpoint =
        acs_identity::Endpoint::parse("https://contoso.communication.azure.com").unwrap();
    let options = EntraCommunicationTokenCredentialOptions::new(endpoint, |_: &[String]| async {
        Ok::<_, std::io::Error>(EntraToken::new("entra", SystemTime::now()))
    })
    .scopes([
        "https://communication.azure.com/clients/VoIP",
        "https://auth.msft.communication.azure.com/x",
    ]);
    let result = CommunicationTokenCredential::with_entra(options).build();
    assert!(
        matches!(result, Err(CredentialBuildError::Scopes(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn refreshes_tokens_issued_by_the_emulator() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string()).unwrap();
    let user = client.create_user().await.unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let credential = CommunicationTokenCredential::with_refresher({
        let calls = Arc::clone(&calls);
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            let (client, user) = (client.clone(), user.clone());
            async move {
                client
                    .get_token(&user, &[TokenScope::Chat], Default::default())
                    .await
            }
        }
    })
    .refresh_proactively(true)
    .build()
    .unwrap();
    let token = credential.get_token().await.unwrap();
    assert!(emulator.check_access_token(token.token()).is_valid());
    assert_eq!(credential.get_token().await.unwrap(), token);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one refresh, shared by the task and the callers"
    );
    // The JWT's own `exp` agrees with the service's `expiresOn`.
    let parsed = acs_identity::parse_access_token(token.token()).unwrap();
    assert_eq!(
        parsed.expires_on().unix_timestamp(),
        token.expires_on().unix_timestamp()
    );
    credential.close();
    emulator.shutdown().await;
}

/// An Entra ID token source minting tokens for `user` at the emulator.
fn entra_source(
    emulator: &Arc<acs_identity_emulator::RunningEmulator>,
    user: EntraUser,
    calls: &Arc<AtomicUsize>,
) -> impl Fn(&[String]) -> std::future::Ready<Result<EntraToken, std::io::Error>> + Send + Sync + 'static
{
    let (emulator, calls) = (Arc::clone(emulator), Arc::clone(calls));
    move |_scopes: &[String]| {
        calls.fetch_add(1, Ordering::SeqCst);
        let token = emulator.issue_entra_user_token(&user);
        std::future::ready(Ok(EntraToken::new(
            token.secret(),
            SystemTime::from(token.expires_on()),
        )))
    }
}

#[tokio::test]
async fn exchanges_entra_tokens_at_the_emulator() {
    let emulator = Arc::new(Emulator::builder().start().await.unwrap());
    let client =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string()).unwrap();
    let endpoint = client.endpoint().clone();
    let app_id = emulator.entra_app().client_id();
    let tenant_id = emulator.entra_tenant_id().to_string();

    // Entra ID users: an assignment lets them exchange; the token is a valid ACS token.
    let user = EntraUser::for_entra_exchange(Uuid::new_v4(), app_id);
    let settings = EntraAssignmentSettings::new(
        tenant_id.clone(),
        EntraPrincipalType::User,
        vec![app_id.to_string()],
    );
    client
        .upsert_entra_assignment(&user.object_id.to_string(), settings)
        .await
        .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let options = EntraCommunicationTokenCredentialOptions::new(
        endpoint.clone(),
        entra_source(&emulator, user, &calls),
    );
    let credential = CommunicationTokenCredential::with_entra(options)
        .build()
        .unwrap();
    let token = credential.get_token().await.unwrap();
    assert!(emulator.check_access_token(token.token()).is_valid());
    assert_eq!(credential.get_token().await.unwrap(), token);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(emulator.requests().count(Operation::ExchangeEntraToken), 1);

    // Teams extension users: chosen by the scope prefix.
    let teams_user = EntraUser::teams_user(Uuid::new_v4(), app_id);
    let mut assignment = UpsertTeamsExtensionAssignment::new(
        tenant_id,
        teams_user.object_id.to_string(),
        TeamsExtensionPrincipalType::User,
    );
    assignment.client_ids = vec![app_id.to_string()];
    client
        .upsert_teams_extension_assignment(assignment)
        .await
        .unwrap();
    let options = EntraCommunicationTokenCredentialOptions::new(
        endpoint.clone(),
        entra_source(&emulator, teams_user, &calls),
    )
    .scopes(["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"]);
    let credential = CommunicationTokenCredential::with_entra(options)
        .refresh_proactively(true)
        .build()
        .unwrap();
    let token = credential.get_token().await.unwrap();
    assert!(emulator.check_access_token(token.token()).is_valid());
    assert_eq!(
        emulator
            .requests()
            .count(Operation::ExchangeTeamsExtensionToken),
        1
    );

    // Without an assignment the service refuses; its answer is the cause of the credential error.
    let stranger = EntraUser::for_entra_exchange(Uuid::new_v4(), app_id);
    let options = EntraCommunicationTokenCredentialOptions::new(
        endpoint,
        entra_source(&emulator, stranger, &calls),
    );
    let credential = CommunicationTokenCredential::with_entra(options)
        .build()
        .unwrap();
    let error = credential.get_token().await.unwrap_err();
    assert!(matches!(
        refresh_error(&error),
        TokenRefreshError::Refresher(_)
    ));
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
