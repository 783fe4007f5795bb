//! Issue 15, fact 5: ACS access tokens are RS256 JWTs of the service's shape, verifiable against the
//! emulator's published JWKS.

mod common;

use acs_identity_emulator::{Emulator, EntraUser, TokenStatus};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Client, PREVIEW};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};
use uuid::Uuid;

fn header_json(token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn verify_with(jwks: &Value, token: &str) -> jsonwebtoken::errors::Result<Value> {
    let kid = decode_header(token)?.kid.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == kid.as_str())
        .expect("the token's kid is in the JWKS");
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    Ok(decode::<Value>(token, &key, &validation)?.claims)
}

#[tokio::test]
async fn tokens_are_rs256_of_the_real_shape_and_verify_against_the_jwks() {
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
    let token = reply.json()["accessToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    assert!(token.starts_with("eyJhbGciOiJSUzI1NiIsImtpZCI6"), "{token}");
    let header = header_json(&token);
    assert_eq!(
        header.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["alg", "kid", "typ", "x5t"],
        "{header}"
    );
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    // The service's `kid` is a short number ("106"), its `x5t` a 27-character thumbprint.
    let kid = header["kid"].as_str().unwrap();
    assert!(
        kid.len() == 3 && kid.bytes().all(|b| b.is_ascii_digit()),
        "{kid}"
    );
    assert_eq!(header["x5t"].as_str().unwrap().len(), 27);
    // The service's are about 740 characters (`SERVICE.md`), as are these.
    assert!((700..=800).contains(&token.len()), "{}", token.len());

    // Over HTTP, unauthenticated, and from the handle: the same JWKS.
    let jwks = client.call("GET", "/_emulator/acs/keys", "").await;
    assert_eq!(jwks.status, 200);
    let jwks = jwks.json();
    assert_eq!(jwks, emulator.acs_token_jwks().unwrap());
    assert!(
        emulator
            .acs_token_jwks_uri()
            .ends_with("/_emulator/acs/keys")
    );
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["x5t"], header["x5t"]);
    let claims = verify_with(&jwks, &token).unwrap();
    assert_eq!(claims["acsScope"], "chat,voip");
    assert!(emulator.check_access_token(&token).is_valid());

    // A tampered token fails both ways.
    let (head, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", URL_SAFE_NO_PAD.encode([7u8; 256]));
    assert!(verify_with(&jwks, &forged).is_err());
    assert_eq!(emulator.check_access_token(&forged), TokenStatus::Invalid);

    // Teams-exchanged tokens: same key, a bit longer.
    let (user, app) = (Uuid::new_v4(), Uuid::new_v4());
    let entra = emulator.issue_entra_user_token(&EntraUser::teams_user(user, app));
    let reply = client
        .call_json(
            "POST",
            "/teamsUser/:exchangeAccessToken?api-version=2023-10-01",
            &json!({"token": entra.secret(), "appId": app.to_string(), "userId": user.to_string()}),
        )
        .await;
    let teams = reply.json()["token"].as_str().unwrap().to_owned();
    assert!(verify_with(&jwks, &teams).is_ok());
    // The service's are about 760.
    assert!((700..=800).contains(&teams.len()), "{}", teams.len());
}

#[tokio::test]
async fn fast_tokens_are_hs256_with_the_same_claims_and_still_checked() {
    let emulator = Emulator::builder().fast_tokens(true).start().await.unwrap();
    let client = Client::new(&emulator);
    let reply = client
        .call_json(
            "POST",
            &format!("/identities?api-version={PREVIEW}"),
            &json!({"createTokenWithScopes": ["chat"]}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let json = reply.json();
    let token = json["accessToken"]["token"].as_str().unwrap().to_owned();
    let id = json["identity"]["id"].as_str().unwrap().to_owned();
    let header = header_json(&token);
    assert_eq!(header["alg"], "HS256", "{header}");
    assert_eq!(header["kid"], "emulator-fast");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["skypeid"], id.strip_prefix("8:").unwrap());
    assert_eq!(claims["acsScope"], "chat");
    assert!(emulator.check_access_token(&token).is_valid());
    // Not verifiable against the RS256 JWKS: not the real shape, as documented.
    let jwks = emulator.acs_token_jwks().unwrap();
    assert_ne!(jwks["keys"][0]["kid"], "emulator-fast");

    // Revocation and forgery work as with RS256 tokens; a token issued right after the revocation (same
    // second) stays valid.
    let revoke = format!(
        "/identities/{}/:revokeAccessTokens?api-version={PREVIEW}",
        common::encoded(&id)
    );
    assert_eq!(client.call("POST", &revoke, "").await.status, 204);
    assert_eq!(emulator.check_access_token(&token), TokenStatus::Revoked);
    let issue = format!(
        "/identities/{}/:issueAccessToken?api-version={PREVIEW}",
        common::encoded(&id)
    );
    let fresh = client
        .call_json("POST", &issue, &json!({"scopes": ["chat"]}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(emulator.check_access_token(&fresh).is_valid());
    let (head, _) = fresh.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", URL_SAFE_NO_PAD.encode([7u8; 32]));
    assert_eq!(emulator.check_access_token(&forged), TokenStatus::Invalid);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_durable_emulator_keeps_its_token_key() {
    let dir = std::env::temp_dir().join(format!("acs-emulator-key-{}", Uuid::new_v4()));
    let first = Emulator::builder().data_dir(&dir).start().await.unwrap();
    let client = Client::new(&first);
    let reply = client
        .call_json(
            "POST",
            "/identities?api-version=2023-10-01",
            &json!({"createTokenWithScopes": ["chat"]}),
        )
        .await;
    let token = reply.json()["accessToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwks = first.acs_token_jwks().unwrap();
    first.shutdown().await;

    let second = Emulator::builder().data_dir(&dir).start().await.unwrap();
    assert_eq!(
        second.acs_token_jwks().unwrap(),
        jwks,
        "same key after a restart"
    );
    assert!(second.check_access_token(&token).is_valid());
    second.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);

    // Another resource has another key.
    let other = Emulator::builder().start().await.unwrap();
    assert_ne!(other.acs_token_jwks().unwrap(), jwks);
    assert_eq!(other.check_access_token(&token), TokenStatus::Invalid);
}
