//! Fault injection, request counters and the request log, from the handle and over the admin routes.

mod common;

use std::time::{Duration, Instant, SystemTime};

use acs_auth::sign_request;
use acs_identity_emulator::{
    Emulator, Fault, FaultConfig, FaultRule, Operation, RetryAfter, RunningEmulator,
};
use common::{Client, STABLE};
use serde_json::json;

const CREATE: &str = "/identities?api-version=2025-06-30";

async fn start(faults: FaultConfig) -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().faults(faults).start().await.unwrap();
    let client = Client::new(&emulator);
    (emulator, client)
}

#[tokio::test]
async fn throttles_the_next_two_requests_then_succeeds() {
    let (emulator, client) =
        start(FaultConfig::default().rule(FaultRule::next(2, Fault::throttle(1)))).await;
    for _ in 0..2 {
        let reply = client.call("POST", CREATE, "").await;
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("retry-after"), Some("1"));
        assert_eq!(reply.error().1, "TooManyRequests");
        common::assert_service_headers(&reply);
        // Honour Retry-After, as a client would, so that the next signature has a new date.
        tokio::time::sleep(Duration::from_millis(1050)).await;
    }
    assert_eq!(client.call("POST", CREATE, "").await.status, 201);
    let requests = emulator.requests();
    assert_eq!(requests.count(Operation::CreateIdentity), 3);
    let records = requests.records_of(Operation::CreateIdentity);
    assert_eq!(
        records
            .iter()
            .map(|r| (r.status, r.faulted))
            .collect::<Vec<_>>(),
        [(Some(429), true), (Some(429), true), (Some(201), false)]
    );
    // Each attempt was signed anew: a new date, so a different signature each time.
    let fingerprints: std::collections::HashSet<_> = records
        .iter()
        .map(|r| r.authorization_fingerprint.clone())
        .collect();
    assert_eq!(fingerprints.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| r.x_ms_date.is_some() && r.target == CREATE)
    );
    assert!(emulator.faults().rules().is_empty());
}

#[tokio::test]
async fn unavailable_with_retry_after_ms_on_one_operation() {
    let (emulator, client) = start(FaultConfig::default()).await;
    emulator.faults().push(
        FaultRule::next(
            1,
            Fault::Status {
                status: 503,
                retry_after: Some(RetryAfter::Milliseconds(250)),
            },
        )
        .only(Operation::IssueAccessToken),
    );
    let id = common::create_identity(&client, STABLE).await;
    let target = format!("/identities/{id}/:issueAccessToken?api-version={STABLE}");
    let reply = client.call("POST", &target, r#"{"scopes":["chat"]}"#).await;
    assert_eq!(
        (reply.status, reply.header("retry-after-ms")),
        (503, Some("250"))
    );
    assert_eq!(reply.error().1, "ServiceUnavailable");
    assert_eq!(
        client
            .call("POST", &target, r#"{"scopes":["chat"]}"#)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn drops_the_connection_without_answering() {
    let (emulator, client) =
        start(FaultConfig::default().rule(FaultRule::next(1, Fault::DropConnection))).await;
    let error = client
        .send(client.signed("POST", CREATE, ""))
        .await
        .unwrap_err();
    assert!(
        error.is_incomplete_message() || error.is_closed(),
        "{error}"
    );
    assert_eq!(client.call("POST", CREATE, "").await.status, 201);
    assert_eq!(
        emulator.identity_count().unwrap(),
        1,
        "the dropped request was not processed"
    );
    let records = emulator.requests().records();
    assert_eq!(
        records.first().map(|r| (r.status, r.faulted)),
        Some((None, true))
    );
}

#[tokio::test]
async fn adds_latency() {
    let (_emulator, client) = start(FaultConfig::default().rule(FaultRule::next(
        1,
        Fault::Latency(Duration::from_millis(300)),
    )))
    .await;
    let started = Instant::now();
    assert_eq!(client.call("POST", CREATE, "").await.status, 201);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn probabilistic_faults_repeat_with_the_seed_over_the_admin_routes() {
    let (_emulator, client) = start(FaultConfig::default()).await;
    let config = json!({"seed": 42, "rules": [{"fault": "status", "status": 503, "retryAfterSeconds": 2, "probability": 0.5}]});
    let mut runs = Vec::new();
    for _ in 0..2 {
        let reply = client.call_json("PUT", "/_emulator/faults", &config).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(client.call("POST", CREATE, "").await.status);
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&503) && runs[0].contains(&201),
        "{:?}",
        runs[0]
    );
    assert_eq!(
        client.call("DELETE", "/_emulator/faults", "").await.status,
        204
    );
    assert_eq!(
        client.call("GET", "/_emulator/faults", "").await.json(),
        json!({"rules": []})
    );
}

#[tokio::test]
async fn admin_routes_read_and_reset_counters() {
    let (emulator, client) = start(FaultConfig::default()).await;
    let rule = json!({"fault": "dropConnection", "next": 1, "operation": "DeleteIdentity"});
    let reply = client
        .call_json("POST", "/_emulator/faults/rules", &rule)
        .await;
    assert_eq!(reply.json(), json!({"rules": [rule]}));
    for bad in [
        json!({"fault": "explode", "next": 1}),
        json!({"fault": "latency", "next": 1}),
        json!({"fault": "status", "status": 429}),
    ] {
        let reply = client
            .call_json("POST", "/_emulator/faults/rules", &bad)
            .await;
        assert_eq!(reply.error().1, "ValidationError", "{bad}");
    }
    client.call("POST", CREATE, "").await;
    let mut request = client.request("POST", CREATE, "");
    request
        .headers_mut()
        .insert("x-ms-client-request-id", "abc".parse().unwrap());
    sign_request(&mut request, emulator.access_key(), SystemTime::now());
    client.send(request).await.unwrap();
    let json = client.call("GET", "/_emulator/requests", "").await.json();
    assert_eq!(json["total"], 2);
    assert_eq!(json["counts"], json!({"CreateIdentity": 2}));
    assert_eq!(json["records"][1]["clientRequestId"], "abc");
    assert_eq!(json["records"][1]["status"], 201);
    assert_eq!(
        json["records"][1]["authorizationFingerprint"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
    assert_eq!(
        client
            .call("DELETE", "/_emulator/requests", "")
            .await
            .status,
        204
    );
    assert_eq!(
        client.call("GET", "/_emulator/requests", "").await.json()["total"],
        0
    );
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish() {
    let (emulator, client) = start(FaultConfig::default().rule(FaultRule::next(
        1,
        Fault::Latency(Duration::from_millis(500)),
    )))
    .await;
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move { client.call("POST", CREATE, "").await.status }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_secs(10), emulator.shutdown())
        .await
        .unwrap();
    assert_eq!(in_flight.await.unwrap(), 201);
    assert!(
        tokio::net::TcpStream::connect(client.authority())
            .await
            .is_err(),
        "no longer listening"
    );
}
