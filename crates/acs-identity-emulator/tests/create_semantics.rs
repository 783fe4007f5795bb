//! Issue 15, facts 2 and 3: what a create at 2025-03-02-preview answers about the identity.

mod common;

use std::time::{Duration, SystemTime};

use acs_identity_emulator::Emulator;
use common::{Client, PREVIEW};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn parse(value: &str) -> OffsetDateTime {
    OffsetDateTime::parse(value, &Rfc3339).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn date_header(reply: &common::Reply) -> OffsetDateTime {
    let date = httpdate::parse_http_date(reply.header("date").unwrap()).unwrap();
    OffsetDateTime::from(date)
}

/// Waits until the wall clock has moved to a later second than `since`.
async fn next_second(since: SystemTime) {
    let whole = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    while whole(SystemTime::now()) <= whole(since) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_known_custom_id_with_a_token_reports_this_tokens_issue_time() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let target = format!("/identities?api-version={PREVIEW}");
    let with_token = json!({"customId": "alice", "createTokenWithScopes": ["chat"]});

    let first = client.call_json("POST", &target, &with_token).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let first_json = first.json();
    let first_issued = first_json["identity"]["lastTokenIssuedAt"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(parse(&first_issued), date_header(&first));

    next_second(SystemTime::now()).await;
    let second = client.call_json("POST", &target, &with_token).await;
    assert_eq!(second.status, 201);
    let json = second.json();
    assert_eq!(
        json["identity"]["id"], first_json["identity"]["id"],
        "same identity"
    );
    assert_eq!(json["identity"]["customId"], "alice");
    let issued = json["identity"]["lastTokenIssuedAt"].as_str().unwrap();
    assert_eq!(
        parse(issued),
        date_header(&second),
        "this answer's token, at its Date"
    );
    assert!(parse(issued) > parse(&first_issued), "not the earlier one");
    assert!(json["accessToken"]["token"].is_string());

    // Without a token, the earlier value comes back unchanged.
    next_second(SystemTime::now()).await;
    let third = client
        .call_json("POST", &target, &json!({"customId": "alice"}))
        .await;
    assert_eq!(third.status, 201);
    let json = third.json();
    assert_eq!(json["identity"]["lastTokenIssuedAt"], issued);
    assert!(json.get("accessToken").is_none());
    assert!(parse(issued) < date_header(&third));
}

#[tokio::test]
async fn a_create_with_a_token_and_no_custom_id_answers_the_id_only() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    let reply = client
        .call_json(
            "POST",
            &format!("/identities?api-version={PREVIEW}"),
            &json!({"createTokenWithScopes": ["chat", "voip"]}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let json = reply.json();
    let identity = json["identity"].as_object().unwrap();
    assert_eq!(identity.keys().collect::<Vec<_>>(), ["id"], "{json}");
    assert!(json["accessToken"]["token"].is_string());
    // The token was recorded all the same: get user shows it, at the create's Date.
    let created_at = date_header(&reply);
    let id = identity["id"].as_str().unwrap();
    let reply = client
        .call(
            "GET",
            &format!("/identities/{}?api-version={PREVIEW}", common::encoded(id)),
            "",
        )
        .await;
    assert_eq!(
        parse(reply.json()["lastTokenIssuedAt"].as_str().unwrap()),
        created_at
    );
}
