//! The emulator as an OpenID Connect issuer, seen from a relying party: discovery and JWKS over real HTTP,
//! tokens verified with `jsonwebtoken` against the fetched keys.

mod common;

use std::time::{Duration, SystemTime};

use acs_identity_emulator::{Emulator, Operation, RunningEmulator, SignInUser, SigningAlgorithm};
use common::{Client, Reply};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

async fn start() -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);
    (emulator, client)
}

async fn get(client: &Client, target: &str) -> Reply {
    client
        .send(client.request("GET", target, ""))
        .await
        .unwrap()
}

/// The path of a URL the emulator serves.
fn path_of<'a>(emulator: &RunningEmulator, url: &'a str) -> &'a str {
    let rest = url
        .strip_prefix(emulator.endpoint())
        .unwrap_or_else(|| panic!("{url} is not under {}", emulator.endpoint()));
    &url[url.len() - rest.len() - 1..]
}

/// What a relying party does: discovery, then the JWKS it names.
async fn fetch_jwks(emulator: &RunningEmulator, client: &Client) -> JwkSet {
    let discovery = get(client, path_of(emulator, &emulator.oidc_discovery_url())).await;
    assert_eq!(discovery.status, 200, "{}", discovery.text());
    let jwks_uri = discovery.json()["jwks_uri"].as_str().unwrap().to_owned();
    let keys = get(client, path_of(emulator, &jwks_uri)).await;
    assert_eq!(keys.status, 200, "{}", keys.text());
    serde_json::from_slice(&keys.body).unwrap()
}

/// Validates like a relying party: the key found by `kid`, RS256/ES256 only, issuer and audience checked.
fn verify(
    emulator: &RunningEmulator,
    jwks: &JwkSet,
    token: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    let header = jsonwebtoken::decode_header(token)?;
    let kid = header
        .kid
        .ok_or(ErrorKind::MissingRequiredClaim("kid".into()))?;
    let jwk = jwks
        .find(&kid)
        .ok_or(ErrorKind::MissingRequiredClaim(format!("a key {kid}")))?;
    let key = DecodingKey::from_jwk(jwk)?;
    // The algorithm is the key's (its JWK `alg`), never the token header's: an HS256 header is refused.
    let algorithm = match jwk.common.key_algorithm {
        Some(KeyAlgorithm::RS256) => Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => Algorithm::ES256,
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[emulator.oidc_issuer()]);
    validation.set_audience(&[emulator.entra_app().client_id().to_string()]);
    validation.validate_nbf = true;
    validation.leeway = 0;
    Ok(jsonwebtoken::decode::<Value>(token, &key, &validation)?.claims)
}

fn kind(result: Result<Value, jsonwebtoken::errors::Error>) -> ErrorKind {
    result.expect_err("the token must be rejected").into_kind()
}

#[tokio::test]
async fn discovery_names_the_issuer_and_the_entra_shaped_jwks_uri() {
    let (emulator, client) = start().await;
    let tenant = emulator.entra_tenant_id();
    let issuer = format!("{}{tenant}/v2.0", emulator.endpoint());
    assert_eq!(emulator.oidc_issuer(), issuer);
    assert_eq!(
        emulator.oidc_discovery_url(),
        format!("{issuer}/.well-known/openid-configuration")
    );

    let reply = get(
        &client,
        &format!("/{tenant}/v2.0/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("cache-control"),
        Some("max-age=86400, private")
    );
    let document = reply.json();
    assert_eq!(document["issuer"], issuer);
    assert_eq!(
        document["jwks_uri"],
        format!("{}{tenant}/discovery/v2.0/keys", emulator.endpoint())
    );
    assert_eq!(document["jwks_uri"], emulator.oidc_jwks_uri());
    assert_eq!(document["token_endpoint"], emulator.entra_token_endpoint());
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        json!(["RS256", "ES256"])
    );
    assert!(
        document["response_types_supported"]
            .as_array()
            .is_some_and(|types| !types.is_empty())
    );
    assert_eq!(document["subject_types_supported"], json!(["pairwise"]));

    let reply = get(&client, &format!("/{tenant}/discovery/v2.0/keys")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("cache-control"),
        Some("max-age=86400, private")
    );
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let keys = reply.json();
    let keys = keys["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (&keys[0]["kty"], &keys[0]["use"], &keys[0]["alg"]),
        (&json!("RSA"), &json!("sig"), &json!("RS256"))
    );
    assert_eq!(keys[0]["e"], "AQAB");
    assert!(keys[0]["n"].as_str().unwrap().len() >= 342); // 2048 bits, base64url
    assert_eq!(
        (&keys[1]["kty"], &keys[1]["alg"], &keys[1]["crv"]),
        (&json!("EC"), &json!("ES256"), &json!("P-256"))
    );
    for key in keys {
        assert!(key.get("d").is_none(), "a private key is published: {key}");
    }
    assert_eq!(
        keys[0]["kid"],
        emulator.oidc_key_id(SigningAlgorithm::Rs256).unwrap()
    );
    assert_eq!(
        keys[1]["kid"],
        emulator.oidc_key_id(SigningAlgorithm::Es256).unwrap()
    );
    assert_eq!(reply.json(), emulator.oidc_jwks().unwrap());

    let unknown = get(
        &client,
        "/00000000-0000-0000-0000-000000000001/discovery/v2.0/keys",
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["error"], "invalid_tenant");
    let post = client
        .send(client.request("POST", &format!("/{tenant}/discovery/v2.0/keys"), ""))
        .await
        .unwrap();
    assert_eq!(post.status, 405);
}

#[tokio::test]
async fn jwks_verifies_rs256_and_es256_sign_in_tokens_and_their_claims() {
    let (emulator, client) = start().await;
    let jwks = fetch_jwks(&emulator, &client).await;
    for algorithm in [SigningAlgorithm::Rs256, SigningAlgorithm::Es256] {
        let user = SignInUser::with_subject("alice")
            .role("Tokens.Admin")
            .group("g1")
            .name("Alice")
            .preferred_username("alice@contoso.example")
            .algorithm(algorithm)
            .extra_claim("scp", "Tokens.Issue");
        let token = emulator.sign_in(&user).unwrap();
        let header = jsonwebtoken::decode_header(token.secret()).unwrap();
        assert_eq!(format!("{:?}", header.alg), algorithm.name());
        assert_eq!(header.kid, Some(emulator.oidc_key_id(algorithm).unwrap()));

        let claims = verify(&emulator, &jwks, token.secret()).unwrap();
        assert_eq!(claims["iss"], emulator.oidc_issuer());
        assert_eq!(claims["aud"], emulator.entra_app().client_id().to_string());
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["oid"], user.object_id.to_string());
        assert_eq!(claims["tid"], emulator.entra_tenant_id().to_string());
        assert_eq!(claims["ver"], "2.0");
        assert_eq!(claims["roles"], json!(["Tokens.Admin"]));
        assert_eq!(claims["groups"], json!(["g1"]));
        assert_eq!(claims["name"], "Alice");
        assert_eq!(claims["preferred_username"], "alice@contoso.example");
        assert_eq!(claims["scp"], "Tokens.Issue");
        let exp = claims["exp"].as_i64().unwrap();
        assert_eq!(exp, token.expires_on().unix_timestamp());
        assert!((3590..=3600).contains(&(exp - claims["iat"].as_i64().unwrap())));
        assert!(!format!("{token:?}").contains(token.secret()));
    }
    // Defaults: `sub` is the object id.
    let token = emulator.sign_in(&SignInUser::default()).unwrap();
    let claims = verify(&emulator, &jwks, token.secret()).unwrap();
    assert_eq!(claims["sub"], claims["oid"]);
    assert!(claims.get("roles").is_none());
}

#[tokio::test]
async fn wrong_times_issuers_and_audiences_are_the_relying_partys_to_reject() {
    let (emulator, client) = start().await;
    let jwks = fetch_jwks(&emulator, &client).await;
    let now = SystemTime::now();
    let expired = emulator
        .sign_in(&SignInUser::default().expires_at(now - Duration::from_secs(60)))
        .unwrap();
    assert_eq!(
        kind(verify(&emulator, &jwks, expired.secret())),
        ErrorKind::ExpiredSignature
    );
    let early = emulator
        .sign_in(
            &SignInUser::default()
                .not_before(now + Duration::from_secs(600))
                .algorithm(SigningAlgorithm::Es256),
        )
        .unwrap();
    assert_eq!(
        kind(verify(&emulator, &jwks, early.secret())),
        ErrorKind::ImmatureSignature
    );
    let elsewhere = emulator
        .sign_in(&SignInUser::default().audience("api://another-app"))
        .unwrap();
    assert_eq!(
        kind(verify(&emulator, &jwks, elsewhere.secret())),
        ErrorKind::InvalidAudience
    );

    let exp = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let audience = emulator.entra_app().client_id().to_string();
    let forged_issuer = emulator
        .mint_signed(
            json!({"iss": "https://login.microsoftonline.com/evil/v2.0", "aud": audience, "sub": "x", "exp": exp}),
            SigningAlgorithm::Rs256,
        )
        .unwrap();
    assert_eq!(
        kind(verify(&emulator, &jwks, &forged_issuer)),
        ErrorKind::InvalidIssuer
    );
    // `mint_signed` adds nothing: the right claims verify.
    let right = emulator
        .mint_signed(
            json!({"iss": emulator.oidc_issuer(), "aud": audience, "sub": "x", "exp": exp}),
            SigningAlgorithm::Es256,
        )
        .unwrap();
    assert_eq!(
        verify(&emulator, &jwks, &right).unwrap(),
        json!({"iss": emulator.oidc_issuer(), "aud": audience, "sub": "x", "exp": exp})
    );
}

#[tokio::test]
async fn rotation_publishes_new_kids_and_old_tokens_no_longer_verify() {
    let (emulator, client) = start().await;
    let before = fetch_jwks(&emulator, &client).await;
    let old_rs = emulator.sign_in(&SignInUser::default()).unwrap();
    let old_es = emulator
        .sign_in(&SignInUser::default().algorithm(SigningAlgorithm::Es256))
        .unwrap();
    verify(&emulator, &before, old_rs.secret()).unwrap();
    verify(&emulator, &before, old_es.secret()).unwrap();
    let old_kids = [
        emulator.oidc_key_id(SigningAlgorithm::Rs256).unwrap(),
        emulator.oidc_key_id(SigningAlgorithm::Es256).unwrap(),
    ];

    emulator.rotate_signing_keys();

    let after = fetch_jwks(&emulator, &client).await;
    let new_kids: Vec<String> = after
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();
    assert_eq!(new_kids.len(), 2);
    for kid in &old_kids {
        assert!(!new_kids.contains(kid), "{kid} is still published");
    }
    for old in [&old_rs, &old_es] {
        assert!(verify(&emulator, &after, old.secret()).is_err());
    }
    let new = emulator.sign_in(&SignInUser::default()).unwrap();
    let header = jsonwebtoken::decode_header(new.secret()).unwrap();
    assert!(new_kids.contains(&header.kid.unwrap()));
    verify(&emulator, &after, new.secret()).unwrap();
}

#[tokio::test]
async fn unpublished_key_tokens_carry_a_kid_absent_from_the_jwks() {
    let (emulator, client) = start().await;
    let jwks = fetch_jwks(&emulator, &client).await;
    let exp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims = json!({
        "iss": emulator.oidc_issuer(),
        "aud": emulator.entra_app().client_id().to_string(),
        "sub": "mallory",
        "exp": exp,
    });
    for algorithm in [SigningAlgorithm::Rs256, SigningAlgorithm::Es256] {
        let token = emulator
            .mint_signed_unpublished(claims.clone(), algorithm)
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(format!("{:?}", header.alg), algorithm.name());
        let kid = header.kid.unwrap();
        assert!(jwks.find(&kid).is_none(), "{kid} is published");
        // Not even the published key of the same algorithm verifies it.
        let published = jwks
            .find(&emulator.oidc_key_id(algorithm).unwrap())
            .unwrap();
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[emulator.entra_app().client_id().to_string()]);
        let result = jsonwebtoken::decode::<Value>(
            &token,
            &DecodingKey::from_jwk(published).unwrap(),
            &validation,
        );
        assert_eq!(result.unwrap_err().into_kind(), ErrorKind::InvalidSignature);
    }
}

#[tokio::test]
async fn hs256_keyed_with_the_published_public_key_is_rejected() {
    let (emulator, client) = start().await;
    let jwks = fetch_jwks(&emulator, &client).await;
    let pem = emulator
        .oidc_public_key_pem(SigningAlgorithm::Rs256)
        .unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let exp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(emulator.oidc_key_id(SigningAlgorithm::Rs256).unwrap());
    let forged = jsonwebtoken::encode(
        &header,
        &json!({
            "iss": emulator.oidc_issuer(),
            "aud": emulator.entra_app().client_id().to_string(),
            "sub": "mallory",
            "exp": exp,
        }),
        &EncodingKey::from_secret(pem.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        kind(verify(&emulator, &jwks, &forged)),
        ErrorKind::InvalidAlgorithm
    );
}

#[tokio::test]
async fn dev_sign_in_route_answers_json_and_bare_text() {
    let (emulator, client) = start().await;
    let jwks = fetch_jwks(&emulator, &client).await;

    // `TOKEN=$(curl -s '.../_emulator/sign-in?sub=alice&roles=a,b&format=text')`
    let reply = get(
        &client,
        "/_emulator/sign-in?sub=alice&roles=a,b&format=text",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let text_token = reply.text();
    assert_eq!(text_token.trim(), text_token);
    let claims = verify(&emulator, &jwks, &text_token).unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["roles"], json!(["a", "b"]));

    let body = json!({"sub": "alice", "roles": ["r"], "alg": "ES256", "name": "Alice", "claims": {"scp": "x"}});
    let reply = client
        .send(client.request(
            "POST",
            "/_emulator/sign-in",
            serde_json::to_vec(&body).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["token_type"], "Bearer");
    assert!((3590..=3600).contains(&answer["expires_in"].as_u64().unwrap()));
    let json_token = answer["access_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(json_token).unwrap().alg,
        Algorithm::ES256
    );
    let json_claims = verify(&emulator, &jwks, json_token).unwrap();
    assert_eq!(json_claims["roles"], json!(["r"]));
    assert_eq!(json_claims["name"], "Alice");
    assert_eq!(json_claims["scp"], "x");
    // The same `sub` is the same user every time.
    assert_eq!(json_claims["oid"], claims["oid"]);

    let mut form = client.request("POST", "/_emulator/sign-in", "sub=bob&expires_in=120");
    form.headers_mut().insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    let reply = client.send(form).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.json()["expires_in"].as_u64().unwrap() <= 120);
    let bob = verify(
        &emulator,
        &jwks,
        reply.json()["access_token"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(bob["sub"], "bob");
    assert_ne!(bob["oid"], claims["oid"]);

    let empty = client
        .send(client.request("POST", "/_emulator/sign-in", ""))
        .await
        .unwrap();
    assert_eq!(empty.status, 200, "{}", empty.text());

    for bad in [
        "/_emulator/sign-in?colour=red",
        "/_emulator/sign-in?alg=HS256",
        "/_emulator/sign-in?oid=not-a-guid",
        "/_emulator/sign-in?format=xml",
    ] {
        let reply = get(&client, bad).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text());
    }
    let delete = client
        .send(client.request("DELETE", "/_emulator/sign-in", ""))
        .await
        .unwrap();
    assert_eq!(delete.status, 405);
    // The other admin routes still want a signature.
    assert_eq!(get(&client, "/_emulator/info").await.status, 401);
}

#[tokio::test]
async fn the_request_log_counts_discovery_and_jwks_fetches() {
    let (emulator, client) = start().await;
    let requests = emulator.requests();
    assert_eq!(requests.count(Operation::OidcDiscovery), 0);
    fetch_jwks(&emulator, &client).await;
    fetch_jwks(&emulator, &client).await;
    get(&client, path_of(&emulator, &emulator.oidc_jwks_uri())).await;
    assert_eq!(requests.count(Operation::OidcDiscovery), 2);
    assert_eq!(requests.count(Operation::OidcKeys), 3);
    let records = requests.records_of(Operation::OidcKeys);
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.status == Some(200)));
    assert_eq!(Operation::from_name("OidcKeys"), Some(Operation::OidcKeys));
    assert!(!Operation::OidcKeys.is_acs());
    // Signing in through the API is no request.
    emulator.sign_in(&SignInUser::default()).unwrap();
    assert_eq!(requests.count(Operation::OidcKeys), 3);
}

#[test]
fn the_background_emulator_signs_in_too() {
    let emulator = Emulator::builder().start_in_background().unwrap();
    let token = emulator
        .sign_in(&SignInUser::with_subject("carol"))
        .unwrap();
    let jwks: JwkSet = serde_json::from_value(emulator.oidc_jwks().unwrap()).unwrap();
    let header = jsonwebtoken::decode_header(token.secret()).unwrap();
    assert!(jwks.find(&header.kid.unwrap()).is_some());
    emulator.shutdown();
}
