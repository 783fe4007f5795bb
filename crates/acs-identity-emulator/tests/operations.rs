//! Every operation on every api-version it exists in, over real loopback HTTP.

mod common;

use std::time::{Duration, SystemTime};

use acs_identity_emulator::{Emulator, EntraUser, RunningEmulator, TokenStatus};
use acs_identity_types::Feature;
use base64::Engine as _;
use common::{
    Client, PREVIEW, STABLE, VERSIONS, assert_service_headers, create_identity, encoded, supports,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

async fn start() -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    (emulator, client)
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// `2025-04-14T17:32:27.2078535+00:00`
fn assert_expires_on_format(value: &str) {
    assert_eq!(value.len(), 33, "{value}");
    assert_eq!(&value[19..20], ".");
    assert!(value[20..27].bytes().all(|b| b.is_ascii_digit()), "{value}");
    assert!(value.ends_with("+00:00"), "{value}");
}

fn parse_time(value: &str) -> OffsetDateTime {
    OffsetDateTime::parse(value, &Rfc3339).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn assert_about(value: &str, from_now: Duration) {
    let expected = OffsetDateTime::now_utc() + from_now;
    let delta = (parse_time(value) - expected).abs();
    assert!(
        delta < time::Duration::seconds(30),
        "{value} is not about {expected}"
    );
}

fn assert_identity_id(emulator: &RunningEmulator, id: &str) {
    assert_eq!(id.len(), 79, "{id}");
    let suffix = id
        .strip_prefix(&format!("8:acs:{}_", emulator.resource_id()))
        .unwrap_or_else(|| panic!("{id}"));
    Uuid::parse_str(suffix).unwrap();
}

#[tokio::test]
async fn create_on_every_version_with_and_without_body() {
    let (emulator, client) = start().await;
    for version in VERSIONS {
        let target = format!("/identities?api-version={version}");
        for body in ["", "{}"] {
            let reply = client.call("POST", &target, body).await;
            assert_eq!(reply.status, 201, "{version} {body:?}: {}", reply.text());
            assert_service_headers(&reply);
            assert_eq!(
                reply.header("content-type"),
                Some("application/json; charset=utf-8")
            );
            assert_eq!(
                reply.header("content-length"),
                Some(reply.body.len().to_string().as_str())
            );
            let json = reply.json();
            assert_identity_id(&emulator, json["identity"]["id"].as_str().unwrap());
            assert!(json.get("accessToken").is_none(), "{json}");
            assert_eq!(json["identity"].as_object().unwrap().len(), 1, "{json}");
        }
        // Python sends Content-Type: application/json with an empty body.
        let mut request = client.request("POST", &target, "");
        request
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        acs_auth::sign_request(&mut request, emulator.access_key(), SystemTime::now());
        assert_eq!(client.send(request).await.unwrap().status, 201);

        let reply = client
            .call_json(
                "POST",
                &target,
                &json!({"createTokenWithScopes": ["chat", "voip"]}),
            )
            .await;
        assert_eq!(reply.status, 201);
        let json = reply.json();
        let token = &json["accessToken"];
        assert_expires_on_format(token["expiresOn"].as_str().unwrap());
        assert_about(
            token["expiresOn"].as_str().unwrap(),
            Duration::from_secs(24 * 3600),
        );
        let id = json["identity"]["id"].as_str().unwrap();
        let claims = claims(token["token"].as_str().unwrap());
        assert_eq!(claims["skypeid"], id.strip_prefix("8:").unwrap());
        assert_eq!(claims["acsScope"], "chat,voip");
        assert_eq!(claims["scp"], 1792);
        assert_eq!(claims["resourceId"], emulator.resource_id().to_string());
        assert_eq!(
            claims.as_object().unwrap().keys().collect::<Vec<_>>(),
            [
                "acsScope",
                "csi",
                "exp",
                "iat",
                "resourceId",
                "scp",
                "skypeid"
            ],
            "the claims of the service's tokens of about 740 characters"
        );
        // `csi`: the issue time, `<seconds>.<nanoseconds>`; its seconds are `iat`.
        let csi = claims["csi"].as_str().unwrap();
        let (seconds, nanos) = csi.split_once('.').unwrap();
        assert_eq!(seconds, claims["iat"].to_string(), "{csi}");
        assert_eq!(nanos.len(), 9, "{csi}");
    }
}

#[tokio::test]
async fn token_lifetime_is_honoured_where_the_table_says() {
    let (_emulator, client) = start().await;
    for version in VERSIONS {
        // Issue from 2022-09-01, create from 2022-10-01.
        let honoured = supports(version, Feature::TokenLifetime);
        let on_create = supports(version, Feature::CreateTokenLifetime);
        let expected = Duration::from_secs(if on_create { 3600 } else { 24 * 3600 });
        let body = json!({"createTokenWithScopes": ["chat"], "expiresInMinutes": 60});
        let reply = client
            .call_json("POST", &format!("/identities?api-version={version}"), &body)
            .await;
        assert_eq!(reply.status, 201);
        let json = reply.json();
        assert_about(json["accessToken"]["expiresOn"].as_str().unwrap(), expected);

        let id = json["identity"]["id"].as_str().unwrap();
        let target = format!(
            "/identities/{}/:issueAccessToken?api-version={version}",
            encoded(id)
        );
        let reply = client
            .call_json(
                "POST",
                &target,
                &json!({"scopes": ["voip"], "expiresInMinutes": 1440}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_about(
            reply.json()["expiresOn"].as_str().unwrap(),
            Duration::from_secs(24 * 3600),
        );
        let reply = client
            .call_json(
                "POST",
                &target,
                &json!({"scopes": ["voip"], "expiresInMinutes": 61}),
            )
            .await;
        let expected = Duration::from_secs(if honoured { 61 * 60 } else { 24 * 3600 });
        assert_about(reply.json()["expiresOn"].as_str().unwrap(), expected);
    }
}

#[tokio::test]
async fn issue_revoke_delete_on_every_version_with_both_path_encodings() {
    let (emulator, client) = start().await;
    for version in VERSIONS {
        for encode in [true, false] {
            let id = create_identity(&client, version).await;
            let path = if encode { encoded(&id) } else { id.clone() };

            let target = format!("/identities/{path}/:issueAccessToken?api-version={version}");
            let scopes = match supports(version, Feature::JoinScopes) {
                true => {
                    r#"{"scopes": ["chat", "voip", "chat.join", "chat.join.limited", "voip.join"]}"#
                }
                false => r#"{"scopes": ["chat", "voip"]}"#,
            };
            let reply = client.call("POST", &target, scopes).await;
            assert_eq!(reply.status, 200, "{version} {path}: {}", reply.text());
            assert_service_headers(&reply);
            let json = reply.json();
            assert_eq!(json.as_object().unwrap().len(), 2, "{json}");
            assert_expires_on_format(json["expiresOn"].as_str().unwrap());
            let token = json["token"].as_str().unwrap().to_owned();
            assert!(emulator.check_access_token(&token).is_valid());

            let reply = client
                .call(
                    "POST",
                    &format!("/identities/{path}/:revokeAccessTokens?api-version={version}"),
                    "",
                )
                .await;
            assert_eq!(reply.status, 204, "{}", reply.text());
            assert_service_headers(&reply);
            assert!(reply.body.is_empty());
            assert_eq!(reply.header("content-type"), None);
            assert_eq!(reply.header("content-length"), None);
            assert_eq!(emulator.check_access_token(&token), TokenStatus::Revoked);

            let reply = client
                .call(
                    "DELETE",
                    &format!("/identities/{path}?api-version={version}"),
                    "",
                )
                .await;
            assert_eq!(reply.status, 204, "{}", reply.text());
            assert_eq!(reply.header("content-type"), None);
            assert_eq!(
                emulator.check_access_token(&token),
                TokenStatus::IdentityDeleted
            );
        }
    }
}

#[tokio::test]
async fn revocation_spares_tokens_issued_after_it() {
    let (emulator, client) = start().await;
    let reply = client
        .call_json(
            "POST",
            &format!("/identities?api-version={STABLE}"),
            &json!({"createTokenWithScopes": ["chat"]}),
        )
        .await;
    let json = reply.json();
    let id = json["identity"]["id"].as_str().unwrap();
    let before = json["accessToken"]["token"].as_str().unwrap();
    client
        .call(
            "POST",
            &format!("/identities/{id}/:revokeAccessTokens?api-version={STABLE}"),
            "",
        )
        .await;
    let reply = client
        .call(
            "POST",
            &format!("/identities/{id}/:issueAccessToken?api-version={STABLE}"),
            r#"{"scopes":["chat"]}"#,
        )
        .await;
    let after = reply.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(emulator.check_access_token(before), TokenStatus::Revoked);
    match emulator.check_access_token(&after) {
        TokenStatus::Valid {
            identity, scopes, ..
        } => {
            assert_eq!(identity, id);
            assert_eq!(scopes, ["chat"]);
        }
        other => panic!("{other:?}"),
    }
    // The admin route says the same.
    let validate = |token: &str| {
        let body = serde_json::to_vec(&json!({"token": token})).unwrap();
        client.call("POST", "/_emulator/tokens/:validate", body)
    };
    let reply = validate(before).await;
    assert_eq!(reply.json()["status"], "revoked");
    assert_eq!(reply.json()["valid"], false);
    let reply = validate(&after).await;
    assert_eq!(reply.json()["valid"], true);
    assert_eq!(reply.json()["identity"], id);
    assert_eq!(validate("garbage").await.json()["status"], "invalid");
}

#[tokio::test]
async fn get_identity_and_custom_id_on_the_preview() {
    let (emulator, client) = start().await;
    let create = format!("/identities?api-version={PREVIEW}");
    let first = client
        .call_json("POST", &create, &json!({"customId": "alice@contoso.com"}))
        .await;
    assert_eq!(first.status, 201);
    let identity = &first.json()["identity"];
    assert_eq!(identity["customId"], "alice@contoso.com");
    assert!(identity.get("lastTokenIssuedAt").is_none(), "{identity}");
    let id = identity["id"].as_str().unwrap().to_owned();

    // A repeated customId: 201 again, the same identity.
    let again = client
        .call_json(
            "POST",
            &create,
            &json!({"customId": "alice@contoso.com", "createTokenWithScopes": ["chat"]}),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json()["identity"]["id"], id.as_str());
    assert!(again.json().get("accessToken").is_some());

    let reply = client
        .call(
            "GET",
            &format!("/identities/{}?api-version={PREVIEW}", encoded(&id)),
            "",
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_service_headers(&reply);
    let json = reply.json();
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["customId"], "alice@contoso.com");
    let issued = json["lastTokenIssuedAt"].as_str().unwrap();
    assert_eq!(issued.len(), 25, "{issued}");
    assert!(issued.ends_with("+00:00"));
    assert_about(issued, Duration::ZERO);

    // The third create returns the earlier lastTokenIssuedAt.
    let third = client
        .call_json("POST", &create, &json!({"customId": "alice@contoso.com"}))
        .await;
    assert_eq!(third.json()["identity"]["lastTokenIssuedAt"], issued);

    // A plain identity has neither field.
    let plain = create_identity(&client, PREVIEW).await;
    let reply = client
        .call(
            "GET",
            &format!("/identities/{plain}?api-version={PREVIEW}"),
            "",
        )
        .await;
    assert_eq!(reply.json(), json!({"id": plain}));

    // customId is ignored by versions that lack it.
    let stable = format!("/identities?api-version={STABLE}");
    let a = client
        .call_json("POST", &stable, &json!({"customId": "bob"}))
        .await
        .json();
    let b = client
        .call_json("POST", &stable, &json!({"customId": "bob"}))
        .await
        .json();
    assert_ne!(a["identity"]["id"], b["identity"]["id"]);
    assert!(a["identity"].get("customId").is_none());

    // Deleting frees the customId.
    client
        .call(
            "DELETE",
            &format!("/identities/{id}?api-version={PREVIEW}"),
            "",
        )
        .await;
    let fresh = client
        .call_json("POST", &create, &json!({"customId": "alice@contoso.com"}))
        .await;
    assert_ne!(fresh.json()["identity"]["id"], id.as_str());
    assert_eq!(emulator.identity_count().unwrap(), 4);
}

#[tokio::test]
async fn client_request_id_is_echoed() {
    let (emulator, client) = start().await;
    let mut request = client.request("POST", &format!("/identities?api-version={STABLE}"), "");
    request.headers_mut().insert(
        "x-ms-client-request-id",
        "5ad5d4e7-1a9d-4f3e-9f6c-0c8a6c9a4c11".parse().unwrap(),
    );
    acs_auth::sign_request(&mut request, emulator.access_key(), SystemTime::now());
    let reply = client.send(request).await.unwrap();
    assert_eq!(
        reply.header("x-ms-client-request-id"),
        Some("5ad5d4e7-1a9d-4f3e-9f6c-0c8a6c9a4c11")
    );
    let reply = client
        .call("POST", &format!("/identities?api-version={STABLE}"), "")
        .await;
    assert_eq!(reply.header("x-ms-client-request-id"), None);
}

#[tokio::test]
async fn teams_user_exchange_where_the_table_says() {
    let (emulator, client) = start().await;
    let (user, app) = (Uuid::new_v4(), Uuid::new_v4());
    let entra = emulator.issue_entra_user_token(&EntraUser::teams_user(user, app));
    let body =
        json!({"token": entra.secret(), "appId": app.to_string(), "userId": user.to_string()});
    for version in VERSIONS {
        let reply = client
            .call_json(
                "POST",
                &format!("/teamsUser/:exchangeAccessToken?api-version={version}"),
                &body,
            )
            .await;
        if !supports(version, Feature::TeamsUserExchange) {
            assert_eq!(reply.error().1, "UnsupportedApiVersion");
            continue;
        }
        assert_eq!(reply.status, 200, "{version}: {}", reply.text());
        let json = reply.json();
        let expires_on = json["expiresOn"].as_str().unwrap();
        assert_expires_on_format(expires_on);
        assert_eq!(
            parse_time(expires_on),
            entra.expires_on(),
            "expires with the Entra token"
        );
        let token = json["token"].as_str().unwrap();
        assert_eq!(claims(token)["skypeid"], format!("orgid:{user}"));
        assert!(emulator.check_access_token(token).is_valid());
    }
}

#[tokio::test]
async fn teams_extension_assignments_and_exchange() {
    let (emulator, client) = start().await;
    let (tenant, object, app) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mut user = EntraUser::teams_user(object, app);
    user.tenant_id = Some(tenant);
    let user_token = emulator.issue_entra_user_token(&user);
    for version in VERSIONS {
        let path = format!(
            "/access/teamsExtension/tenants/{tenant}/assignments/{object}?api-version={version}"
        );
        let exchange = format!("/access/teamsExtension/:exchangeAccessToken?api-version={version}");
        if !supports(version, Feature::TeamsExtensionAssignments) {
            assert_eq!(
                client.call("GET", &path, "").await.error().1,
                "UnsupportedApiVersion"
            );
            let reply = client
                .send(client.bearer("POST", &exchange, "{}", user_token.secret()))
                .await
                .unwrap();
            assert_eq!(reply.error().1, "UnsupportedApiVersion");
            continue;
        }
        assert_eq!(client.call("GET", &path, "").await.error().0, 404);
        // Not assigned yet.
        let reply = client
            .send(client.bearer("POST", &exchange, "{}", user_token.secret()))
            .await
            .unwrap();
        assert_eq!(reply.status, 403, "{}", reply.text());

        let reply = client
            .call_json("PUT", &path, &json!({"principalType": "user"}))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        let expected = json!({"objectId": object.to_string(), "tenantId": tenant.to_string(), "principalType": "user"});
        assert_eq!(reply.json(), expected);
        let reply = client
            .call_json(
                "PUT",
                &path,
                &json!({"principalType": "user", "clientIds": [app.to_string()]}),
            )
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["clientIds"], json!([app.to_string()]));
        let reply = client.call("GET", &path, "").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["clientIds"], json!([app.to_string()]));

        let reply = client
            .send(client.bearer("POST", &exchange, "{}", user_token.secret()))
            .await
            .unwrap();
        assert_eq!(reply.status, 200, "{}", reply.text());
        let json = reply.json();
        assert_eq!(
            json["identity"]["id"],
            format!("8:acs:{}_{tenant}_{object}", emulator.resource_id())
        );
        assert_eq!(
            parse_time(json["accessToken"]["expiresOn"].as_str().unwrap()),
            user_token.expires_on()
        );

        // Another application of the same user is not listed.
        let mut other = user.clone();
        other.app_id = Uuid::new_v4();
        let other = emulator.issue_entra_user_token(&other);
        let reply = client
            .send(client.bearer("POST", &exchange, "{}", other.secret()))
            .await
            .unwrap();
        assert_eq!(reply.status, 403);

        let reply = client.call("DELETE", &path, "").await;
        assert_eq!(reply.status, 204);
        assert_eq!(
            client.call("DELETE", &path, "").await.status,
            204,
            "idempotent"
        );
        assert_eq!(
            client.call("GET", &path, "").await.error().1,
            "AssignmentNotFound"
        );
    }
}

#[tokio::test]
async fn entra_assignments_and_exchange_on_the_preview() {
    let emulator = Emulator::builder()
        .entra_assignments_page_size(2)
        .start()
        .await
        .unwrap();
    let client = Client::new(&emulator);
    let tenant = emulator.entra_tenant_id();
    let (object, group, app) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    for version in VERSIONS
        .iter()
        .filter(|v| !supports(v, Feature::EntraAssignments))
    {
        let reply = client
            .call(
                "GET",
                &format!("/access/entra/assignments?api-version={version}"),
                "",
            )
            .await;
        assert_eq!(reply.error().1, "UnsupportedApiVersion", "{version}");
    }
    let one = |id: Uuid| format!("/access/entra/assignments/{id}?api-version={PREVIEW}");
    let assignment = json!({"tenantId": tenant.to_string(), "principalType": "user", "clientIds": [app.to_string()]});
    let reply = client.call_json("PUT", &one(object), &assignment).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["objectId"], object.to_string());
    assert_eq!(
        client
            .call_json("PUT", &one(object), &assignment)
            .await
            .status,
        200
    );
    assert_eq!(
        client.call("GET", &one(object), "").await.json()["principalType"],
        "user"
    );

    let user = EntraUser::for_entra_exchange(object, app);
    let token = emulator.issue_entra_user_token(&user);
    let exchange = format!("/access/entra/:exchangeAccessToken?api-version={PREVIEW}");
    let reply = client
        .send(client.bearer("POST", &exchange, "{}", token.secret()))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["identity"]["id"],
        format!("8:acs:{}_wf_{tenant}_{object}", emulator.resource_id())
    );

    // A group member, assigned through the group; then removed by a merge-patch.
    let member = Uuid::new_v4();
    let patch = json!({
        group.to_string(): {"tenantId": tenant.to_string(), "principalType": "group", "clientIds": [app.to_string()]},
        object.to_string(): null,
    });
    let reply = client
        .call_json(
            "PATCH",
            &format!("/access/entra/assignments?api-version={PREVIEW}"),
            &patch,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["value"].as_array().unwrap().len(), 1);
    assert_eq!(client.call("GET", &one(object), "").await.status, 404);
    let reply = client
        .send(client.bearer("POST", &exchange, "{}", token.secret()))
        .await
        .unwrap();
    assert_eq!(reply.status, 403, "the user's own assignment is gone");
    let mut in_group = EntraUser::for_entra_exchange(member, app);
    in_group.groups = vec![group];
    let token = emulator.issue_entra_user_token(&in_group);
    let reply = client
        .send(client.bearer("POST", &exchange, "{}", token.secret()))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());

    // Paging with nextLink.
    for _ in 0..2 {
        client
            .call_json("PUT", &one(Uuid::new_v4()), &assignment)
            .await;
    }
    let mut target = format!("/access/entra/assignments?api-version={PREVIEW}");
    let mut seen = 0;
    for _ in 0..5 {
        let json = client.call("GET", &target, "").await.json();
        seen += json["value"].as_array().unwrap().len();
        match json["nextLink"].as_str() {
            Some(link) => {
                target = link
                    .strip_prefix(emulator.endpoint())
                    .map(|t| format!("/{t}"))
                    .unwrap()
            }
            None => break,
        }
    }
    assert_eq!(seen, 3);
    assert_eq!(client.call("DELETE", &one(group), "").await.status, 204);
}

#[tokio::test]
async fn the_admin_route_mints_entra_user_tokens() {
    let (emulator, client) = start().await;
    let (user, app) = (Uuid::new_v4(), Uuid::new_v4());
    let body =
        json!({"objectId": user.to_string(), "appId": app.to_string(), "expiresInSeconds": 600});
    let reply = client
        .call_json("POST", "/_emulator/entra/users/:issueToken", &body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let minted = reply.json();
    assert_about(
        minted["expiresOn"].as_str().unwrap(),
        Duration::from_secs(600),
    );
    let exchange = json!({"token": minted["accessToken"], "appId": app.to_string(), "userId": user.to_string()});
    let reply = client
        .call_json(
            "POST",
            &format!("/teamsUser/:exchangeAccessToken?api-version={STABLE}"),
            &exchange,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    let expired =
        json!({"objectId": user.to_string(), "appId": app.to_string(), "expiresInSeconds": -60});
    let token = client
        .call_json("POST", "/_emulator/entra/users/:issueToken", &expired)
        .await
        .json();
    let exchange = json!({"token": token["accessToken"], "appId": app.to_string(), "userId": user.to_string()});
    let reply = client
        .call_json(
            "POST",
            &format!("/teamsUser/:exchangeAccessToken?api-version={STABLE}"),
            &exchange,
        )
        .await;
    assert_eq!(reply.error().1, "InvalidAccessToken");

    let info = client.call("GET", "/_emulator/info", "").await.json();
    assert_eq!(info["endpoint"], emulator.endpoint());
    assert_eq!(
        info["entraClientId"],
        emulator.entra_app().client_id().to_string()
    );
    assert_eq!(info["entraTokenEndpoint"], emulator.entra_token_endpoint());
}
