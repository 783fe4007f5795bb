//! The token refresh rules, as tables: token parsing, the schedule's timing, failures, tickets,
//! closing, and the Entra ID exchange's endpoint choice and cache.

use std::error::Error as _;
use std::time::Duration;

use acs_identity_core::{
    ExchangedTokenCache, IntoAccessToken, OnDemand, Proactive, RefreshPolicy, RefreshSchedule,
    TokenExchangeTarget, TokenParseError, TokenRefreshError, parse_access_token,
};
use acs_identity_types::{AccessToken, ApiVersion};
use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2025-04-14 12:00 UTC);

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

fn at(seconds: i64) -> OffsetDateTime {
    T0 + time::Duration::seconds(seconds)
}

fn jwt(payload: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    format!("{header}.{}.c2lnbmF0dXJl", URL_SAFE_NO_PAD.encode(payload))
}

fn token(name: &str, expires_in: i64) -> AccessToken {
    AccessToken::new(name, at(expires_in))
}

fn failure() -> TokenRefreshError {
    TokenRefreshError::refresher("the token server is down")
}

/// What a caller asking at `now` does, as text: `use <token>`, `refresh`, `failed` or `closed`.
fn ask(schedule: &RefreshSchedule, now: OffsetDateTime) -> String {
    describe(schedule.on_demand(now, None))
}

fn describe(decision: OnDemand<'_>) -> String {
    match decision {
        OnDemand::Use(token) => format!("use {}", token.token()),
        OnDemand::Refresh(_) => "refresh".into(),
        OnDemand::Failed(_) => "failed".into(),
        OnDemand::Closed => "closed".into(),
        other => format!("{other:?}"),
    }
}

#[test]
fn jwt_expiry_is_read_and_bad_tokens_are_rejected() {
    let padded = format!(
        "{}.{}.sig",
        URL_SAFE.encode(br#"{"alg":"RS256"}"#),
        URL_SAFE.encode(br#"{"exp":1744651947}"#)
    );
    let cases: Vec<(&str, String, Result<i64, TokenParseError>)> = vec![
        (
            "integer exp",
            jwt(r#"{"skypeid":"acs:x","exp":1744651947}"#),
            Ok(1_744_651_947),
        ),
        (
            "fractional exp",
            jwt(r#"{"exp":1744651947.75}"#),
            Ok(1_744_651_947),
        ),
        ("exp before 1970", jwt(r#"{"exp":-1}"#), Ok(-1)),
        ("padded base64", padded, Ok(1_744_651_947)),
        (
            "unsigned JWT",
            format!("{}.", jwt(r#"{"exp":5}"#).rsplit_once('.').unwrap().0),
            Ok(5),
        ),
        (
            "surrounding whitespace",
            format!(" \n{}\t", jwt(r#"{"exp":7}"#)),
            Ok(7),
        ),
        ("empty", String::new(), Err(TokenParseError::Blank)),
        ("whitespace", " \t\n".into(), Err(TokenParseError::Blank)),
        (
            "opaque",
            "opaque-secret-token".into(),
            Err(TokenParseError::NotJwt),
        ),
        (
            "two parts",
            "eyJhbGciOiJub25lIn0.eyJleHAiOjV9".into(),
            Err(TokenParseError::NotJwt),
        ),
        (
            "header not base64",
            "!!!.eyJleHAiOjV9.sig".into(),
            Err(TokenParseError::NotJwt),
        ),
        (
            "empty header",
            ".eyJleHAiOjV9.sig".into(),
            Err(TokenParseError::NotJwt),
        ),
        (
            "payload not base64",
            "eyJhbGciOiJub25lIn0.@@@.sig".into(),
            Err(TokenParseError::InvalidPayload),
        ),
        (
            "payload not JSON",
            jwt("not json"),
            Err(TokenParseError::InvalidPayload),
        ),
        (
            "payload an array",
            jwt("[1,2]"),
            Err(TokenParseError::InvalidPayload),
        ),
        (
            "no exp",
            jwt(r#"{"iat":1}"#),
            Err(TokenParseError::MissingExpiry),
        ),
        (
            "null exp",
            jwt(r#"{"exp":null}"#),
            Err(TokenParseError::MissingExpiry),
        ),
        (
            "string exp",
            jwt(r#"{"exp":"1744651947"}"#),
            Err(TokenParseError::InvalidExpiry),
        ),
        (
            "exp past year 9999",
            jwt(r#"{"exp":1e20}"#),
            Err(TokenParseError::InvalidExpiry),
        ),
        (
            "huge integer exp",
            jwt(r#"{"exp":9223372036854775807}"#),
            Err(TokenParseError::InvalidExpiry),
        ),
    ];
    for (name, input, expected) in cases {
        let parsed = parse_access_token(input.as_str());
        assert_eq!(
            parsed.as_ref().map(|t| t.expires_on().unix_timestamp()),
            expected.as_ref().copied(),
            "{name}"
        );
        match parsed {
            Ok(token) => assert_eq!(
                token.token(),
                input.trim(),
                "{name}: the token is kept as given, trimmed"
            ),
            Err(error) => {
                let shown = format!("{error} {error:?}");
                assert!(
                    input.trim().is_empty() || !shown.contains(input.trim()),
                    "{name}: {shown}"
                );
            }
        }
    }
}

#[test]
fn refresher_results_convert_to_access_tokens() {
    let jwt = jwt(r#"{"exp":1744651947}"#);
    assert_eq!(
        jwt.as_str()
            .into_access_token()
            .unwrap()
            .expires_on()
            .unix_timestamp(),
        1_744_651_947
    );
    assert!((&jwt).into_access_token().is_ok());
    assert!(jwt.clone().into_boxed_str().into_access_token().is_ok());
    assert!(jwt.into_access_token().is_ok());
    let opaque = AccessToken::new("opaque", T0);
    assert_eq!(opaque.clone().into_access_token(), Ok(opaque));
    assert_eq!(
        AccessToken::new(" ", T0).into_access_token(),
        Err(TokenParseError::Blank)
    );
    assert_eq!("opaque".into_access_token(), Err(TokenParseError::NotJwt));
}

#[test]
fn callers_use_the_token_until_two_minutes_before_it_expires() {
    let schedule =
        RefreshSchedule::new(RefreshPolicy::default(), Some(token("a", 3600)), false, T0);
    let cases = [
        (0, "use a"),
        (3600 - 121, "use a"),
        (3600 - 120, "refresh"),
        (3599, "refresh"),
        (3600, "refresh"),
        (7200, "refresh"),
    ];
    for (second, expected) in cases {
        assert_eq!(ask(&schedule, at(second)), expected, "at +{second}s");
    }
    assert_eq!(schedule.proactive(T0), Proactive::Stop, "on demand only");
}

#[test]
fn a_missing_or_expired_initial_token_is_refreshed_at_once() {
    for initial in [None, Some(token("old", 0)), Some(token("old", -60))] {
        let schedule = RefreshSchedule::new(RefreshPolicy::default(), initial.clone(), true, T0);
        assert_eq!(ask(&schedule, T0), "refresh", "{initial:?}");
        assert!(
            matches!(schedule.proactive(T0), Proactive::Refresh(_)),
            "{initial:?}"
        );
        assert!(schedule.current(T0).is_none());
    }
}

#[test]
fn proactive_refresh_is_due_ten_minutes_before_expiry_with_waits_of_at_most_five_minutes() {
    let schedule = RefreshSchedule::new(RefreshPolicy::default(), Some(token("a", 3600)), true, T0);
    let cases = [
        (0, Proactive::Wait(secs(300))),
        (2700, Proactive::Wait(secs(300))),
        (2820, Proactive::Wait(secs(180))),
        (2999, Proactive::Wait(secs(1))),
    ];
    for (second, expected) in cases {
        assert_eq!(schedule.proactive(at(second)), expected, "at +{second}s");
    }
    for second in [3000, 3500, 4000] {
        assert!(
            matches!(schedule.proactive(at(second)), Proactive::Refresh(_)),
            "at +{second}s"
        );
    }
}

#[test]
fn a_token_already_inside_a_margin_is_refreshed_after_half_its_remaining_lifetime() {
    // (lifetime of the returned token, next proactive refresh, callers served until), in seconds after the refresh.
    let cases = [
        (3600, 3000, 3480),
        (601, 1, 481),
        (600, 300, 480),
        (360, 180, 240),
        (122, 61, 2),
        (120, 60, 60),
        (90, 45, 45),
        // Half is below the 5 second floor: the floor, but never after the expiry.
        (8, 5, 5),
        (3, 3, 3),
    ];
    for (lifetime, proactive_at, serve_until) in cases {
        let mut schedule = RefreshSchedule::new(RefreshPolicy::default(), None, true, T0);
        schedule
            .complete(Ok(token("new", lifetime)), T0, 0.5)
            .unwrap();
        let next = (proactive_at as u64).min(300);
        let expected = if proactive_at == 0 {
            "refresh".into()
        } else {
            format!("{:?}", Proactive::Wait(secs(next)))
        };
        let got = match schedule.proactive(T0) {
            Proactive::Refresh(_) => "refresh".into(),
            other => format!("{other:?}"),
        };
        assert_eq!(got, expected, "lifetime {lifetime}s");
        assert!(
            matches!(schedule.proactive(at(proactive_at)), Proactive::Refresh(_)),
            "lifetime {lifetime}s"
        );
        assert_eq!(
            ask(&schedule, at(serve_until - 1)),
            "use new",
            "lifetime {lifetime}s"
        );
        assert_eq!(
            ask(&schedule, at(serve_until)),
            "refresh",
            "lifetime {lifetime}s"
        );
    }
}

#[test]
fn a_refresher_that_keeps_returning_the_same_token_is_not_called_in_a_loop() {
    let mut schedule = RefreshSchedule::new(RefreshPolicy::default(), None, true, T0);
    let mut now = T0;
    let mut refreshes = 0;
    // The refresher returns the same token expiring at +8 minutes every time.
    while refreshes < 100 {
        match schedule.proactive(now) {
            Proactive::Wait(delay) => now += delay,
            Proactive::Refresh(_) => {
                refreshes += 1;
                if schedule.complete(Ok(token("same", 480)), now, 0.5).is_err() {
                    break;
                }
            }
            other => panic!("{other:?}"),
        }
    }
    // Halving from 8 minutes down to the 5 second floor, then one refresh at the expiry, which fails.
    assert!(refreshes <= 12, "{refreshes} refreshes");
    assert_eq!(now, at(480));
    assert!(
        matches!(schedule.proactive(now), Proactive::Wait(_)),
        "retries after a backoff"
    );
}

#[test]
fn an_expired_token_from_the_refresher_is_an_error() {
    for expires_in in [0, -1, -3600] {
        let mut schedule = RefreshSchedule::new(RefreshPolicy::default(), None, false, T0);
        let result = schedule.complete(Ok(token("stale", expires_in)), T0, 0.5);
        assert!(
            matches!(result, Err(TokenRefreshError::ExpiredToken { expired_on }) if expired_on == at(expires_in)),
            "{result:?}"
        );
        assert_eq!(schedule.failures(), 1);
        assert_eq!(ask(&schedule, T0), "refresh");
    }
}

#[test]
fn failed_refreshes_back_off_exponentially_within_bounds() {
    // (jitter, the proactive waits after each of 9 consecutive failures, in milliseconds)
    let cases: [(f64, [u64; 9]); 4] = [
        (
            0.5,
            [
                2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000,
            ],
        ),
        (
            0.0,
            [
                1_600, 3_200, 6_400, 12_800, 25_600, 51_200, 96_000, 96_000, 96_000,
            ],
        ),
        (
            1.0,
            [
                2_400, 4_800, 9_600, 19_200, 38_400, 76_800, 120_000, 120_000, 120_000,
            ],
        ),
        (
            f64::NAN,
            [
                2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000,
            ],
        ),
    ];
    let policy = RefreshPolicy::default().max_wait(secs(3600));
    for (jitter, expected) in cases {
        let mut schedule = RefreshSchedule::new(policy, None, true, T0);
        let mut waits = Vec::new();
        for _ in 0..9 {
            assert!(schedule.complete(Err(failure()), T0, jitter).is_err());
            match schedule.proactive(T0) {
                Proactive::Wait(delay) => waits.push(delay),
                other => panic!("{other:?}"),
            }
        }
        for (wait, expected) in waits.iter().zip(expected) {
            assert!(
                wait.abs_diff(Duration::from_millis(expected)) <= Duration::from_millis(1),
                "jitter {jitter}: {waits:?}"
            );
        }
        // Out-of-range jitter is clamped.
        let mut clamped = RefreshSchedule::new(policy, None, true, T0);
        let _ = clamped.complete(Err(failure()), T0, 7.0);
        let Proactive::Wait(wait) = clamped.proactive(T0) else {
            panic!()
        };
        assert!(
            wait.abs_diff(Duration::from_millis(2_400)) <= Duration::from_millis(1),
            "{wait:?}"
        );
    }
}

#[test]
fn a_success_resets_the_backoff() {
    let mut schedule = RefreshSchedule::new(RefreshPolicy::default(), None, true, T0);
    for _ in 0..5 {
        let _ = schedule.complete(Err(failure()), T0, 0.5);
    }
    assert_eq!(schedule.failures(), 5);
    schedule.complete(Ok(token("ok", 3600)), T0, 0.5).unwrap();
    assert_eq!(schedule.failures(), 0);
    let _ = schedule.complete(Err(failure()), at(3000), 0.5);
    assert_eq!(schedule.proactive(at(3000)), Proactive::Wait(secs(2)));
}

#[test]
fn after_a_failure_callers_keep_the_valid_token_until_the_retry_is_due() {
    let mut schedule =
        RefreshSchedule::new(RefreshPolicy::default(), Some(token("old", 3600)), true, T0);
    // The proactive refresh at +50 minutes fails: the old token is still good for 10 minutes.
    let kept = schedule.complete(Err(failure()), at(3000), 0.5).unwrap();
    assert_eq!(kept.token(), "old");
    assert_eq!(ask(&schedule, at(3001)), "use old");
    assert_eq!(
        ask(&schedule, at(3002)),
        "refresh",
        "the retry is due after 2 s"
    );
    // Failing again and again near the expiry: the old token until it expires, never after.
    let kept = schedule.complete(Err(failure()), at(3590), 0.5).unwrap();
    assert_eq!(kept.token(), "old");
    assert_eq!(ask(&schedule, at(3593)), "use old");
    assert_eq!(ask(&schedule, at(3594)), "refresh");
    let result = schedule.complete(Err(failure()), at(3600), 0.5);
    assert!(matches!(result, Err(TokenRefreshError::Refresher(_))));
    assert_eq!(
        ask(&schedule, at(3600)),
        "refresh",
        "no valid token: every caller refreshes"
    );
    assert!(schedule.current(at(3600)).is_none());
}

#[test]
fn callers_that_waited_for_a_refresh_share_its_outcome() {
    let mut schedule = RefreshSchedule::new(RefreshPolicy::default(), None, false, T0);
    let OnDemand::Refresh(first) = schedule.on_demand(T0, None) else {
        panic!()
    };
    let OnDemand::Refresh(second) = schedule.on_demand(T0, None) else {
        panic!()
    };
    assert_eq!(first, second);
    // The first caller refreshes and fails; the second, having waited, gets that failure.
    let _ = schedule.complete(Err(failure()), T0, 0.5);
    assert_eq!(describe(schedule.on_demand(T0, Some(second))), "failed");
    // A new caller refreshes again.
    let OnDemand::Refresh(third) = schedule.on_demand(T0, None) else {
        panic!()
    };
    assert_eq!(
        describe(schedule.on_demand(T0, Some(third))),
        "refresh",
        "nobody refreshed meanwhile"
    );
    schedule.complete(Ok(token("ok", 90)), T0, 0.5).unwrap();
    assert_eq!(describe(schedule.on_demand(T0, Some(third))), "use ok");
    // A token that came back inside the margin still answers the callers that waited for it.
    assert_eq!(describe(schedule.on_demand(at(50), Some(third))), "use ok");
    assert_eq!(describe(schedule.on_demand(at(50), None)), "refresh");
}

#[test]
fn a_proactive_refresh_that_waited_is_skipped_when_another_completed() {
    let mut schedule =
        RefreshSchedule::new(RefreshPolicy::default(), Some(token("a", 3600)), true, T0);
    let Proactive::Refresh(ticket) = schedule.proactive(at(3000)) else {
        panic!()
    };
    assert!(schedule.is_current(ticket));
    schedule
        .complete(Ok(token("b", 7200)), at(3000), 0.5)
        .unwrap();
    assert!(!schedule.is_current(ticket));
    assert_eq!(schedule.proactive(at(3000)), Proactive::Wait(secs(300)));
}

#[test]
fn a_closed_schedule_gives_nothing() {
    let mut schedule =
        RefreshSchedule::new(RefreshPolicy::default(), Some(token("a", 3600)), true, T0);
    let OnDemand::Refresh(ticket) = schedule.on_demand(at(3590), None) else {
        panic!()
    };
    schedule.close();
    assert!(schedule.is_closed());
    assert_eq!(ask(&schedule, T0), "closed");
    assert_eq!(describe(schedule.on_demand(T0, Some(ticket))), "closed");
    assert_eq!(schedule.proactive(T0), Proactive::Stop);
    assert!(matches!(
        schedule.complete(Ok(token("b", 3600)), T0, 0.5),
        Err(TokenRefreshError::Closed)
    ));
    assert!(schedule.current(T0).is_none(), "the token is dropped");
}

#[test]
fn absurd_expiries_do_not_panic() {
    let far = AccessToken::new("far", datetime!(9999-12-31 23:59:59 UTC));
    let mut schedule = RefreshSchedule::new(RefreshPolicy::default(), Some(far.clone()), true, T0);
    assert_eq!(ask(&schedule, T0), "use far");
    assert_eq!(schedule.proactive(T0), Proactive::Wait(secs(300)));
    let max = datetime!(9999-12-31 23:59:59 UTC);
    let _ = schedule.complete(Err(failure()), max, 0.5);
    let _ = schedule.complete(Ok(far), datetime!(9999-12-31 23:59:00 UTC), 0.5);
    let ancient = AccessToken::new("old", datetime!(-9999-01-01 0:00 UTC));
    let schedule = RefreshSchedule::new(RefreshPolicy::default(), Some(ancient), true, T0);
    assert_eq!(ask(&schedule, T0), "refresh");
    let token = parse_access_token(jwt(r#"{"exp":253402300799}"#)).unwrap();
    let cache = {
        let mut cache = ExchangedTokenCache::default();
        cache.store("e", token);
        cache
    };
    assert!(cache.reusable("e", max, secs(120)).is_none());
}

#[test]
fn errors_name_the_problem_never_the_token() {
    let error = TokenRefreshError::refresher("HTTP 503 from the token server");
    assert_eq!(error.to_string(), "the token refresher failed");
    assert_eq!(
        error.source().unwrap().to_string(),
        "HTTP 503 from the token server"
    );
    let error = TokenRefreshError::InvalidToken(TokenParseError::NotJwt);
    assert_eq!(
        error.source().unwrap().to_string(),
        TokenParseError::NotJwt.to_string()
    );
    let error = TokenRefreshError::ExpiredToken { expired_on: T0 };
    assert_eq!(
        error.to_string(),
        "the token refresher returned a token that expired at 2025-04-14 12:00:00.0 +00:00:00"
    );
    let error = TokenRefreshError::StaticTokenExpired { expired_on: T0 };
    assert!(error.to_string().contains("has no refresher"), "{error}");
    assert_eq!(
        TokenRefreshError::Closed.to_string(),
        "the communication token credential is closed"
    );
    // Wrapped in the crate's error, it is a credential error whose source is this one.
    let wrapped = acs_identity_core::Error::credential(TokenRefreshError::Closed);
    assert_eq!(wrapped.kind(), acs_identity_core::ErrorKind::Credential);
    assert!(
        wrapped
            .source()
            .unwrap()
            .downcast_ref::<TokenRefreshError>()
            .is_some()
    );
}

#[test]
fn the_scopes_choose_the_exchange() {
    let cases: [(&[&str], Option<TokenExchangeTarget>); 7] = [
        (
            &["https://communication.azure.com/clients/.default"],
            Some(TokenExchangeTarget::Entra),
        ),
        (
            &[
                "https://communication.azure.com/clients/VoIP",
                "https://communication.azure.com/clients/Chat",
            ],
            Some(TokenExchangeTarget::Entra),
        ),
        (
            &["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"],
            Some(TokenExchangeTarget::TeamsExtension),
        ),
        (&[], None),
        (&["https://communication.azure.com//.default"], None),
        (
            &[
                "https://communication.azure.com/clients/.default",
                "https://auth.msft.communication.azure.com/x",
            ],
            None,
        ),
        (&["HTTPS://COMMUNICATION.AZURE.COM/clients/.default"], None),
    ];
    for (scopes, expected) in cases {
        assert_eq!(
            TokenExchangeTarget::for_scopes(scopes).ok(),
            expected,
            "{scopes:?}"
        );
    }
    assert_eq!(
        TokenExchangeTarget::TeamsExtension.api_version(),
        ApiVersion::V2025_06_30
    );
    assert_eq!(
        TokenExchangeTarget::Entra.api_version(),
        ApiVersion::V2025_03_02_Preview
    );
    let error = TokenExchangeTarget::for_scopes::<&str>(&[]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("https://auth.msft.communication.azure.com/"),
        "{error}"
    );
}

#[test]
fn an_exchange_is_reused_only_for_the_same_entra_token_far_from_expiry() {
    let mut cache = ExchangedTokenCache::default();
    let margin = secs(120);
    assert!(cache.reusable("entra-1", T0, margin).is_none(), "empty");
    cache.store("entra-1", token("acs-1", 3600));
    let cases = [
        ("entra-1", 0, Some("acs-1")),
        ("entra-1", 3479, Some("acs-1")),
        ("entra-1", 3480, None),
        ("entra-1", 4000, None),
        ("entra-2", 0, None),
    ];
    for (entra, second, expected) in cases {
        assert_eq!(
            cache
                .reusable(entra, at(second), margin)
                .map(AccessToken::token),
            expected,
            "{entra} +{second}s"
        );
    }
    let shown = format!("{cache:?}");
    assert!(
        !shown.contains("entra-1") && !shown.contains("acs-1"),
        "{shown}"
    );
    cache.clear();
    assert!(cache.reusable("entra-1", T0, margin).is_none());
}
