//! Every route end to end: real HTTP to the service, a real issuer (the emulator's, RS256/ES256 keys), a
//! real ACS (the emulator).

mod common;

use acs_identity_emulator::{EntraUser, SignInUser, SigningAlgorithm};
use common::{error_code, start};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_user_gets_an_identity_tokens_and_can_leave() {
    let service = start("", "").await;
    let alice = service.sign_in("alice");

    let (status, created) = service.call(Method::POST, "/user", &alice).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("8:acs:"), "{id}");
    let custom_id = format!("{}|alice", service.emulator.oidc_issuer());
    assert_eq!(created["customId"], custom_id);
    // The same user always maps to the same identity, with no mapping table.
    let (_, again) = service.call(Method::POST, "/user", &alice).await;
    assert_eq!(again["id"], id.as_str());

    let (status, token) = service
        .post_json("/token", &alice, json!({"scopes": ["chat"]}))
        .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["userId"], id.as_str());
    assert_eq!(token["scopes"], json!(["chat"]));
    let acs_token = token["token"].as_str().expect("token").to_owned();
    assert!(service.emulator.check_access_token(&acs_token).is_valid());

    let (status, detail) = service.call(Method::GET, "/user", &alice).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["id"], id.as_str());
    assert_eq!(detail["customId"], custom_id);
    assert!(detail["lastTokenIssuedAt"].is_string(), "{detail}");

    let (status, _) = service.call(Method::POST, "/token/revoke", &alice).await;
    assert_eq!(status, 204);
    assert_eq!(
        service.emulator.check_access_token(&acs_token).name(),
        "revoked"
    );

    let (status, _) = service.call(Method::DELETE, "/user", &alice).await;
    assert_eq!(status, 204);
    let (_, recreated) = service.call(Method::POST, "/user", &alice).await;
    assert_ne!(
        recreated["id"],
        id.as_str(),
        "a deleted identity does not come back"
    );

    // Another user gets another identity; ES256 sign-ins work the same.
    let bob =
        service.sign_in_as(&SignInUser::with_subject("bob").algorithm(SigningAlgorithm::Es256));
    let (status, bob_user) = service.call(Method::POST, "/user", &bob).await;
    assert_eq!(status, 200, "{bob_user}");
    assert_ne!(bob_user["id"], recreated["id"]);
    service.stop().await;
}

#[tokio::test]
async fn the_policy_refuses_more_than_it_grants() {
    let service = start(
        "",
        "[[policy.rules]]\nroles = [\"Calling\"]\nscopes = [\"voip\"]\nmax_lifetime_minutes = 240\n",
    )
    .await;
    let alice = service.sign_in("alice");
    let (status, body) = service
        .post_json("/token", &alice, json!({"scopes": ["chat", "voip"]}))
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_code(&body), "scope_not_allowed");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("voip"),
        "{body}"
    );
    let (status, body) = service
        .post_json(
            "/token",
            &alice,
            json!({"scopes": ["chat"], "expiresInMinutes": 120}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_code(&body), "lifetime_not_allowed");
    let (status, body) = service
        .post_json("/token", &alice, json!({"scopes": []}))
        .await;
    assert_eq!((status, error_code(&body)), (400, "no_scopes"));
    let (status, body) = service
        .post_json(
            "/token",
            &alice,
            json!({"scopes": ["chat"], "expiresInMinutes": 30}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_body"));
    let refused_calls = service.acs_requests();
    assert_eq!(refused_calls, 0, "refusals never reach ACS");

    let caller = service.sign_in_as(&SignInUser::with_subject("carol").role("Calling"));
    let (status, body) = service
        .post_json(
            "/token",
            &caller,
            json!({"scopes": ["chat", "voip"], "expiresInMinutes": 240}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scopes"], json!(["chat", "voip"]));
    service.stop().await;
}

#[tokio::test]
async fn throttled_callers_are_told_when_to_come_back() {
    let service = start(
        "",
        "[rate_limits]\nper_user = { requests = 3, window = \"1m\" }\nper_ip = { requests = 8, window = \"1m\" }\n",
    )
    .await;
    let alice = service.sign_in("alice");
    for _ in 0..3 {
        assert_eq!(service.call(Method::POST, "/user", &alice).await.0, 200);
    }
    let response = service
        .request(Method::POST, "/user", &alice)
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (_, body) = common::answer(response).await;
    assert_eq!(error_code(&body), "throttled");
    // Another user has their own budget, until the address's is spent (4 of 8 used so far).
    let bob = service.sign_in("bob");
    for _ in 0..3 {
        assert_eq!(service.call(Method::POST, "/user", &bob).await.0, 200);
    }
    let (status, _) = service.call(Method::POST, "/user", &bob).await;
    assert_eq!(status, 429);
    // The address limit comes before sign-in: even a garbage token is throttled, not checked.
    let (status, body) = service.call(Method::POST, "/user", "garbage").await;
    assert_eq!((status, error_code(&body)), (429, "throttled"));
    let metrics = service.metrics().await;
    assert!(
        metrics.contains("acs_token_service_throttled_total{limit=\"user\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("acs_token_service_throttled_total{limit=\"ip\"} 1"),
        "{metrics}"
    );
    service.stop().await;
}

#[tokio::test]
async fn a_teams_user_exchanges_only_their_own_token() {
    let emulator = acs_identity_emulator::Emulator::builder()
        .start()
        .await
        .unwrap();
    let app = emulator.entra_app().client_id();
    let teams = format!("[teams]\nclient_id = \"{app}\"\n");
    let service = common::start_with(emulator, "", &teams).await;
    let object_id = uuid::Uuid::new_v4();
    let caller = service.sign_in_as(&SignInUser::default().object_id(object_id));
    let own = service
        .emulator
        .issue_entra_user_token(&EntraUser::teams_user(object_id, app));
    let (status, body) = service
        .post_json("/token/teams", &caller, json!({"token": own.secret()}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        service
            .emulator
            .check_access_token(body["token"].as_str().unwrap())
            .is_valid()
    );

    let someone_else = service
        .emulator
        .issue_entra_user_token(&EntraUser::teams_user(uuid::Uuid::new_v4(), app));
    let (status, body) = service
        .post_json(
            "/token/teams",
            &caller,
            json!({"token": someone_else.secret()}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (403, "not_your_token"));
    service.stop().await;
}

#[tokio::test]
async fn teams_exchange_is_off_unless_configured() {
    let service = start("", "").await;
    let alice = service.sign_in("alice");
    let (status, body) = service
        .post_json("/token/teams", &alice, json!({"token": "x.y.z"}))
        .await;
    assert_eq!((status, error_code(&body)), (404, "teams_disabled"));
    service.stop().await;
}

#[tokio::test]
async fn probes_and_metrics() {
    let service = start("", "").await;
    let get = |path: &str| service.http.get(format!("{}{path}", service.url)).send();
    let health = get("/healthz").await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = get("/readyz").await.unwrap();
    let status = ready.status();
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["acs"]["ready"], true);
    assert_eq!(body["issuers"][0]["ready"], true);

    let alice = service.sign_in("alice");
    let (status, _) = service
        .post_json("/token", &alice, json!({"scopes": ["chat"]}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = service.call(Method::POST, "/user", "not-a-jwt").await;
    assert_eq!(status, 401);
    let (status, body) = service.call(Method::GET, "/nowhere", &alice).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    let metrics = service.metrics().await;
    for expected in [
        "acs_token_service_http_requests_total{route=\"/token\",status=\"200\"} 1",
        "acs_token_service_http_requests_total{route=\"/user\",status=\"401\"} 1",
        "acs_token_service_http_requests_total{route=\"unmatched\",status=\"404\"} 1",
        "acs_token_service_http_request_duration_seconds_bucket{le=",
        "acs_token_service_tokens_issued_total{scope=\"chat\"} 1",
        "acs_token_service_sign_in_failures_total{reason=\"malformed_token\"} 1",
    ] {
        assert!(
            metrics.contains(expected),
            "missing {expected} in\n{metrics}"
        );
    }

    service.stop().await;
}

#[tokio::test]
async fn without_acs_the_service_is_not_ready_and_says_502() {
    let emulator = acs_identity_emulator::Emulator::builder()
        .start()
        .await
        .unwrap();
    // ACS on a closed port; the issuer (the same emulator) stays reachable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let toml = common::config_toml(&emulator, "", "").replace(
        &format!("endpoint={}", emulator.endpoint()),
        &format!("endpoint=http://127.0.0.1:{port}/"),
    );
    let config = acs_token_service::Config::from_toml(&toml, |_| None).unwrap();
    let service = acs_token_service::TokenService::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(acs_token_service::serve(
        service,
        listener,
        std::future::pending(),
    ));
    let http = common::http_client();
    let ready = http.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["acs"]["ready"], false, "{body}");
    assert_eq!(body["issuers"][0]["ready"], true, "{body}");

    let alice = emulator
        .sign_in(&SignInUser::with_subject("alice"))
        .unwrap();
    let response = http
        .post(format!("{url}/token"))
        .bearer_auth(alice.secret())
        .json(&json!({"scopes": ["chat"]}))
        .send()
        .await
        .unwrap();
    let (status, body) = common::answer(response).await;
    assert_eq!(
        (status, error_code(&body)),
        (502, "acs_unavailable"),
        "{body}"
    );
    assert!(
        !body.to_string().contains(&port.to_string()),
        "no upstream detail: {body}"
    );
}

#[tokio::test]
async fn cors_admits_only_the_allowed_origins() {
    let service = start(
        "",
        "[server]\nallowed_origins = [\"https://app.contoso.com\"]\n",
    )
    .await;
    let preflight = |origin: &'static str| {
        service
            .http
            .request(Method::OPTIONS, format!("{}/token", service.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.contoso.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.contoso.com"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    service.stop().await;
}

#[tokio::test]
async fn oversized_bodies_and_heads_are_refused() {
    let service = start(
        "",
        "[server]\nmax_body_bytes = 1024\nmax_header_bytes = 8192\n",
    )
    .await;
    let alice = service.sign_in("alice");
    let big = json!({"scopes": ["chat"], "padding": "x".repeat(4096)});
    let (status, body) = service.post_json("/token", &alice, big).await;
    assert_eq!((status, error_code(&body)), (413, "body_too_large"));
    let response = service
        .request(Method::POST, "/user", &alice)
        .header("x-padding", "y".repeat(16 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
    assert_eq!(service.acs_requests(), 0);
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_requests_in_flight_share_one_acs_call_and_the_cache_serves_the_next() {
    use acs_identity_emulator::{Fault, FaultRule, Operation};
    let service = start("", "[token_cache]\nmin_remaining = \"10m\"\n").await;
    let alice = service.sign_in("alice");
    // The first token call takes 500 ms: the other nine arrive while it is in flight.
    service.emulator.faults().push(
        FaultRule::next(1, Fault::Latency(std::time::Duration::from_millis(500)))
            .only(Operation::CreateIdentity),
    );
    let before = service.acs_requests();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let request = service
            .request(Method::POST, "/token", &alice)
            .json(&json!({"scopes": ["chat"]}));
        tasks.spawn(async move { common::answer(request.send().await.expect("response")).await });
    }
    let answers = tasks.join_all().await;
    assert_eq!(
        service.acs_requests() - before,
        1,
        "one ACS call for ten requests"
    );
    let first = &answers[0].1["token"];
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(&body["token"], first);
    }
    // Cached (in memory): the next request makes no ACS call; revoking drops it.
    let (_, again) = service
        .post_json("/token", &alice, json!({"scopes": ["chat"]}))
        .await;
    assert_eq!(&again["token"], first);
    assert_eq!(service.acs_requests() - before, 1);
    let (status, _) = service.call(Method::POST, "/token/revoke", &alice).await;
    assert_eq!(status, 204);
    let (_, fresh) = service
        .post_json("/token", &alice, json!({"scopes": ["chat"]}))
        .await;
    assert_ne!(&fresh["token"], first);
    let metrics = service.metrics().await;
    assert!(
        metrics.contains("acs_token_service_token_cache_total{outcome=\"hit\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("outcome=\"shared_flight\"} 9"),
        "{metrics}"
    );
    service.stop().await;
}
