//! Behaviour of the operations beyond the snapshots: input checks, encoding, idempotency,
//! authorization, redaction and status handling.

use std::collections::BTreeMap;

use acs_identity_core::{
    Authorization, CreateUser, CreateUserAndToken, CreateUserAndTokenOptions,
    DeleteEntraAssignment, DeleteTeamsExtensionAssignment, DeleteUser, EntraPrincipalType,
    ErrorKind, ExchangeEntraToken, ExchangeTeamsExtensionToken, ExchangeTeamsUserToken,
    GetEntraAssignment, GetTeamsExtensionAssignment, GetUser, IssueToken, ListEntraAssignments,
    Operation, RevokeTokens, ServiceConfig, TeamsExtensionPrincipalType, UpdateEntraAssignments,
    UpsertTeamsExtensionAssignment, prepare,
};
use acs_identity_types::{ApiVersion, CommunicationUserIdentifier, CustomId, TokenScope};
use http::HeaderValue;

fn service() -> ServiceConfig {
    ServiceConfig::new(
        "https://contoso.communication.azure.com".parse().unwrap(),
        ApiVersion::V2025_03_02_Preview,
        HeaderValue::from_static("test-agent"),
    )
}

fn user(id: &str) -> CommunicationUserIdentifier {
    CommunicationUserIdentifier::new(id)
}

fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

#[test]
fn ids_are_percent_encoded_except_unreserved_characters() {
    let table = [
        ("8:acs:r_u", "/identities/8%3Aacs%3Ar_u"),
        ("a-b.c_d~e", "/identities/a-b.c_d~e"),
        ("a/b?c#d e", "/identities/a%2Fb%3Fc%23d%20e"),
        ("%41", "/identities/%2541"),
        ("\u{e9}", "/identities/%C3%A9"),
        ("...", "/identities/..."),
    ];
    for (id, path) in table {
        let request = DeleteUser::new(user(id)).build_request(&service()).unwrap();
        assert_eq!(request.uri().path(), path, "{id}");
        assert_eq!(
            request.uri().query(),
            Some("api-version=2025-03-02-preview")
        );
    }
}

#[test]
fn empty_and_dot_segments_are_refused() {
    for id in ["", ".", ".."] {
        let error = GetUser::new(user(id))
            .build_request(&service())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{id:?}");
        assert_eq!(
            error.to_string(),
            "invalid input: the user id must not be empty, `.` or `..`"
        );
    }
    let error = GetTeamsExtensionAssignment::new("", "object")
        .build_request(&service())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid input: the tenant id must not be empty, `.` or `..`"
    );
    let error = DeleteEntraAssignment::new("..")
        .build_request(&service())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid input: the object id must not be empty, `.` or `..`"
    );
}

#[test]
fn empty_inputs_are_refused_before_io() {
    let error = IssueToken::new(user("u"), [])
        .build_request(&service())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid input: a token needs at least one scope"
    );
    let error = CreateUserAndToken::new([])
        .build_request(&service())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let error = UpdateEntraAssignments::default()
        .build_request(&service())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid input: an assignment update needs at least one change"
    );
}

#[test]
fn the_capability_check_comes_first_and_names_the_version() {
    let stable = ServiceConfig {
        api_version: ApiVersion::V2023_10_01,
        ..service()
    };
    let error = CreateUser::with_custom_id(CustomId::new("alice").unwrap())
        .build_request(&stable)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid input: custom id is not available in api-version 2023-10-01; use api-version 2025-03-02-preview"
    );
    // Even with otherwise invalid input, the version is what is reported.
    let error = GetUser::new(user("")).build_request(&stable).unwrap_err();
    assert!(
        error.to_string().contains("get user is not available"),
        "{error}"
    );
}

#[test]
fn idempotency_of_every_operation() {
    let custom_id = || CustomId::new("alice").unwrap();
    let with_custom_id = CreateUserAndToken {
        scopes: vec![TokenScope::Chat],
        options: CreateUserAndTokenOptions::default().custom_id(custom_id()),
    };
    // (operation, is_idempotent(), documented)
    let table: [(&str, bool, bool); 18] = [
        (
            CreateUser::NAME,
            CreateUser::default().is_idempotent(),
            false,
        ),
        (
            "create_user with custom id",
            CreateUser::with_custom_id(custom_id()).is_idempotent(),
            true,
        ),
        (
            CreateUserAndToken::NAME,
            CreateUserAndToken::new([TokenScope::Chat]).is_idempotent(),
            false,
        ),
        (
            "create_user_and_token with custom id",
            with_custom_id.is_idempotent(),
            true,
        ),
        (GetUser::NAME, GetUser::new(user("u")).is_idempotent(), true),
        (
            IssueToken::NAME,
            IssueToken::new(user("u"), [TokenScope::Chat]).is_idempotent(),
            true,
        ),
        (
            RevokeTokens::NAME,
            RevokeTokens::new(user("u")).is_idempotent(),
            true,
        ),
        (
            DeleteUser::NAME,
            DeleteUser::new(user("u")).is_idempotent(),
            true,
        ),
        (
            ExchangeTeamsUserToken::NAME,
            ExchangeTeamsUserToken::new("t", "a", "u").is_idempotent(),
            true,
        ),
        (
            ExchangeTeamsExtensionToken::NAME,
            ExchangeTeamsExtensionToken::new("t").is_idempotent(),
            true,
        ),
        (
            GetTeamsExtensionAssignment::NAME,
            GetTeamsExtensionAssignment::new("t", "o").is_idempotent(),
            true,
        ),
        (
            UpsertTeamsExtensionAssignment::NAME,
            UpsertTeamsExtensionAssignment::new("t", "o", TeamsExtensionPrincipalType::User)
                .is_idempotent(),
            true,
        ),
        (
            DeleteTeamsExtensionAssignment::NAME,
            DeleteTeamsExtensionAssignment::new("t", "o").is_idempotent(),
            true,
        ),
        (
            ExchangeEntraToken::NAME,
            ExchangeEntraToken::new("t").is_idempotent(),
            true,
        ),
        (
            ListEntraAssignments::NAME,
            ListEntraAssignments::first_page().is_idempotent(),
            true,
        ),
        (
            UpdateEntraAssignments::NAME,
            UpdateEntraAssignments::default().is_idempotent(),
            true,
        ),
        (
            GetEntraAssignment::NAME,
            GetEntraAssignment::new("o").is_idempotent(),
            true,
        ),
        (
            DeleteEntraAssignment::NAME,
            DeleteEntraAssignment::new("o").is_idempotent(),
            true,
        ),
    ];
    for (operation, actual, documented) in table {
        assert_eq!(actual, documented, "{operation}");
    }
}

#[test]
fn token_exchanges_carry_the_users_bearer_token() {
    let entra = ExchangeEntraToken::new("entra.jwt");
    let teams_extension = ExchangeTeamsExtensionToken::new("entra.jwt");
    assert_eq!(entra.authorization(), Authorization::Included);
    assert_eq!(teams_extension.authorization(), Authorization::Included);
    for request in [
        entra.build_request(&service()),
        teams_extension.build_request(&service()),
    ] {
        let request = request.unwrap();
        let value = request.headers().get(http::header::AUTHORIZATION).unwrap();
        assert_eq!(value, "Bearer entra.jwt");
        assert!(value.is_sensitive());
        assert_eq!(request.body(), b"{}");
    }
    assert_eq!(
        IssueToken::new(user("u"), [TokenScope::Chat]).authorization(),
        Authorization::Credential
    );
    let error = ExchangeEntraToken::new("two words")
        .build_request(&service())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid input: the Entra token is not valid header text"
    );
}

#[test]
fn debug_never_shows_entra_tokens() {
    let shown = format!(
        "{:?} {:?} {:?}",
        ExchangeTeamsUserToken::new("secret-entra", "app", "user"),
        ExchangeTeamsExtensionToken::new("secret-entra"),
        ExchangeEntraToken::new("secret-entra"),
    );
    assert!(!shown.contains("secret-entra"), "{shown}");
    assert_eq!(shown.matches("[redacted]").count(), 3);
}

#[test]
fn prepare_stamps_the_client_request_id() {
    let id = HeaderValue::from_static("11111111-2222-3333-4444-555555555555");
    let request = prepare(&CreateUser::default(), &service(), &id).unwrap();
    assert_eq!(request.headers()["x-ms-client-request-id"], id);
    assert_eq!(request.headers()["user-agent"], "test-agent");
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(request.headers()["content-type"], "application/json");
    let request = prepare(&DeleteUser::new(user("u")), &service(), &id).unwrap();
    assert!(!request.headers().contains_key("content-type"));
    assert!(request.body().is_empty());
}

#[test]
fn next_links_stay_on_the_endpoint() {
    let service = service();
    let target = |link: &str| {
        ListEntraAssignments::next_page(&service, link)
            .and_then(|operation| operation.build_request(&service))
            .map(|request| request.uri().to_string())
    };
    let base = "https://contoso.communication.azure.com";
    let table = [
        (
            "/access/entra/assignments?skipToken=a",
            "/access/entra/assignments?skipToken=a&api-version=2025-03-02-preview",
        ),
        (
            "https://contoso.communication.azure.com/access/entra/assignments?api-version=2025-03-02-preview&skipToken=b",
            "/access/entra/assignments?api-version=2025-03-02-preview&skipToken=b",
        ),
        (
            "/access/entra/assignments",
            "/access/entra/assignments?api-version=2025-03-02-preview",
        ),
    ];
    for (link, expected) in table {
        assert_eq!(target(link).unwrap(), format!("{base}{expected}"), "{link}");
    }
    for link in [
        "https://evil.example/access/entra/assignments",
        "https://contoso.communication.azure.com.evil.example/x",
        "https://contoso.communication.azure.com:8443/x",
        "//evil.example/x",
        "nextLink",
        "",
        "/bad path",
    ] {
        assert_eq!(
            target(link).unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{link}"
        );
    }
}

#[test]
fn any_success_status_is_success() {
    let body = r#"{"identity":{"id":"8:acs:r_u"}}"#;
    for status in [200, 201] {
        assert_eq!(
            CreateUser::default()
                .parse_response(response(status, body))
                .unwrap()
                .id(),
            "8:acs:r_u"
        );
    }
    // A 204 with an unexpected body is still just success.
    RevokeTokens::new(user("u"))
        .parse_response(response(204, "ignored"))
        .unwrap();
    DeleteUser::new(user("u"))
        .parse_response(response(200, ""))
        .unwrap();
    // A 3xx is not success.
    let error = DeleteUser::new(user("u"))
        .parse_response(response(302, ""))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service);
    assert_eq!(error.status(), Some(http::StatusCode::FOUND));
}

#[test]
fn upserts_say_whether_they_created() {
    let body = r#"{"objectId":"o","tenantId":"t","principalType":"user","clientIds":["c"]}"#;
    let upsert = UpsertTeamsExtensionAssignment::new("t", "o", TeamsExtensionPrincipalType::User);
    assert!(upsert.parse_response(response(201, body)).unwrap().created);
    let replaced = upsert.parse_response(response(200, body)).unwrap();
    assert!(!replaced.created);
    assert_eq!(replaced.assignment.client_ids, ["c"]);
}

#[test]
fn principal_types_keep_unknown_values() {
    assert_eq!(EntraPrincipalType::from("group"), EntraPrincipalType::Group);
    assert_eq!(
        EntraPrincipalType::from("teamsResourceAccount").as_str(),
        "teamsResourceAccount"
    );
    assert_eq!(
        TeamsExtensionPrincipalType::from(String::from("resourceAccount")),
        TeamsExtensionPrincipalType::ResourceAccount
    );
    assert_eq!(
        TeamsExtensionPrincipalType::Other("bot".into()).to_string(),
        "bot"
    );
    let update = UpdateEntraAssignments {
        changes: BTreeMap::from([("o".to_owned(), None)]),
    };
    assert_eq!(
        update.build_request(&service()).unwrap().body(),
        br#"{"o":null}"#
    );
}
