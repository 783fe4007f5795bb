//! Issue 15, facts 1 and 6: every api-version the service listed is served with what that version had, from
//! the same capability table the clients use.

mod common;

use acs_identity_emulator::{Emulator, EntraUser, RunningEmulator};
use acs_identity_types::{ApiVersion, Feature, TokenScope};
use common::{Client, SUPPORTED_VERSIONS, VERSIONS, create_identity, encoded, supports};
use serde_json::json;
use uuid::Uuid;

async fn start() -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    (emulator, client)
}

#[tokio::test]
async fn every_listed_version_but_the_pre_ga_one_is_served() {
    let (_emulator, client) = start().await;
    let served: Vec<&str> = ApiVersion::ALL.iter().map(|v| v.as_str()).collect();
    assert_eq!(
        served, VERSIONS,
        "the emulator serves exactly ApiVersion::ALL"
    );
    // The versions the service's `api-supported-versions` named over the years, and the two later stables.
    for version in [
        "2021-02-22-preview1",
        "2021-03-07",
        "2021-03-31-preview1",
        "2021-10-31-preview",
        "2021-11-01",
        "2022-06-01",
        "2022-09-01",
        "2022-10-01",
        "2023-08-01",
        "2023-10-01",
        "2025-03-02-preview",
        "2025-03-31-preview",
        "2025-06-30",
        "2026-09-23",
    ] {
        let reply = client
            .call("POST", &format!("/identities?api-version={version}"), "")
            .await;
        assert_eq!(reply.status, 201, "{version}: {}", reply.text());
        assert_eq!(
            reply.header("api-supported-versions"),
            Some(SUPPORTED_VERSIONS)
        );
    }
}

#[tokio::test]
async fn the_pre_ga_preview_is_refused_with_a_message_that_says_so() {
    let (_emulator, client) = start().await;
    let id = create_identity(&client, "2021-03-07").await;
    for (method, target) in [
        (
            "POST",
            "/identities?api-version=2020-07-20-preview2".to_owned(),
        ),
        (
            "POST",
            format!(
                "/identities/{}/token?api-version=2020-07-20-preview2",
                encoded(&id)
            ),
        ),
        (
            "PATCH",
            format!(
                "/identities/{}?api-version=2020-07-20-preview2",
                encoded(&id)
            ),
        ),
    ] {
        let reply = client.call(method, &target, r#"{"scopes":["chat"]}"#).await;
        let (status, code, message, _) = reply.error();
        assert_eq!(
            (status, code.as_str()),
            (400, "UnsupportedApiVersion"),
            "{target}"
        );
        assert!(
            message.contains("pre-GA API version '2020-07-20-preview2'")
                && message.contains("POST /identities/{id}/token")
                && message.contains("2021-03-07 or later"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn join_scopes_follow_the_capability_table() {
    let (_emulator, client) = start().await;
    for version in VERSIONS {
        let has_join = supports(version, Feature::JoinScopes);
        assert_eq!(
            has_join,
            version >= "2023-10-01",
            "{version}: the join scopes came with 2023-10-01"
        );
        let id = create_identity(&client, version).await;
        let target = format!(
            "/identities/{}/:issueAccessToken?api-version={version}",
            encoded(&id)
        );
        for scope in TokenScope::KNOWN {
            let body = json!({"scopes": [scope.as_str()]});
            let reply = client.call_json("POST", &target, &body).await;
            let expected = scope.required_feature().is_none() || has_join;
            assert_eq!(
                reply.status == 200,
                expected,
                "{version} {scope}: {}",
                reply.text()
            );
            if !expected {
                assert_eq!(reply.error().1, "ValidationError");
            }
            let create = json!({"createTokenWithScopes": [scope.as_str()]});
            let reply = client
                .call_json(
                    "POST",
                    &format!("/identities?api-version={version}"),
                    &create,
                )
                .await;
            assert_eq!(
                reply.status == 201,
                expected,
                "{version} {scope}: {}",
                reply.text()
            );
        }
    }
    // The case the issue names.
    let id = create_identity(&client, "2022-10-01").await;
    let reply = client
        .call_json(
            "POST",
            &format!(
                "/identities/{}/:issueAccessToken?api-version=2022-10-01",
                encoded(&id)
            ),
            &json!({"scopes": ["chat.join"]}),
        )
        .await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn teams_exchange_takes_the_token_alone_before_2022_06_01() {
    let (emulator, client) = start().await;
    let (user, app) = (Uuid::new_v4(), Uuid::new_v4());
    let entra = emulator.issue_entra_user_token(&EntraUser::teams_user(user, app));
    for version in ["2021-03-31-preview1", "2021-10-31-preview", "2021-11-01"] {
        assert!(!supports(version, Feature::TeamsUserExchangeChecks));
        let target = format!("/teamsUser/:exchangeAccessToken?api-version={version}");
        let reply = client
            .call_json("POST", &target, &json!({"token": entra.secret()}))
            .await;
        assert_eq!(reply.status, 200, "{version}: {}", reply.text());
        assert!(
            emulator
                .check_access_token(reply.json()["token"].as_str().unwrap())
                .is_valid()
        );
        let reply = client
            .call_json("POST", &target, &json!({"token": "not a token"}))
            .await;
        assert_eq!(reply.error().1, "InvalidAccessToken");
    }
    // From 2022-06-01 the ids are required.
    let reply = client
        .call_json(
            "POST",
            "/teamsUser/:exchangeAccessToken?api-version=2022-06-01",
            &json!({"token": entra.secret()}),
        )
        .await;
    assert_eq!(reply.error().1, "ValidationError");
}

#[tokio::test]
async fn the_lifetime_came_to_issue_in_2022_09_01_and_to_create_in_2022_10_01() {
    let (_emulator, client) = start().await;
    let reply = client
        .call_json(
            "POST",
            "/identities?api-version=2022-09-01",
            &json!({"createTokenWithScopes": ["chat"], "expiresInMinutes": 59}),
        )
        .await;
    assert_eq!(reply.status, 201, "ignored on create: {}", reply.text());
    let id = reply.json()["identity"]["id"].as_str().unwrap().to_owned();
    let reply = client
        .call_json(
            "POST",
            &format!(
                "/identities/{}/:issueAccessToken?api-version=2022-09-01",
                encoded(&id)
            ),
            &json!({"scopes": ["chat"], "expiresInMinutes": 59}),
        )
        .await;
    assert_eq!(reply.error().1, "ValidationError", "checked on issue");
}

/// Minutes from now to an `expiresOn`, rounded.
fn minutes_left(expires_on: &str) -> i64 {
    let at =
        time::OffsetDateTime::parse(expires_on, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{expires_on}: {e}"));
    ((at - time::OffsetDateTime::now_utc()).as_seconds_f64() / 60.0).round() as i64
}

/// What `cargo xtask interop` checks the official SDKs against at each version, for every version: a field the
/// version lacks is ignored (as the service's model binding does), an operation it lacks is refused.
#[tokio::test]
async fn fields_a_version_lacks_are_ignored_and_operations_it_lacks_refused() {
    let (emulator, client) = start().await;
    for version in VERSIONS {
        // expiresInMinutes on create: honoured from 2022-10-01, ignored before (a 24-hour token).
        let create = format!("/identities?api-version={version}");
        let body = json!({"createTokenWithScopes": ["chat"], "expiresInMinutes": 60});
        let reply = client.call_json("POST", &create, &body).await;
        assert_eq!(reply.status, 201, "{version}: {}", reply.text());
        let wanted = match supports(version, Feature::CreateTokenLifetime) {
            true => 60,
            false => 1440,
        };
        let expires_on = reply.json()["accessToken"]["expiresOn"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(minutes_left(&expires_on), wanted, "{version} create");

        // expiresInMinutes on issue: checked from 2022-09-01, ignored before.
        let id = reply.json()["identity"]["id"].as_str().unwrap().to_owned();
        let issue = format!(
            "/identities/{}/:issueAccessToken?api-version={version}",
            encoded(&id)
        );
        let reply = client
            .call_json(
                "POST",
                &issue,
                &json!({"scopes": ["chat"], "expiresInMinutes": 59}),
            )
            .await;
        if supports(version, Feature::TokenLifetime) {
            let (status, code, _, target) = reply.error();
            assert_eq!(
                (status, code.as_str()),
                (400, "ValidationError"),
                "{version}"
            );
            assert_eq!(target.as_deref(), Some("ExpiresInMinutes"));
        } else {
            assert_eq!(reply.status, 200, "{version}: {}", reply.text());
            let expires_on = reply.json()["expiresOn"].as_str().unwrap().to_owned();
            assert_eq!(minutes_left(&expires_on), 1440, "{version} issue");
        }

        // customId: one identity for two creates where the version has it, two where it does not.
        let custom_id = format!("ignored-or-not-{version}");
        let mut ids = Vec::new();
        for _ in 0..2 {
            let reply = client
                .call_json("POST", &create, &json!({"customId": custom_id}))
                .await;
            assert_eq!(reply.status, 201, "{version}: {}", reply.text());
            let identity = reply.json()["identity"].clone();
            assert_eq!(
                identity.get("customId").is_some(),
                supports(version, Feature::CustomId),
                "{version}: {identity}"
            );
            ids.push(identity["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            ids[0] == ids[1],
            supports(version, Feature::CustomId),
            "{version}: {ids:?}"
        );

        // GET identity: only where the version has it; elsewhere the recorded UnsupportedApiVersion.
        let target = format!("/identities/{}?api-version={version}", encoded(&id));
        let reply = client.call("GET", &target, "").await;
        if supports(version, Feature::GetUser) {
            assert_eq!(reply.status, 200, "{version}: {}", reply.text());
            assert_eq!(reply.json()["id"], id.as_str(), "{version}");
        } else {
            let (status, code, message, _) = reply.error();
            assert_eq!(
                (status, code.as_str()),
                (400, "UnsupportedApiVersion"),
                "{version}"
            );
            assert_eq!(
                message,
                format!(
                    "The HTTP resource that matches the request URI '{}{}' does not support the API version '{version}'.",
                    emulator.endpoint().trim_end_matches('/'),
                    target
                )
            );
        }
    }
}
