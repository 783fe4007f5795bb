//! `CommunicationTokenCredential` of both clients: the on-demand rules on a test clock, refresher failures,
//! clones, what `Debug` shows, then end to end against the emulator.
//!
//! Included by `tests/communication_token_credential.rs` of both clients. Their `tests/support` defines the
//! seam (`sdk`, `Env`, `scenario!`, `client_test!`, `aw!`, `answer!`, `start_emulator`); the drivers add the
//! clock: `Clock` (`now`, `reader`, and `advance`, called with `aw!`) and `clock_test!` (one test with a fresh
//! `Clock` starting at `T0`). The async clock is tokio's paused time, the blocking one a clock moved by hand:
//! neither the background refreshing nor concurrent callers can run on both, so those tests stay in each
//! driver. Everything below is written once.

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use acs_identity_emulator::{Emulator, EntraUser, Operation};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use crate::Clock;
use crate::sdk::{
    AccessToken, CommunicationIdentityClient, CommunicationTokenCredential,
    CommunicationTokenCredentialBuilder, CredentialBuildError, EntraAssignmentSettings,
    EntraCommunicationTokenCredentialOptions, EntraPrincipalType, EntraToken, Error, ErrorKind,
    TeamsExtensionPrincipalType, TokenParseError, TokenRefreshError, TokenScope,
    UpsertTeamsExtensionAssignment,
};
use crate::support::{Answer, TestEmulator, start_emulator};

/// Where every test clock starts.
pub(crate) const T0: OffsetDateTime = datetime!(2025-04-14 12:00 UTC);
pub(crate) const MINUTE: Duration = Duration::from_secs(60);

/// Seconds since `T0`.
fn elapsed(at: OffsetDateTime) -> f64 {
    (at - T0).as_seconds_f64()
}

/// The refresher's calls, by the test clock's time.
#[derive(Clone, Default)]
pub(crate) struct Calls(Arc<Mutex<Vec<OffsetDateTime>>>);

impl Calls {
    pub(crate) fn record(&self, at: OffsetDateTime) -> usize {
        let mut calls = self.0.lock().unwrap();
        calls.push(at);
        calls.len()
    }

    pub(crate) fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Seconds since `T0` of each call.
    pub(crate) fn times(&self) -> Vec<f64> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .copied()
            .map(elapsed)
            .collect()
    }

    /// The calls happened at these seconds since `T0` (within the timer's millisecond resolution).
    pub(crate) fn assert_at(&self, expected: &[f64]) {
        let times = self.times();
        let close = times.len() == expected.len()
            && times
                .iter()
                .zip(expected)
                .all(|(t, e)| (t - e).abs() < 0.01);
        assert!(close, "calls at {times:?}, expected {expected:?}");
    }
}

/// A refresher issuing tokens `t1`, `t2`... valid for `lifetime` on `clock` from when it answers, recording
/// its calls.
pub(crate) fn issuing(
    clock: &Clock,
    calls: &Calls,
    lifetime: Duration,
) -> impl Fn() -> Answer<AccessToken> + Send + Sync + 'static {
    let (clock, calls) = (clock.clone(), calls.clone());
    move || {
        let n = calls.record(clock.now());
        let clock = clock.clone();
        answer!({ Ok(AccessToken::new(format!("t{n}"), clock.now() + lifetime)) })
    }
}

/// The `TokenRefreshError` under a credential error.
pub(crate) fn refresh_error(error: &Error) -> &TokenRefreshError {
    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
    error
        .source()
        .and_then(|source| source.downcast_ref::<TokenRefreshError>())
        .expect("a TokenRefreshError source")
}

/// The refresher failed with an error whose message is `cause`.
pub(crate) fn assert_refresher_failed(error: &Error, cause: &str) {
    assert!(
        matches!(refresh_error(error), TokenRefreshError::Refresher(_)),
        "{error:?}"
    );
    let source = error.source().and_then(|source| source.source()).unwrap();
    assert_eq!(source.to_string(), cause);
}

/// The refresher answered something that is not a JWT.
fn assert_not_a_jwt(error: &Error) {
    assert!(matches!(
        refresh_error(error),
        TokenRefreshError::InvalidToken(TokenParseError::NotJwt)
    ));
}

/// A credential whose refresher answers `token`, at once.
fn answering(token: &'static str) -> CommunicationTokenCredentialBuilder {
    CommunicationTokenCredential::with_refresher(move || {
        answer!({ Ok::<_, std::io::Error>(token) })
    })
}

/// The token `get_token` of the credential gives, which must not fail.
macro_rules! token_of {
    ($credential:expr) => {
        aw!($credential.get_token()).unwrap().token().to_owned()
    };
}

client_test!(a_fixed_token_is_returned_until_it_expires {
    let now = OffsetDateTime::now_utc();
    let credential =
        CommunicationTokenCredential::new(AccessToken::new("fixed", now + MINUTE * 60)).unwrap();
    assert_eq!(token_of!(credential), "fixed");
    assert_eq!(token_of!(credential), "fixed");

    let expired = CommunicationTokenCredential::new(AccessToken::new("old", now - MINUTE)).unwrap();
    let error = aw!(expired.get_token()).unwrap_err();
    assert!(
        matches!(
            refresh_error(&error),
            TokenRefreshError::StaticTokenExpired { .. }
        ),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?} {expired:?}").contains("old"));

    // A JWT's expiry comes from its `exp`: {"alg":"none"}.{"exp":4102444800} (year 2100).
    let jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.";
    let credential = CommunicationTokenCredential::new(jwt).unwrap();
    assert_eq!(
        aw!(credential.get_token()).unwrap().expires_on(),
        datetime!(2100-01-01 0:00 UTC)
    );
    for blank in ["", "\n"] {
        assert!(matches!(
            CommunicationTokenCredential::new(blank),
            Err(TokenParseError::Blank)
        ));
    }
    assert!(matches!(
        CommunicationTokenCredential::new("opaque"),
        Err(TokenParseError::NotJwt)
    ));

    credential.close();
    let error = aw!(credential.get_token()).unwrap_err();
    assert!(matches!(refresh_error(&error), TokenRefreshError::Closed));
});

clock_test!(tokens_are_refreshed_on_demand_two_minutes_before_they_expire(clock) {
    let calls = Calls::default();
    let credential =
        CommunicationTokenCredential::with_refresher(issuing(&clock, &calls, MINUTE * 60))
            .initial_token(AccessToken::new("initial", T0 + MINUTE * 60))
            .clock(clock.reader())
            .build()
            .unwrap();
    assert_eq!(token_of!(credential), "initial");
    aw!(clock.advance(MINUTE * 58 - Duration::from_secs(1)));
    assert_eq!(token_of!(credential), "initial");
    assert_eq!(calls.count(), 0);
    aw!(clock.advance(Duration::from_secs(1)));
    assert_eq!(token_of!(credential), "t1");
    assert_eq!(token_of!(credential), "t1");
    calls.assert_at(&[58.0 * 60.0]);
    // Not proactive: nothing happens in the background.
    aw!(clock.advance(MINUTE * 600));
    assert_eq!(calls.count(), 1);
});

clock_test!(the_first_call_refreshes_when_there_is_no_initial_token(clock) {
    let calls = Calls::default();
    let credential =
        CommunicationTokenCredential::with_refresher(issuing(&clock, &calls, MINUTE * 60))
            .clock(clock.reader())
            .build()
            .unwrap();
    aw!(clock.advance(MINUTE));
    assert_eq!(calls.count(), 0, "on demand only");
    assert_eq!(token_of!(credential), "t1");
    calls.assert_at(&[60.0]);
});

clock_test!(a_token_inside_the_window_is_refreshed_on_demand_after_half_its_lifetime(clock) {
    let calls = Calls::default();
    let credential = CommunicationTokenCredential::with_refresher(issuing(
        &clock,
        &calls,
        Duration::from_secs(90),
    ))
    .clock(clock.reader())
    .build()
    .unwrap();
    assert_eq!(token_of!(credential), "t1");
    aw!(clock.advance(Duration::from_secs(44)));
    assert_eq!(token_of!(credential), "t1", "not refreshed on every call");
    aw!(clock.advance(Duration::from_secs(1)));
    assert_eq!(token_of!(credential), "t2");
    calls.assert_at(&[0.0, 45.0]);
});

clock_test!(an_expired_token_from_the_refresher_is_an_error(clock) {
    let credential = CommunicationTokenCredential::with_refresher({
        let clock = clock.clone();
        move || {
            let token = AccessToken::new("stale", clock.now() - Duration::from_secs(1));
            answer!({ Ok::<_, std::io::Error>(token) })
        }
    })
    .clock(clock.reader())
    .build()
    .unwrap();
    let error = aw!(credential.get_token()).unwrap_err();
    assert!(
        matches!(
            refresh_error(&error),
            TokenRefreshError::ExpiredToken { .. }
        ),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains("stale"));
});

clock_test!(refresher_errors_reach_the_caller_with_their_cause(clock) {
    let credential = CommunicationTokenCredential::with_refresher(|| {
        answer!({ Err::<String, _>(std::io::Error::other("the token server is down")) })
    })
    .clock(clock.reader())
    .build()
    .unwrap();
    let error = aw!(credential.get_token()).unwrap_err();
    assert_refresher_failed(&error, "the token server is down");

    let credential = answering("not a jwt").clock(clock.reader()).build().unwrap();
    assert_not_a_jwt(&aw!(credential.get_token()).unwrap_err());
});

clock_test!(refresher_failures_are_errors_or_keep_the_valid_token_until_the_retry(clock) {
    let fail = Arc::new(AtomicUsize::new(0));
    let refresher = {
        let (clock, fail) = (clock.clone(), Arc::clone(&fail));
        move || {
            let result = match fail.load(Ordering::SeqCst) {
                0 => Ok(AccessToken::new("good", clock.now() + MINUTE * 60)),
                1 => Err(std::io::Error::other("the token server is down")),
                _ => Ok(AccessToken::new(
                    "stale",
                    clock.now() - Duration::from_secs(1),
                )),
            };
            answer!({ result })
        }
    };
    let credential = CommunicationTokenCredential::with_refresher(refresher)
        .clock(clock.reader())
        .build()
        .unwrap();
    assert_eq!(token_of!(credential), "good");

    // Near the expiry the refresh fails: the still-valid token is kept until the retry is due (2 s ± 20 %).
    fail.store(1, Ordering::SeqCst);
    aw!(clock.advance(MINUTE * 59));
    assert_eq!(token_of!(credential), "good");
    aw!(clock.advance(Duration::from_millis(1500)));
    assert_eq!(token_of!(credential), "good");
    aw!(clock.advance(MINUTE));
    let error = aw!(credential.get_token()).unwrap_err();
    assert_refresher_failed(&error, "the token server is down");

    fail.store(2, Ordering::SeqCst);
    let error = aw!(credential.get_token()).unwrap_err();
    assert!(matches!(
        refresh_error(&error),
        TokenRefreshError::ExpiredToken { .. }
    ));
    assert!(!format!("{error:?}").contains("stale"));

    let credential = answering("opaque").build().unwrap();
    assert_not_a_jwt(&aw!(credential.get_token()).unwrap_err());
});

clock_test!(clones_share_the_token(clock) {
    let calls = Calls::default();
    let credential =
        CommunicationTokenCredential::with_refresher(issuing(&clock, &calls, MINUTE * 60))
            .clock(clock.reader())
            .build()
            .unwrap();
    let clone = credential.clone();
    assert_eq!(token_of!(credential), "t1");
    assert_eq!(token_of!(clone), "t1");
    drop(credential);
    assert_eq!(token_of!(clone), "t1", "dropping one clone closes nothing");
    assert_eq!(calls.count(), 1);
});

client_test!(build_errors_and_debug_output_never_show_tokens {
    let result = answering("x").initial_token("opaque-initial-secret").build();
    assert!(matches!(
        result,
        Err(CredentialBuildError::Token(TokenParseError::NotJwt))
    ));

    let builder = answering("x").initial_token(AccessToken::new(
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

    // Scopes of both exchanges at once, and none at all, are refused.
    let endpoint =
        crate::sdk::Endpoint::parse("https://contoso.communication.azure.com").unwrap();
    let mixed = [
        "https://communication.azure.com/clients/VoIP",
        "https://auth.msft.communication.azure.com/x",
    ];
    for scopes in [&mixed[..], &[]] {
        let source = |_: &[String]| {
            answer!({ Ok::<_, std::io::Error>(EntraToken::new("entra", SystemTime::now())) })
        };
        let options = EntraCommunicationTokenCredentialOptions::new(endpoint.clone(), source)
            .scopes(scopes.to_vec());
        let result = CommunicationTokenCredential::with_entra(options).build();
        assert!(
            matches!(result, Err(CredentialBuildError::Scopes(_))),
            "{scopes:?}: {result:?}"
        );
    }
});

scenario!(refreshes_tokens_issued_by_the_emulator(env) {
    let user = aw!(env.client.create_user()).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let credential = CommunicationTokenCredential::with_refresher({
        let (client, calls) = (env.client.clone(), Arc::clone(&calls));
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            let (client, user) = (client.clone(), user.clone());
            answer!({
                let scopes = [TokenScope::Chat, TokenScope::Voip];
                aw!(client.get_token(&user, &scopes, Default::default()))
            })
        }
    })
    .refresh_proactively(true)
    .build()
    .unwrap();
    let token = aw!(credential.get_token()).unwrap();
    assert!(env.emulator.check_access_token(token.token()).is_valid());
    assert_eq!(aw!(credential.get_token()).unwrap(), token);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one refresh, shared by the background refreshing and the caller"
    );
    // The JWT's own `exp` agrees with the service's `expiresOn`.
    let parsed = crate::sdk::parse_access_token(token.token()).unwrap();
    assert_eq!(
        parsed.expires_on().unix_timestamp(),
        token.expires_on().unix_timestamp()
    );
    credential.close();
    aw!(env.emulator.shutdown());
});

/// An Entra ID token source minting tokens for `user` at the emulator, counting its calls.
fn entra_source(
    emulator: &Arc<TestEmulator>,
    user: EntraUser,
    calls: &Arc<AtomicUsize>,
) -> impl Fn(&[String]) -> Answer<EntraToken> + Send + Sync + 'static {
    let (emulator, calls) = (Arc::clone(emulator), Arc::clone(calls));
    move |_scopes: &[String]| {
        calls.fetch_add(1, Ordering::SeqCst);
        let token = emulator.issue_entra_user_token(&user);
        let token = EntraToken::new(token.secret(), SystemTime::from(token.expires_on()));
        answer!({ Ok(token) })
    }
}

client_test!(exchanges_entra_tokens_at_the_emulator {
    let emulator = Arc::new(aw!(start_emulator(Emulator::builder())));
    let client =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string()).unwrap();
    let endpoint = client.endpoint().clone();
    let app_id = emulator.entra_app().client_id();
    let tenant_id = emulator.entra_tenant_id().to_string();

    // An Entra ID user with an assignment, and a Teams extension user with one.
    let user = EntraUser::for_entra_exchange(Uuid::new_v4(), app_id);
    let settings = EntraAssignmentSettings::new(
        tenant_id.clone(),
        EntraPrincipalType::User,
        vec![app_id.to_string()],
    );
    aw!(client.upsert_entra_assignment(&user.object_id.to_string(), settings)).unwrap();
    let teams_user = EntraUser::teams_user(Uuid::new_v4(), app_id);
    let mut assignment = UpsertTeamsExtensionAssignment::new(
        tenant_id,
        teams_user.object_id.to_string(),
        TeamsExtensionPrincipalType::User,
    );
    assignment.client_ids = vec![app_id.to_string()];
    aw!(client.upsert_teams_extension_assignment(assignment)).unwrap();

    // Each exchange with a credential that refreshes on demand and with one that refreshes proactively
    // (whose first refresh the background refreshing and the caller share).
    for (round, proactive) in [(1, false), (2, true)] {
        // Entra ID users: the assignment lets them exchange; the token is a valid ACS token.
        let calls = Arc::new(AtomicUsize::new(0));
        let options = EntraCommunicationTokenCredentialOptions::new(
            endpoint.clone(),
            entra_source(&emulator, user.clone(), &calls),
        );
        let credential = CommunicationTokenCredential::with_entra(options)
            .refresh_proactively(proactive)
            .build()
            .unwrap();
        let token = aw!(credential.get_token()).unwrap();
        assert!(emulator.check_access_token(token.token()).is_valid());
        assert_eq!(aw!(credential.get_token()).unwrap(), token);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "proactive: {proactive}");
        assert_eq!(
            emulator.requests().count(Operation::ExchangeEntraToken),
            round
        );

        // Teams extension users: chosen by the scope prefix.
        let calls = Arc::new(AtomicUsize::new(0));
        let options = EntraCommunicationTokenCredentialOptions::new(
            endpoint.clone(),
            entra_source(&emulator, teams_user.clone(), &calls),
        )
        .scopes(["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"]);
        let credential = CommunicationTokenCredential::with_entra(options)
            .refresh_proactively(!proactive)
            .build()
            .unwrap();
        let token = aw!(credential.get_token()).unwrap();
        assert!(emulator.check_access_token(token.token()).is_valid());
        assert_eq!(aw!(credential.get_token()).unwrap(), token);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "proactive: {}", !proactive);
        assert_eq!(
            emulator
                .requests()
                .count(Operation::ExchangeTeamsExtensionToken),
            round
        );
    }

    // Without an assignment the service refuses; its answer is the cause of the credential error.
    let stranger = EntraUser::for_entra_exchange(Uuid::new_v4(), app_id);
    let calls = Arc::new(AtomicUsize::new(0));
    let options = EntraCommunicationTokenCredentialOptions::new(
        endpoint,
        entra_source(&emulator, stranger, &calls),
    );
    let credential = CommunicationTokenCredential::with_entra(options)
        .build()
        .unwrap();
    let error = aw!(credential.get_token()).unwrap_err();
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
});
