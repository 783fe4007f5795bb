//! Every error row of SERVICE.md, exactly, and the emulator's decisions for the unrecorded cases.

mod common;

use std::time::{Duration, SystemTime};

use acs_identity_emulator::{Emulator, EntraUser, RunningEmulator};
use common::{Client, PREVIEW, STABLE, VERSIONS, create_identity, encoded};
use serde_json::json;
use uuid::Uuid;

async fn start() -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    (emulator, client)
}

fn row(
    status: u16,
    code: &str,
    message: &str,
    target: Option<&str>,
) -> (u16, String, String, Option<String>) {
    (status, code.into(), message.into(), target.map(Into::into))
}

#[tokio::test]
async fn expires_in_minutes_out_of_range_on_create_and_issue() {
    let (_emulator, client) = start().await;
    for version in ["2022-10-01", "2023-10-01", STABLE, PREVIEW] {
        let id = create_identity(&client, version).await;
        for minutes in [59, 1441, 0, -5] {
            let message = format!(
                "ExpiresInMinutes value {minutes} is invalid. Value must be within the [60, 1440] interval."
            );
            let expected = row(400, "ValidationError", &message, Some("ExpiresInMinutes"));
            let body = json!({"createTokenWithScopes": ["chat"], "expiresInMinutes": minutes});
            let reply = client
                .call_json("POST", &format!("/identities?api-version={version}"), &body)
                .await;
            assert_eq!(reply.error(), expected, "create {version}");
            let body = json!({"scopes": ["chat"], "expiresInMinutes": minutes});
            let target = format!(
                "/identities/{}/:issueAccessToken?api-version={version}",
                encoded(&id)
            );
            assert_eq!(
                client.call_json("POST", &target, &body).await.error(),
                expected,
                "issue {version}"
            );
        }
    }
}

#[tokio::test]
async fn scopes_empty_missing_and_unknown() {
    let (_emulator, client) = start().await;
    for version in VERSIONS {
        let id = create_identity(&client, version).await;
        let target = format!(
            "/identities/{}/:issueAccessToken?api-version={version}",
            encoded(&id)
        );
        let empty = row(
            400,
            "ValidationError",
            "Invalid scopes - Scopes field is required.",
            Some("scopes"),
        );
        assert_eq!(
            client
                .call("POST", &target, r#"{"scopes":[]}"#)
                .await
                .error(),
            empty
        );
        let missing = row(
            400,
            "ValidationError",
            "Scopes: The Scopes field is required.",
            Some("Scopes"),
        );
        assert_eq!(client.call("POST", &target, "{}").await.error(), missing);
        assert_eq!(client.call("POST", &target, "").await.error(), missing);
        assert_eq!(
            client
                .call("POST", &target, r#"{"scopes":null}"#)
                .await
                .error(),
            missing
        );
        let unknown = row(
            400,
            "ValidationError",
            "Invalid scopes - Provided scope is not supported.",
            Some("scopes"),
        );
        assert_eq!(
            client
                .call("POST", &target, r#"{"scopes":["chat","pstn"]}"#)
                .await
                .error(),
            unknown
        );
        let create = format!("/identities?api-version={version}");
        let reply = client
            .call("POST", &create, r#"{"createTokenWithScopes":["nope"]}"#)
            .await;
        assert_eq!(reply.error().3.as_deref(), Some("createTokenWithScopes"));
        // No scopes on create: an identity without a token.
        let reply = client
            .call("POST", &create, r#"{"createTokenWithScopes":[]}"#)
            .await;
        assert_eq!(reply.status, 201);
        assert!(reply.json().get("accessToken").is_none());
    }
}

#[tokio::test]
async fn another_resources_identity_is_not_owned() {
    let (_emulator, client) = start().await;
    let foreign = format!("8:acs:{}_{}", Uuid::new_v4(), Uuid::new_v4());
    let expected = row(
        401,
        "IdentityNotOwned",
        "Provided identity doesn't belong to the resource.",
        None,
    );
    for version in VERSIONS {
        for path in [encoded(&foreign), foreign.clone()] {
            let issue = format!("/identities/{path}/:issueAccessToken?api-version={version}");
            assert_eq!(
                client
                    .call("POST", &issue, r#"{"scopes":["chat"]}"#)
                    .await
                    .error(),
                expected
            );
            let revoke = format!("/identities/{path}/:revokeAccessTokens?api-version={version}");
            assert_eq!(client.call("POST", &revoke, "").await.error(), expected);
            let delete = format!("/identities/{path}?api-version={version}");
            assert_eq!(client.call("DELETE", &delete, "").await.error(), expected);
        }
    }
    let get = format!("/identities/{foreign}?api-version={PREVIEW}");
    assert_eq!(client.call("GET", &get, "").await.error(), expected);
}

#[tokio::test]
async fn unknown_deleted_and_malformed_identities() {
    let (emulator, client) = start().await;
    let not_found = row(
        404,
        "IdentityNotFound",
        "Provided identity doesn't exist.",
        None,
    );
    let never = format!("8:acs:{}_{}", emulator.resource_id(), Uuid::new_v4());
    let deleted = create_identity(&client, STABLE).await;
    client
        .call(
            "DELETE",
            &format!("/identities/{deleted}?api-version={STABLE}"),
            "",
        )
        .await;
    for id in [never, deleted] {
        let issue = format!("/identities/{id}/:issueAccessToken?api-version={PREVIEW}");
        assert_eq!(
            client
                .call("POST", &issue, r#"{"scopes":["chat"]}"#)
                .await
                .error(),
            not_found
        );
        let revoke = format!("/identities/{id}/:revokeAccessTokens?api-version={PREVIEW}");
        assert_eq!(client.call("POST", &revoke, "").await.error(), not_found);
        assert_eq!(
            client
                .call(
                    "DELETE",
                    &format!("/identities/{id}?api-version={PREVIEW}"),
                    ""
                )
                .await
                .error(),
            not_found
        );
        assert_eq!(
            client
                .call(
                    "GET",
                    &format!("/identities/{id}?api-version={PREVIEW}"),
                    ""
                )
                .await
                .error(),
            not_found
        );
    }
    let malformed = row(
        400,
        "ValidationError",
        "Provided identity has invalid format.",
        Some("id"),
    );
    for id in [
        "nonsense",
        "8:acs:",
        "8:acs:not-a-guid_x",
        "4:+14255550123",
        &format!("8:acs:{}_", emulator.resource_id()),
    ] {
        let target = format!(
            "/identities/{}/:revokeAccessTokens?api-version={STABLE}",
            encoded(id)
        );
        assert_eq!(
            client.call("POST", &target, "").await.error(),
            malformed,
            "{id}"
        );
    }
}

#[tokio::test]
async fn custom_id_bounds() {
    let (_emulator, client) = start().await;
    let create = format!("/identities?api-version={PREVIEW}");
    let invalid = row(
        400,
        "ValidationError",
        "CustomId: The field CustomId must be a string with a minimum length of 1 and a maximum length of 256.",
        Some("CustomId"),
    );
    for custom_id in [String::new(), "  ".into(), "x".repeat(257)] {
        assert_eq!(
            client
                .call_json("POST", &create, &json!({"customId": custom_id}))
                .await
                .error(),
            invalid
        );
    }
    let longest = "é".repeat(256);
    let reply = client
        .call_json("POST", &create, &json!({"customId": longest}))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["identity"]["customId"], longest.as_str());
}

#[tokio::test]
async fn teams_user_exchange_rows() {
    let (emulator, client) = start().await;
    let (user, app) = (Uuid::new_v4(), Uuid::new_v4());
    let token = emulator.issue_entra_user_token(&EntraUser::teams_user(user, app));
    let expired = emulator.issue_entra_user_token(
        &EntraUser::teams_user(user, app).expires_at(SystemTime::now() - Duration::from_secs(60)),
    );
    let wrong_audience = emulator.issue_entra_user_token(&EntraUser::for_entra_exchange(user, app));
    let (app, user) = (app.to_string(), user.to_string());
    let (other_app, other_user) = (Uuid::new_v4().to_string(), Uuid::new_v4().to_string());
    let invalid_token = row(
        401,
        "InvalidAccessToken",
        "Provided access token is not valid.",
        None,
    );
    let cases = [
        (
            json!({"token": "", "appId": app, "userId": user}),
            invalid_token.clone(),
        ),
        (json!({"appId": app, "userId": user}), invalid_token.clone()),
        (
            json!({"token": "not-a-jwt", "appId": app, "userId": user}),
            invalid_token.clone(),
        ),
        (
            json!({"token": expired.secret(), "appId": app, "userId": user}),
            invalid_token.clone(),
        ),
        (
            json!({"token": wrong_audience.secret(), "appId": app, "userId": user}),
            invalid_token.clone(),
        ),
        (
            json!({"token": token.secret(), "appId": "", "userId": user}),
            row(
                400,
                "ValidationError",
                "AppId: The AppId field is required.",
                Some("AppId"),
            ),
        ),
        (
            json!({"token": token.secret(), "appId": "not-a-guid", "userId": user}),
            row(
                400,
                "ValidationError",
                "Provided AppId has invalid format.",
                Some("appId"),
            ),
        ),
        (
            json!({"token": token.secret(), "appId": other_app, "userId": user}),
            row(
                400,
                "ValidationError",
                "AAD application is not the expected one.",
                Some("appId"),
            ),
        ),
        (
            json!({"token": token.secret(), "appId": app, "userId": ""}),
            row(
                400,
                "ValidationError",
                "UserId: The UserId field is required.",
                Some("UserId"),
            ),
        ),
        (
            json!({"token": token.secret(), "appId": app, "userId": "bad"}),
            row(
                400,
                "ValidationError",
                "Provided UserId has invalid format.",
                Some("userId"),
            ),
        ),
        (
            json!({"token": token.secret(), "appId": app, "userId": other_user}),
            row(
                400,
                "ValidationError",
                "Provided AAD token issued for unexpected user.",
                Some("userId"),
            ),
        ),
    ];
    for version in VERSIONS
        .iter()
        .filter(|v| common::supports(v, acs_identity_types::Feature::TeamsUserExchangeChecks))
    {
        let target = format!("/teamsUser/:exchangeAccessToken?api-version={version}");
        for (body, expected) in &cases {
            assert_eq!(
                client.call_json("POST", &target, body).await.error(),
                *expected,
                "{version} {body}"
            );
        }
    }
}

#[tokio::test]
async fn api_version_unsupported_or_missing() {
    let (emulator, client) = start().await;
    let port = emulator.local_addr().port();
    for (target, version) in [
        (
            "/identities?api-version=2020-07-20-preview1".to_owned(),
            "2020-07-20-preview1",
        ),
        (
            format!(
                "/identities/{}?api-version={STABLE}",
                create_identity(&client, STABLE).await
            ),
            STABLE,
        ),
        (
            "/access/entra/assignments?api-version=2023-10-01".to_owned(),
            "2023-10-01",
        ),
    ] {
        let method = if target.starts_with("/identities?") {
            "POST"
        } else {
            "GET"
        };
        let message = format!(
            "The HTTP resource that matches the request URI 'http://127.0.0.1:{port}{target}' does not support the API version '{version}'."
        );
        assert_eq!(
            client.call(method, &target, "").await.error(),
            row(400, "UnsupportedApiVersion", &message, None)
        );
    }
    let missing = row(
        400,
        "ApiVersionUnspecified",
        "An API version is required, but was not specified.",
        None,
    );
    assert_eq!(
        client.call("POST", "/identities", "").await.error(),
        missing
    );
    assert_eq!(
        client
            .call("POST", "/identities?api-version=", "")
            .await
            .error(),
        missing
    );
}

#[tokio::test]
async fn routing_and_body_errors() {
    let (_emulator, client) = start().await;
    assert_eq!(
        client
            .call("POST", &format!("/nothing?api-version={STABLE}"), "")
            .await
            .error()
            .0,
        404
    );
    let reply = client
        .call("GET", &format!("/identities?api-version={STABLE}"), "")
        .await;
    assert_eq!(
        reply.error(),
        row(
            405,
            "MethodNotAllowed",
            "The requested resource does not support http method 'GET'.",
            None
        )
    );
    for body in [
        "{",
        "[1]",
        r#"{"createTokenWithScopes":"chat"}"#,
        r#"{"expiresInMinutes":"60"}"#,
    ] {
        let reply = client
            .call("POST", &format!("/identities?api-version={STABLE}"), body)
            .await;
        assert_eq!(reply.error().1, "InvalidRequestBody", "{body}");
    }
}

#[tokio::test]
async fn errors_are_chunked_plain_json_with_service_headers() {
    let (_emulator, client) = start().await;
    let reply = client.call("POST", "/identities", "").await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.header("content-length"), None);
    common::assert_service_headers(&reply);
}

#[tokio::test]
async fn assignment_validation() {
    let (_emulator, client) = start().await;
    let (tenant, object) = (Uuid::new_v4(), Uuid::new_v4());
    let path = |t: &str, o: &str| {
        format!("/access/teamsExtension/tenants/{t}/assignments/{o}?api-version={STABLE}")
    };
    let reply = client
        .call_json(
            "PUT",
            &path("bad", &object.to_string()),
            &json!({"principalType": "user"}),
        )
        .await;
    assert_eq!(
        reply.error(),
        row(
            400,
            "ValidationError",
            "Provided TenantId has invalid format.",
            Some("tenantId")
        )
    );
    let good = path(&tenant.to_string(), &object.to_string());
    let reply = client.call_json("PUT", &good, &json!({})).await;
    assert_eq!(
        reply.error(),
        row(
            400,
            "ValidationError",
            "PrincipalType: The PrincipalType field is required.",
            Some("PrincipalType")
        )
    );
    let reply = client
        .call_json("PUT", &good, &json!({"principalType": "group"}))
        .await;
    assert_eq!(reply.error().3.as_deref(), Some("principalType"));
    let reply = client
        .call_json(
            "PUT",
            &good,
            &json!({"principalType": "user", "clientIds": ["x"]}),
        )
        .await;
    assert_eq!(
        reply.error(),
        row(
            400,
            "ValidationError",
            "Provided ClientId has invalid format.",
            Some("clientIds")
        )
    );
    let entra = format!("/access/entra/assignments/{object}?api-version={PREVIEW}");
    let reply = client
        .call_json(
            "PUT",
            &entra,
            &json!({"principalType": "user", "clientIds": []}),
        )
        .await;
    assert_eq!(reply.error().3.as_deref(), Some("TenantId"));
    let reply = client
        .call_json(
            "PUT",
            &entra,
            &json!({"tenantId": tenant.to_string(), "principalType": "user"}),
        )
        .await;
    assert_eq!(reply.error().3.as_deref(), Some("ClientIds"));
}
