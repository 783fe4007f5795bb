//! Authentication: HMAC like the service, bearer tokens of the emulator's Entra ID, the token endpoint, TLS.

mod common;

use std::time::{Duration, SystemTime};

use acs_auth::{
    AccessKey, COMMUNICATION_SCOPE, ClientSecretCredential, WorkloadIdentityCredential,
    sign_request,
};
use acs_identity_emulator::{Emulator, EntraApp, EntraUser, Operation, RunningEmulator};
use common::{Client, Reply, STABLE};
use http::Request;
use serde_json::Value;
use uuid::Uuid;

const CREATE: &str = "/identities?api-version=2025-06-30";

async fn start() -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    (emulator, client)
}

fn assert_denied(reply: &Reply, inner: &str) {
    assert_eq!(reply.status, 401, "{}", reply.text());
    let json = reply.json();
    assert_eq!(json["error"]["code"], "Denied");
    assert_eq!(json["error"]["message"], "Denied by the resource provider.");
    assert_eq!(json["error"]["innererror"]["code"], inner, "{json}");
}

fn signed_at(client: &Client, key: &AccessKey, body: &str, at: SystemTime) -> Request<Vec<u8>> {
    let mut request = client.request("POST", CREATE, body);
    sign_request(&mut request, key, at);
    request
}

#[tokio::test]
async fn hmac_failures_are_401_with_an_acs_body() {
    let (emulator, client) = start().await;
    let key = emulator.access_key().clone();
    let now = SystemTime::now();

    let wrong_key = AccessKey::from_bytes(vec![7; 64]);
    assert_denied(
        &client
            .send(signed_at(&client, &wrong_key, "{}", now))
            .await
            .unwrap(),
        "InvalidHmacSignature",
    );

    let mut tampered = signed_at(&client, &key, "{}", now);
    *tampered.body_mut() = br#"{"createTokenWithScopes":["chat"]}"#.to_vec();
    let reply = client.send(tampered).await.unwrap();
    assert_denied(&reply, "InvalidHmacSignature");
    assert!(
        reply.json()["error"]["innererror"]["message"]
            .as_str()
            .unwrap()
            .contains("x-ms-content-sha256")
    );

    for stale in [
        now - Duration::from_secs(20 * 60),
        now + Duration::from_secs(20 * 60),
    ] {
        assert_denied(
            &client
                .send(signed_at(&client, &key, "", stale))
                .await
                .unwrap(),
            "InvalidHmacSignature",
        );
    }
    // A few seconds ahead is fine, as on the service.
    assert_eq!(
        client
            .send(signed_at(&client, &key, "", now + Duration::from_secs(5)))
            .await
            .unwrap()
            .status,
        201
    );

    for header in ["authorization", "x-ms-date", "x-ms-content-sha256"] {
        let mut request = signed_at(&client, &key, "", now);
        request.headers_mut().remove(header);
        assert_denied(&client.send(request).await.unwrap(), "InvalidHmacSignature");
    }
    assert_denied(
        &client
            .send(client.request("POST", CREATE, ""))
            .await
            .unwrap(),
        "InvalidHmacSignature",
    );

    // The signature covers the path as sent: re-encoding it breaks the signature.
    let id = common::create_identity(&client, STABLE).await;
    let mut request = client.request(
        "POST",
        &format!("/identities/{id}/:revokeAccessTokens?api-version={STABLE}"),
        "",
    );
    sign_request(&mut request, &key, now);
    *request.uri_mut() = format!(
        "/identities/{}/:revokeAccessTokens?api-version={STABLE}",
        common::encoded(&id)
    )
    .parse()
    .unwrap();
    assert_denied(&client.send(request).await.unwrap(), "InvalidHmacSignature");

    // Nothing was created by the refused requests.
    assert_eq!(emulator.identity_count().unwrap(), 2);
}

#[tokio::test]
async fn a_repeated_signature_is_accepted_within_the_window() {
    let (emulator, client) = start().await;
    let request = signed_at(
        &client,
        emulator.access_key(),
        "{}",
        SystemTime::now() - Duration::from_secs(90),
    );
    for _ in 0..3 {
        assert_eq!(client.send(request.clone()).await.unwrap().status, 201);
    }
    let records = emulator.requests().records_of(Operation::CreateIdentity);
    assert_eq!(records.len(), 3);
    assert!(
        records
            .windows(2)
            .all(|w| w[0].authorization_fingerprint == w[1].authorization_fingerprint)
    );
}

#[tokio::test]
async fn clock_skew_is_configurable() {
    let emulator = Emulator::builder()
        .max_clock_skew(Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let client = Client::new(&emulator);
    let late = signed_at(
        &client,
        emulator.access_key(),
        "",
        SystemTime::now() - Duration::from_secs(60),
    );
    assert_denied(&client.send(late).await.unwrap(), "InvalidHmacSignature");
}

async fn fetch_token(client: &Client, request: Request<Vec<u8>>) -> (u16, Value) {
    let (parts, body) = request.into_parts();
    let target = parts.uri.path_and_query().unwrap().as_str().to_owned();
    let mut forwarded = client.request(parts.method.as_str(), &target, body);
    for (name, value) in &parts.headers {
        forwarded.headers_mut().insert(name, value.clone());
    }
    let reply = client.send(forwarded).await.unwrap();
    (reply.status, reply.json())
}

#[tokio::test]
async fn bearer_tokens_from_the_token_endpoint_are_accepted() {
    let (emulator, client) = start().await;
    let app = emulator.entra_app().clone();
    let credential = ClientSecretCredential::new(
        emulator.entra_tenant_id().to_string(),
        app.client_id().to_string(),
        app.client_secret(),
    )
    .with_authority(emulator.entra_authority())
    .unwrap();
    let request = credential.token_request(&[COMMUNICATION_SCOPE]);
    let expected = emulator.entra_token_endpoint();
    assert_eq!(request.uri().to_string(), expected);
    let (status, body) = fetch_token(&client, request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    let token = acs_auth::parse_token_response(
        http::StatusCode::OK,
        &serde_json::to_vec(&body).unwrap(),
        SystemTime::now(),
    )
    .unwrap();

    let reply = client
        .send(client.bearer("POST", CREATE, "", token.token()))
        .await
        .unwrap();
    assert_eq!(reply.status, 201, "{}", reply.text());
    // Admin routes take it too.
    assert_eq!(
        client
            .send(client.bearer("GET", "/_emulator/info", "", token.token()))
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(emulator.requests().count(Operation::EntraTokenRequest), 1);

    // Workload identity: any well-formed, unexpired assertion.
    let workload = WorkloadIdentityCredential::new(
        emulator.entra_tenant_id().to_string(),
        app.client_id().to_string(),
    )
    .with_authority(emulator.entra_authority())
    .unwrap();
    let assertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDp3b3JrbG9hZCJ9.c2ln";
    let (status, body) = fetch_token(
        &client,
        workload.token_request(&[COMMUNICATION_SCOPE], assertion),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = fetch_token(
        &client,
        workload.token_request(&[COMMUNICATION_SCOPE], "garbage"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn token_endpoint_errors_look_like_entra() {
    let emulator = Emulator::builder()
        .entra_app(EntraApp::new(Uuid::from_u128(1), "the-secret"))
        .start()
        .await
        .unwrap();
    let client = Client::new(&emulator);
    let tenant = emulator.entra_tenant_id().to_string();
    let credential = |tenant: &str, client_id: &str, secret: &str| {
        ClientSecretCredential::new(tenant, client_id, secret)
            .with_authority(emulator.entra_authority())
            .unwrap()
    };
    let client_id = Uuid::from_u128(1).to_string();
    let cases = [
        (
            credential(&tenant, &client_id, "wrong").token_request(&[COMMUNICATION_SCOPE]),
            401,
            "invalid_client",
            7000215,
        ),
        (
            credential(&tenant, &client_id, "the-secret")
                .token_request(&["https://communication.azure.com/.default"]),
            400,
            "invalid_scope",
            70011,
        ),
        (
            credential(&tenant, &Uuid::new_v4().to_string(), "the-secret")
                .token_request(&[COMMUNICATION_SCOPE]),
            400,
            "unauthorized_client",
            700016,
        ),
        (
            credential("contoso.onmicrosoft.com", &client_id, "the-secret")
                .token_request(&[COMMUNICATION_SCOPE]),
            400,
            "invalid_tenant",
            90002,
        ),
    ];
    for (request, status, error, number) in cases {
        let (got, body) = fetch_token(&client, request).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{body}"
        );
        assert_eq!(body["error_codes"][0], number);
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("AADSTS{number}: "))
        );
        assert!(!body.to_string().contains("the-secret"));
    }
    let (status, body) = fetch_token(
        &client,
        credential(&tenant, &client_id, "the-secret").token_request(&[COMMUNICATION_SCOPE]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let reply = client
        .send(client.request(
            "GET",
            &format!("/{tenant}/v2.0/.well-known/openid-configuration"),
            "",
        ))
        .await
        .unwrap();
    assert_eq!(
        reply.json()["token_endpoint"],
        emulator.entra_token_endpoint()
    );
}

#[tokio::test]
async fn forged_or_misplaced_bearers_are_rejected() {
    let (emulator, client) = start().await;
    let other = Emulator::builder().start().await.unwrap();
    let user_token = emulator.issue_entra_user_token(&EntraUser::for_entra_exchange(
        Uuid::new_v4(),
        Uuid::new_v4(),
    ));
    let foreign_user = other.issue_entra_user_token(&EntraUser::for_entra_exchange(
        Uuid::new_v4(),
        Uuid::new_v4(),
    ));
    for token in [
        "garbage",
        "a.b.c",
        user_token.secret(),
        foreign_user.secret(),
    ] {
        let reply = client
            .send(client.bearer("POST", CREATE, "", token))
            .await
            .unwrap();
        assert_denied(&reply, "InvalidBearerToken");
    }
    // The exchanges want a user token, not HMAC.
    let exchange = "/access/entra/:exchangeAccessToken?api-version=2025-03-02-preview";
    let reply = client.call("POST", exchange, "{}").await;
    assert_eq!(reply.error().1, "InvalidAccessToken");
    let reply = client
        .send(client.bearer("POST", exchange, "{}", foreign_user.secret()))
        .await
        .unwrap();
    assert_eq!(reply.error().1, "InvalidAccessToken");
}

#[tokio::test]
async fn admin_routes_need_the_same_auth() {
    let (_emulator, client) = start().await;
    let reply = client
        .send(client.request("GET", "/_emulator/info", ""))
        .await
        .unwrap();
    assert_denied(&reply, "InvalidHmacSignature");
    let reply = client.call("GET", "/_emulator/info", "").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["scope"], COMMUNICATION_SCOPE);
    assert_eq!(
        client.call("GET", "/_emulator/nothing", "").await.status,
        404
    );
}

#[tokio::test]
async fn self_signed_tls_serves_https() {
    let dir = std::env::temp_dir().join(format!("acs-emulator-tls-{}", Uuid::new_v4()));
    let emulator = Emulator::builder()
        .self_signed_tls()
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    assert!(emulator.endpoint().starts_with("https://127.0.0.1:"));
    assert!(
        emulator
            .connection_string()
            .starts_with("endpoint=https://127.0.0.1:")
    );
    let pem = emulator.tls_certificate_pem().unwrap().to_owned();
    for name in ["localhost", "127.0.0.1"] {
        let client = Client::with_tls(&emulator, name);
        let reply = client.call("POST", CREATE, "").await;
        assert_eq!(reply.status, 201, "{name}");
    }
    emulator.shutdown().await;
    // The certificate is kept with the data, so that clients keep trusting it.
    let again = Emulator::builder()
        .self_signed_tls()
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    assert_eq!(again.tls_certificate_pem(), Some(pem.as_str()));
    again.shutdown().await;
    std::fs::remove_dir_all(dir).unwrap();
}
