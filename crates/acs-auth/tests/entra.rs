//! Entra ID: token requests, token responses, bearer headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acs_auth::{
    COMMUNICATION_SCOPE, ClientSecretCredential, EntraToken, EntraTokenError,
    WorkloadIdentityCredential, bearer_header_value, parse_token_response,
};
use http::{Method, StatusCode};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn body(request: http::Request<Vec<u8>>) -> String {
    String::from_utf8(request.into_body()).unwrap()
}

#[test]
fn client_secret_request() {
    let credential = ClientSecretCredential::new(
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "app-id",
        "s3cr&t=+ x",
    );
    let request = credential.token_request(&[COMMUNICATION_SCOPE]);
    assert_eq!(request.method(), Method::POST);
    assert_eq!(
        request.uri(),
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
    );
    assert_eq!(request.headers().len(), 2);
    assert_eq!(
        request.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(
        body(request),
        "grant_type=client_credentials&client_id=app-id&client_secret=s3cr%26t%3D%2B+x\
         &scope=https%3A%2F%2Fcommunication.azure.com%2F%2F.default"
    );
    assert_eq!(
        COMMUNICATION_SCOPE,
        "https://communication.azure.com//.default"
    );
}

#[test]
fn workload_identity_request() {
    let credential = WorkloadIdentityCredential::new("contoso.onmicrosoft.com", "app-id");
    let request = credential.token_request(&["a", "b"], "eyJhbGciOiJSUzI1NiJ9.e30.sig");
    assert_eq!(request.method(), Method::POST);
    assert_eq!(
        request.uri(),
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    assert_eq!(
        request.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(
        body(request),
        "grant_type=client_credentials&client_id=app-id\
         &client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer\
         &client_assertion=eyJhbGciOiJSUzI1NiJ9.e30.sig&scope=a+b"
    );
}

#[test]
fn authorities_and_tenants() {
    let sovereign = ClientSecretCredential::new("t", "c", "s")
        .with_authority("https://login.microsoftonline.us")
        .unwrap();
    assert_eq!(
        sovereign.token_request(&[]).uri(),
        "https://login.microsoftonline.us/t/oauth2/v2.0/token"
    );

    let local = WorkloadIdentityCredential::new("t", "c")
        .with_authority("http://127.0.0.1:8400/entra/")
        .unwrap();
    assert_eq!(
        local.token_request(&[], "a").uri(),
        "http://127.0.0.1:8400/entra/t/oauth2/v2.0/token"
    );

    for bad in [
        "login.microsoftonline.com",
        "ftp://x/",
        "https://u:p@x/",
        "https://x/?q",
        "https://x/#f",
        "",
    ] {
        let err = ClientSecretCredential::new("t", "c", "s")
            .with_authority(bad)
            .unwrap_err();
        assert!(
            err.to_string().starts_with("invalid Entra ID authority: "),
            "{err}"
        );
        assert!(
            WorkloadIdentityCredential::new("t", "c")
                .with_authority(bad)
                .is_err(),
            "{bad}"
        );
    }

    // A tenant id cannot escape its path segment.
    let sneaky = ClientSecretCredential::new("evil/../x?y#z", "c", "s");
    assert_eq!(
        sneaky.token_request(&[]).uri(),
        "https://login.microsoftonline.com/evil%2F..%2Fx%3Fy%23z/oauth2/v2.0/token"
    );
}

#[test]
fn debug_never_shows_secrets() {
    let credential = ClientSecretCredential::new("tenant", "client", "hunter2-secret");
    let debug = format!("{credential:?} {credential:#?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("[redacted]") && debug.contains("tenant") && debug.contains("client"));
    let workload = format!("{:?}", WorkloadIdentityCredential::new("tenant", "client"));
    assert!(
        workload.contains("tenant") && workload.contains("login.microsoftonline.com"),
        "{workload}"
    );
    let token = EntraToken::new("eyJ0eXAi.secret.sig", now());
    assert!(!format!("{token:?}").contains("secret"));
    assert_eq!(token.token(), "eyJ0eXAi.secret.sig");
    assert_eq!(token.expires_at(), now());
}

#[test]
fn parses_success_with_number_or_string_lifetimes() {
    let body = br#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0.abc.def"}"#;
    let token = parse_token_response(StatusCode::OK, body, now()).unwrap();
    assert_eq!(token.token(), "eyJ0.abc.def");
    assert_eq!(token.expires_at(), now() + Duration::from_secs(3599));

    let body = br#"{"access_token":"eyJ0.abc.def","expires_in":"3600","expires_on":"1700003600"}"#;
    let token = parse_token_response(StatusCode::OK, body, now()).unwrap();
    assert_eq!(token.expires_at(), now() + Duration::from_secs(3600));
}

#[test]
fn error_bodies_are_rejections_to_show() {
    let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215],"timestamp":"2025-01-01 00:00:00Z","trace_id":"t","correlation_id":"c"}"#;
    let err = parse_token_response(StatusCode::UNAUTHORIZED, body, now()).unwrap_err();
    assert_eq!(
        err,
        EntraTokenError::Rejected {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client".into(),
            description: "AADSTS7000215: Invalid client secret provided.".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "Entra ID refused the token request (401 Unauthorized): invalid_client: AADSTS7000215: Invalid client secret provided."
    );
    let bare = parse_token_response(
        StatusCode::BAD_REQUEST,
        br#"{"error":"invalid_scope"}"#,
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(bare, EntraTokenError::Rejected { ref description, .. } if description.is_empty())
    );
}

#[test]
fn malformed_bodies_keep_an_excerpt_only_when_it_cannot_hold_a_token() {
    let html = "<html>".to_owned() + &"x".repeat(1000);
    let err = parse_token_response(StatusCode::BAD_GATEWAY, html.as_bytes(), now()).unwrap_err();
    let EntraTokenError::Decode {
        status,
        excerpt: Some(excerpt),
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, StatusCode::BAD_GATEWAY);
    assert_eq!(excerpt.chars().count(), 200);
    assert!(
        err.to_string()
            .starts_with("unexpected Entra ID token response (502 Bad Gateway): <html>")
    );

    let success_bodies: [&[u8]; 6] = [
        br#"{"access_token":"eyJ0.secret.sig""#,
        br#"{"access_token":"eyJ0.secret.sig","expires_in":"soon"}"#,
        br#"{"access_token":"eyJ0.secret.sig","expires_in":-1}"#,
        br#"{"access_token":"eyJ0.secret.sig"}"#,
        br#"{"access_token":"","expires_in":3600}"#,
        br#"{"access_token":"eyJ0.secret.sig","expires_in":18446744073709551615}"#,
    ];
    for body in success_bodies {
        let err = parse_token_response(StatusCode::OK, body, now()).unwrap_err();
        assert_eq!(
            err,
            EntraTokenError::Decode {
                status: StatusCode::OK,
                excerpt: None
            }
        );
        assert!(!format!("{err} {err:?}").contains("secret"));
    }
}

#[test]
fn bearer_values() {
    let value = bearer_header_value("eyJ0.e30.sig-_~+/=").unwrap();
    assert_eq!(value, "Bearer eyJ0.e30.sig-_~+/=");
    assert!(value.is_sensitive());
    for bad in ["", "a b", "tok\n", "tok\r\nX-Injected: 1", "tökén"] {
        let err = bearer_header_value(bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the bearer token is empty or contains characters other than visible ASCII"
        );
    }
}
