//! Per operation: build the request, sign it, parse a realistic response, and the three in a row (what a
//! client spends per call outside the network).
//!
//! Run with `cargo bench -p acs-identity-core`. Token responses carry a ~740-character JWT, the size of the
//! service's RS256 tokens.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acs_auth::{AccessKey, Endpoint};
use acs_identity_core::{
    Authorization, Call, ClientOptions, CreateUser, CreateUserAndToken, DeleteUser,
    ExchangeEntraToken, ExchangeTeamsUserToken, GetUser, IssueToken, Operation, RevokeTokens,
    ServiceConfig, prepare, user_agent,
};
use acs_identity_types::{ApiVersion, CommunicationUserIdentifier, TokenScope};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BatchSize, Criterion, criterion_main};
use http::HeaderValue;

const USER_ID: &str =
    "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-14a2-493b-8a72-5a3a0d000081";
const EXPIRES_ON: &str = "2025-04-14T17:32:27.2078535+00:00";
/// Mon, 14 Apr 2025 15:32:27 GMT.
const SIGNED_AT: Duration = Duration::from_secs(1_744_644_747);

/// A token shaped like the service's: RS256 header with a key id, the usual ACS claims, a 2048-bit signature.
fn jwt() -> String {
    let header = r#"{"alg":"RS256","kid":"5B3A8B3C1F3A8C3E2D7E6F5A4B3C2D1E0F9A8B7C","typ":"JWT"}"#;
    let claims = format!(
        r#"{{"skypeid":"{}","scp":1792,"csi":"1744644747","exp":1744731147,"acsScope":"chat","resourceId":"2dee53b4-368b-45b4-ab52-8493fb117652","iat":1744644747}}"#,
        USER_ID.trim_start_matches("8:")
    );
    let signature: Vec<u8> = (0..=255u8).map(|b| b.wrapping_mul(167)).collect();
    [
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode(signature),
    ]
    .join(".")
}

fn response(status: u16, body: String) -> http::Response<Vec<u8>> {
    let builder = http::Response::builder()
        .status(status)
        .header("ms-cv", "ZmFrZS1jb3JyZWxhdGlvbi12.0")
        .header(
            "x-ms-client-request-id",
            "0f4e4a1c-5a64-4a5b-9d3e-2b8f1c9d7e60",
        );
    let builder = if body.is_empty() {
        builder
    } else {
        builder.header("content-type", "application/json; charset=utf-8")
    };
    builder.body(body.into_bytes()).expect("a valid response")
}

fn token_json(jwt: &str) -> String {
    format!(r#"{{"token":"{jwt}","expiresOn":"{EXPIRES_ON}"}}"#)
}

/// Benches `operation` against `answer`: build, sign, parse, and all three.
fn bench<O: Operation>(
    c: &mut Criterion,
    operation: &O,
    answer: &http::Response<Vec<u8>>,
    service: &ServiceConfig,
) {
    let key = AccessKey::from_bytes((0u8..64).collect());
    let now = UNIX_EPOCH + SIGNED_AT;
    let request_id = HeaderValue::from_static("0f4e4a1c-5a64-4a5b-9d3e-2b8f1c9d7e60");
    let signed = operation.authorization() == Authorization::Credential;
    let sign = |request: &mut http::Request<Vec<u8>>, now: SystemTime| {
        if signed {
            acs_auth::sign_request(request, &key, now);
        }
    };
    // Every case must succeed, or the numbers would measure an error path.
    let mut request = prepare(operation, service, &request_id).expect("the request builds");
    sign(&mut request, now);
    operation
        .parse_response(answer.clone())
        .map_err(|e| e.to_string())
        .expect("the response parses");

    let mut group = c.benchmark_group(O::NAME);
    group.bench_function("build", |b| {
        b.iter(|| prepare(black_box(operation), service, &request_id));
    });
    if signed {
        group.bench_function("sign", |b| {
            let unsigned = prepare(operation, service, &request_id).expect("the request builds");
            b.iter_batched_ref(
                || unsigned.clone(),
                |request| sign(request, black_box(now)),
                BatchSize::SmallInput,
            );
        });
    }
    group.bench_function("parse", |b| {
        b.iter_batched(
            || answer.clone(),
            |answer| operation.parse_response(answer),
            BatchSize::SmallInput,
        );
    });
    // What a client's call adds to `parse`: the response kept with the value (`Call::complete`).
    group.bench_function("complete", |b| {
        let mut call = Call::new(&ClientOptions::default(), operation.is_idempotent());
        call.start_attempt(&request, Duration::ZERO)
            .expect("no timeout");
        b.iter_batched(
            || answer.clone(),
            |answer| call.complete(operation, Ok(answer), Duration::from_millis(3)),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("build_sign_parse", |b| {
        b.iter_batched(
            || answer.clone(),
            |answer| {
                let mut request = prepare(black_box(operation), service, &request_id)?;
                sign(&mut request, now);
                black_box(request);
                operation.parse_response(answer)
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn operations(c: &mut Criterion) {
    let endpoint: Endpoint = "http://127.0.0.1:47123".parse().expect("a valid endpoint");
    let agent = user_agent(None, "0.1.0", "rustc-1.88.0", "linux", "x86_64").expect("a user agent");
    let service = ServiceConfig::new(endpoint, ApiVersion::V2025_03_02_Preview, agent);
    let user = CommunicationUserIdentifier::new(USER_ID);
    let jwt = jwt();
    assert!((720..=760).contains(&jwt.len()), "a {}-char JWT", jwt.len());
    let identity = format!(r#"{{"id":"{USER_ID}"}}"#);
    let identity_and_token = response(
        201,
        format!(
            r#"{{"identity":{identity},"accessToken":{}}}"#,
            token_json(&jwt)
        ),
    );
    let token = response(200, token_json(&jwt));

    bench(
        c,
        &IssueToken::new(user.clone(), [TokenScope::Chat]),
        &token,
        &service,
    );
    bench(
        c,
        &CreateUser::default(),
        &response(201, format!(r#"{{"identity":{identity}}}"#)),
        &service,
    );
    bench(
        c,
        &CreateUserAndToken::new([TokenScope::Chat, TokenScope::Voip]),
        &identity_and_token,
        &service,
    );
    bench(
        c,
        &GetUser::new(user.clone()),
        &response(
            200,
            format!(
                r#"{{"id":"{USER_ID}","customId":"sally@contoso.com","lastTokenIssuedAt":"{EXPIRES_ON}"}}"#
            ),
        ),
        &service,
    );
    bench(
        c,
        &RevokeTokens::new(user.clone()),
        &response(204, String::new()),
        &service,
    );
    bench(
        c,
        &DeleteUser::new(user),
        &response(204, String::new()),
        &service,
    );
    bench(
        c,
        &ExchangeTeamsUserToken::new(
            jwt.clone(),
            "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac",
            "32c0a5db-05ec-78ea-51ab-3f06b329397e",
        ),
        &token,
        &service,
    );
    bench(
        c,
        &ExchangeEntraToken::new(jwt.clone()),
        &identity_and_token,
        &service,
    );
}

/// Every benchmark of this file, configured from the command line (`cargo bench -- <filter>`).
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    operations(&mut criterion);
}
criterion_main!(benches);
