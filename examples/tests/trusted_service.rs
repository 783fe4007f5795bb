//! The trusted service on 127.0.0.1:0, backed by the embedded emulator, exercised over HTTP.

use std::time::Duration;

use acs_identity::{
    ClientOptions, CommunicationIdentityClient, ConnectionString, RetryOptions, TokenLifetime,
};
use acs_identity_emulator::{Emulator, RunningEmulator, TokenStatus};
use acs_identity_examples::trusted_service::{self, AppUsers, RateLimit, TrustedServiceConfig};
use reqwest::StatusCode;
use serde_json::Value;

const ALLOWED_ORIGIN: &str = "https://app.contoso.com";

struct Running {
    emulator: RunningEmulator,
    url: String,
    http: reqwest::Client,
}

async fn start(rate_limit: RateLimit) -> Running {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let connection_string =
        ConnectionString::parse(&emulator.connection_string()).expect("connection string");
    // No retries: the 502 test stops the emulator and should fail fast.
    let options = ClientOptions {
        retry: RetryOptions {
            max_retries: 0,
            ..Default::default()
        },
        ..Default::default()
    };
    let client = CommunicationIdentityClient::new(connection_string, options);
    let config = TrustedServiceConfig {
        app_users: AppUsers::demo(),
        allowed_origins: vec![ALLOWED_ORIGIN.to_owned()],
        rate_limit,
        token_lifetime: TokenLifetime::from_minutes(60).expect("lifetime"),
    };
    let app = trusted_service::router(client, config).expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");
    Running {
        emulator,
        url,
        http,
    }
}

const GENEROUS: RateLimit = RateLimit {
    burst: 20,
    refill_every: Duration::from_secs(60),
};

impl Running {
    async fn token(&self, route: &str, bearer: Option<&str>) -> reqwest::Response {
        let mut request = self.http.post(format!("{}/api/tokens/{route}", self.url));
        if let Some(secret) = bearer {
            request = request.bearer_auth(secret);
        }
        request.send().await.expect("request")
    }

    async fn token_json(&self, route: &str, bearer: &str) -> Value {
        let response = self.token(route, Some(bearer)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.text().await.expect("body");
        assert!(
            !body.contains(&self.emulator.access_key().to_base64()),
            "the key never leaves the service"
        );
        serde_json::from_str(&body).expect("JSON")
    }
}

#[tokio::test]
async fn unauthenticated_callers_get_401() {
    let service = start(GENEROUS).await;
    for bearer in [None, Some("wrong-secret"), Some("")] {
        let response = service.token("chat", bearer).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{bearer:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    let response = service
        .http
        .post(format!("{}/api/tokens/chat", service.url))
        .basic_auth("alice", Some("x"))
        .send();
    assert_eq!(
        response.await.expect("request").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        service.emulator.identity_count().expect("count"),
        0,
        "no identity for strangers"
    );
}

#[tokio::test]
async fn an_app_user_always_maps_to_the_same_acs_identity() {
    let service = start(GENEROUS).await;
    let first = service.token_json("chat", "alice-demo-secret").await;
    let second = service.token_json("voip", "alice-demo-secret").await;
    let bob = service.token_json("chat", "bob-demo-secret").await;

    assert!(
        first["userId"]
            .as_str()
            .expect("userId")
            .starts_with("8:acs:")
    );
    assert_eq!(
        first["userId"], second["userId"],
        "alice is one ACS identity"
    );
    assert_ne!(first["userId"], bob["userId"]);
    assert_eq!(service.emulator.identity_count().expect("count"), 2);
    assert_eq!(first["scopes"], serde_json::json!(["chat"]));
    assert_eq!(second["scopes"], serde_json::json!(["voip"]));

    for answer in [&first, &second] {
        let token = answer["token"].as_str().expect("token");
        let TokenStatus::Valid {
            identity, scopes, ..
        } = service.emulator.check_access_token(token)
        else {
            panic!("the emulator does not accept the token");
        };
        assert_eq!(identity, first["userId"].as_str().expect("userId"));
        assert_eq!(Value::from(scopes), answer["scopes"]);
        let expires_on = time::OffsetDateTime::parse(
            answer["expiresOn"].as_str().expect("expiresOn"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339");
        let minutes = (expires_on - time::OffsetDateTime::now_utc()).whole_minutes();
        assert!(
            (58..=60).contains(&minutes),
            "a 60-minute token, got {minutes}"
        );
    }
}

#[tokio::test]
async fn each_user_is_throttled_with_retry_after() {
    let service = start(RateLimit {
        burst: 2,
        refill_every: Duration::from_secs(30),
    })
    .await;
    for _ in 0..2 {
        service.token_json("chat", "alice-demo-secret").await;
    }
    let throttled = service.token("chat", Some("alice-demo-secret")).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .expect("ASCII")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    // Another user has a bucket of their own.
    service.token_json("chat", "bob-demo-secret").await;
}

#[tokio::test]
async fn cors_preflight_answers_only_allowed_origins() {
    let service = start(GENEROUS).await;
    let preflight = |origin: &'static str| {
        service
            .http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/tokens/chat", service.url),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .send()
    };

    let allowed = preflight(ALLOWED_ORIGIN).await.expect("preflight");
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .expect("ASCII");
    assert!(methods.contains("POST"), "{methods}");
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ASCII");
    assert!(headers.contains("authorization"), "{headers}");

    let denied = preflight("https://evil.example").await.expect("preflight");
    assert!(
        denied
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // The actual request from the allowed origin carries the header, too.
    let response = service
        .http
        .post(format!("{}/api/tokens/chat", service.url))
        .header("origin", ALLOWED_ORIGIN)
        .bearer_auth("alice-demo-secret")
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN
    );
}

#[tokio::test]
async fn a_failing_identity_service_is_a_generic_502() {
    let service = start(GENEROUS).await;
    let emulator = service.emulator;
    let url = service.url.clone();
    let http = service.http.clone();
    emulator.shutdown().await;
    let response = http
        .post(format!("{url}/api/tokens/chat"))
        .bearer_auth("alice-demo-secret")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: Value = serde_json::from_str(&response.text().await.expect("body")).expect("JSON");
    assert_eq!(
        body["error"],
        "the identity service is unavailable, try again later"
    );
}
