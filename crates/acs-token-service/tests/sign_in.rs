//! Refused bearer tokens: each answers 401 with the check that failed, and none reaches ACS. Keys are
//! real (the emulator issuer's RSA and P-256 keys, fetched by discovery and JWKS over HTTP).

mod common;

use std::time::{Duration, SystemTime};

use acs_identity_emulator::{SignInUser, SigningAlgorithm};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Running, error_code, start};
use hmac::{Hmac, Mac as _};
use reqwest::Method;
use serde_json::{Value, json};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn claims(service: &Running, subject: &str) -> Value {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({
        "iss": service.emulator.oidc_issuer(),
        "aud": service.emulator.entra_app().client_id().to_string(),
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
    })
}

async fn refused(service: &Running, token: &str) -> (u16, String, Option<String>) {
    let response = service
        .request(Method::POST, "/user", token)
        .send()
        .await
        .expect("response");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap().to_owned());
    let (status, body) = common::answer(response).await;
    (status, error_code(&body).to_owned(), challenge)
}

#[tokio::test]
async fn every_bad_token_is_refused_with_the_check_that_failed() {
    let service = start("required_claims = [\"name\"]", "").await;
    let emulator = &service.emulator;
    let good_user = SignInUser::with_subject("alice").name("Alice");
    let good = service.sign_in_as(&good_user);
    let hour = Duration::from_secs(3600);
    let now = SystemTime::now();

    let expired = service.sign_in_as(
        &good_user
            .clone()
            .expires_at(now - hour)
            .not_before(now - 2 * hour),
    );
    let not_yet = service.sign_in_as(
        &good_user
            .clone()
            .not_before(now + hour)
            .expires_at(now + 2 * hour),
    );
    let wrong_audience = service.sign_in_as(&good_user.clone().audience("api://someone-else"));
    let mut other_issuer = claims(&service, "alice");
    other_issuer["iss"] = json!("https://evil.example.com/v2.0");
    other_issuer["name"] = json!("Alice");
    let wrong_issuer = emulator
        .mint_signed(other_issuer, SigningAlgorithm::Rs256)
        .unwrap();
    let mut named = claims(&service, "alice");
    named["name"] = json!("Alice");
    let unknown_kid = emulator
        .mint_signed_unpublished(named.clone(), SigningAlgorithm::Rs256)
        .unwrap();
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&named)
    );
    // The classic confusion: HS256 keyed with the issuer's public key, which anyone can fetch.
    let public_pem = emulator
        .oidc_public_key_pem(SigningAlgorithm::Rs256)
        .unwrap();
    let kid = emulator.oidc_key_id(SigningAlgorithm::Rs256).unwrap();
    let signing_input = format!(
        "{}.{}",
        b64(&json!({"alg": "HS256", "typ": "JWT", "kid": kid})),
        b64(&named)
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(public_pem.as_bytes()).unwrap();
    mac.update(signing_input.as_bytes());
    let hs256 = format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    );
    // A valid token whose payload was changed to another subject.
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["sub"] = json!("mallory");
    parts[1] = b64(&payload);
    let tampered = parts.join(".");
    let no_name = service.sign_in("alice");
    let no_subject = {
        let mut claims = claims(&service, "x");
        claims.as_object_mut().unwrap().remove("sub");
        claims["name"] = json!("Alice");
        emulator
            .mint_signed(claims, SigningAlgorithm::Es256)
            .unwrap()
    };

    for (case, token, code) in [
        ("expired", expired.as_str(), "token_expired"),
        ("not yet valid", &not_yet, "token_not_yet_valid"),
        ("wrong aud", &wrong_audience, "wrong_audience"),
        ("wrong iss", &wrong_issuer, "unknown_issuer"),
        ("unknown kid", &unknown_kid, "unknown_key"),
        ("alg none", &alg_none, "algorithm_not_allowed"),
        ("HS256 with the public key", &hs256, "algorithm_not_allowed"),
        ("tampered payload", &tampered, "invalid_signature"),
        ("missing required claim", &no_name, "missing_claim"),
        ("missing sub", &no_subject, "missing_claim"),
        ("not a JWT", "abc", "malformed_token"),
        ("empty", "", "missing_token"),
    ] {
        let (status, got, challenge) = refused(&service, token).await;
        assert_eq!((status, got.as_str()), (401, code), "{case}");
        assert!(
            challenge.is_some_and(|value| value.starts_with("Bearer")),
            "{case}: WWW-Authenticate"
        );
    }
    assert_eq!(service.acs_requests(), 0, "no refused token reached ACS");

    // And the good one passes.
    let (status, body) = service.call(Method::POST, "/user", &good).await;
    assert_eq!(status, 200, "{body}");
    service.stop().await;
}

#[tokio::test]
async fn a_missing_role_is_forbidden_not_unauthenticated() {
    let service = start("required_roles = [\"Tokens.Issue\"]", "").await;
    let (status, code, _) = refused(&service, &service.sign_in("alice")).await;
    assert_eq!((status, code.as_str()), (403, "missing_role"));
    let holder = service.sign_in_as(&SignInUser::with_subject("bob").role("Tokens.Issue"));
    assert_eq!(service.call(Method::POST, "/user", &holder).await.0, 200);
    service.stop().await;
}

#[tokio::test]
async fn a_key_rotation_at_the_issuer_is_picked_up_without_restart() {
    let service = start("", "").await;
    let before = service.sign_in("alice");
    assert_eq!(service.call(Method::POST, "/user", &before).await.0, 200);
    let fetches = service.jwks_fetches();

    service.emulator.rotate_signing_keys();
    // jwks_min_refresh is 1 s in these tests.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = service.sign_in("alice");
    let (status, body) = service.call(Method::POST, "/user", &after).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(service.jwks_fetches(), fetches + 1);
    // The old key left the JWKS: tokens it signed are refused now.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, code, _) = refused(&service, &before).await;
    assert_eq!((status, code.as_str()), (401, "unknown_key"));
    service.stop().await;
}

#[tokio::test]
async fn random_kids_cannot_make_the_service_hammer_the_issuer() {
    let service = start("jwks_min_refresh = \"1h\"", "").await;
    let good = service.sign_in("alice");
    assert_eq!(service.call(Method::POST, "/user", &good).await.0, 200);
    let fetches = service.jwks_fetches();
    for index in 0..50 {
        let mut claims = claims(&service, "mallory");
        claims["jti"] = json!(index);
        // Each unpublished-key token carries a kid the JWKS lacks; vary it through the header.
        let token = service
            .emulator
            .mint_signed_unpublished(claims, SigningAlgorithm::Rs256)
            .unwrap();
        let (header, rest) = token.split_once('.').unwrap();
        let mut header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        header["kid"] = json!(format!("random-{index}"));
        let token = format!("{}.{rest}", b64(&header));
        let (status, code, _) = refused(&service, &token).await;
        assert_eq!((status, code.as_str()), (401, "unknown_key"));
    }
    assert!(
        service.jwks_fetches() <= fetches + 1,
        "50 unknown kids caused {} JWKS fetches",
        service.jwks_fetches() - fetches
    );
    service.stop().await;
}
