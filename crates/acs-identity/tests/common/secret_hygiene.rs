//! Secret hygiene of both clients: a TRACE-level capture of a whole session (access key and Entra ID, the
//! embedded emulator's own logs in the same capture, every dependency at TRACE too but what the client's
//! `TRACE_ALL` caps), read the way an attacker would (`hygiene::assert_hidden`: hex dumps decoded, base64 and
//! percent forms), holds none of the secrets that crossed the wire, and no `Debug` or `Display` of a public
//! type or error that can hold a secret shows it.
//!
//! The secrets are not guessed: a recording proxy between the client and the emulator collects every
//! signature, bearer token, client secret and ACS token that went over the wire.
//!
//! Included by `tests/secret_hygiene.rs` of both clients, each its own test binary (it installs the global
//! subscriber), whose `tests/support` defines the seam (`sdk`, `client_test!`, `aw!`, `answer!`,
//! `start_emulator`, `TRACE_ALL`, `FRONTEND`); they include `common/hygiene.rs` and `common/proxy.rs` too.
//! Written once.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::time::{Duration, SystemTime};

use acs_identity_emulator::{Emulator, EntraUser, Fault, FaultRule, Operation, RetryAfter};
use tracing_subscriber::fmt::format::FmtSpan;
use uuid::Uuid;

use crate::hygiene::{assert_hidden, harvest};
use crate::proxy::{Buffer, Proxy};
use crate::sdk::{
    AccessKey, AccessToken, ClientOptions, ClientSecretCredential, CommunicationIdentityClient,
    CommunicationTokenCredential, ConnectionString, CreateUserAndTokenOptions, CreateUserOptions,
    CustomId, Endpoint, EntraCommunicationTokenCredentialOptions, EntraToken, ErrorKind,
    ExchangeTeamsUserToken, TokenOptions, TokenScope, WorkloadIdentityCredential,
    parse_access_token,
};
use crate::support::{FRONTEND, TRACE_ALL, start_emulator};

client_test!(multi_thread a_trace_capture_of_a_whole_session_holds_no_secret {
    let logs = Buffer::capture(TRACE_ALL, FmtSpan::NONE);

    let emulator = aw!(start_emulator(Emulator::builder()));
    let Proxy {
        url: proxy, wire, ..
    } = Proxy::start(emulator.local_addr());
    let key = emulator.access_key().clone();
    let client = CommunicationIdentityClient::with_access_key(
        Endpoint::parse(&proxy).unwrap(),
        key.clone(),
        ClientOptions::default(),
    );

    // Access key: every identity operation, a retry, a Teams exchange, refusals.
    let user = aw!(client.create_user()).unwrap();
    let throttle = Fault::Status {
        status: 429,
        retry_after: Some(RetryAfter::Milliseconds(5)),
    };
    emulator
        .faults()
        .push(FaultRule::next(1, throttle).only(Operation::IssueAccessToken));
    let token = aw!(client.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap();
    let options = CreateUserAndTokenOptions::default().custom_id(CustomId::new("hygiene").unwrap());
    let created = aw!(client.create_user_and_token(&[TokenScope::Voip], options)).unwrap();
    let options = CreateUserOptions::default().custom_id(CustomId::new("hygiene").unwrap());
    aw!(client.create_user_with_options(options)).unwrap();
    aw!(client.get_user_detail(&user)).unwrap();
    let (object_id, app_id) = (Uuid::new_v4(), Uuid::new_v4());
    let teams = emulator.issue_entra_user_token(&EntraUser::teams_user(object_id, app_id));
    let exchange =
        ExchangeTeamsUserToken::new(teams.secret(), app_id.to_string(), object_id.to_string());
    aw!(client.get_token_for_teams_user(exchange)).unwrap();
    let extension = emulator.issue_entra_user_token(&EntraUser::teams_user(object_id, app_id));
    let refused = aw!(client.exchange_teams_extension_token(extension.secret()));
    assert!(refused.is_err(), "no assignment");
    let wrong_key = CommunicationIdentityClient::with_access_key(
        Endpoint::parse(&proxy).unwrap(),
        AccessKey::from_bytes(vec![7; 64]),
        ClientOptions::default(),
    );
    let denied = aw!(wrong_key.create_user()).unwrap_err();
    assert_eq!(denied.status().map(|s| s.as_u16()), Some(401));
    aw!(client.revoke_tokens(&user)).unwrap();
    aw!(client.delete_user(&user)).unwrap();

    // Entra ID: a client secret credential against the emulator's token endpoint, through the proxy.
    let app = emulator.entra_app().clone();
    let credential = ClientSecretCredential::new(
        emulator.entra_tenant_id().to_string(),
        app.client_id().to_string(),
        app.client_secret(),
    )
    .with_authority(&format!("{proxy}/"))
    .unwrap();
    let entra = CommunicationIdentityClient::with_token_source(
        Endpoint::parse(&proxy).unwrap(),
        credential,
        ClientOptions::default(),
    );
    let user = aw!(entra.create_user()).unwrap();
    aw!(entra.get_token(&user, &[TokenScope::Chat], TokenOptions::default())).unwrap();
    aw!(entra.delete_user(&user)).unwrap();
    aw!(emulator.shutdown());

    let wire = wire.text();
    let mut secrets = harvest(&wire);
    let kinds = |marker: &str| wire.matches(marker).count();
    assert!(kinds("Signature=") >= 10, "the HMAC requests went through");
    assert!(kinds("Bearer ") >= 3, "the Entra requests went through");
    assert!(
        kinds("client_secret=") >= 1,
        "the token request went through"
    );
    secrets.extend([
        key.to_base64(),
        app.client_secret().to_owned(),
        teams.secret().to_owned(),
        extension.secret().to_owned(),
        token.token().to_owned(),
        created.access_token.token().to_owned(),
    ]);
    let text = logs.text();
    for expected in [
        "CommunicationIdentityClient.create_user",
        "sending request",
        "retrying",
        // the emulator's own log line, and the dependencies' TRACE output
        "acs_identity_emulator",
        "TRACE",
    ] {
        assert!(text.contains(expected), "the capture lacks {expected:?}");
    }
    assert_hidden(&text, &secrets, "the TRACE capture");
    eprintln!(
        "hygiene ({FRONTEND}): {} secrets from the wire, none in {} lines of TRACE output",
        secrets.len(),
        text.lines().count()
    );
});

/// A one-shot HTTP server answering every request with `200` and `body`.
fn answering(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0; 64 * 1024];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{address}")
}

client_test!(no_public_type_or_error_shows_a_secret {
    let key = AccessKey::from_bytes((0..64).map(|n| n * 3).collect());
    let secret_key = key.to_base64();
    let emulator = aw!(start_emulator(Emulator::builder().access_key(key.clone())));
    let app = emulator.entra_app().clone();
    let user_token =
        emulator.issue_entra_user_token(&EntraUser::teams_user(Uuid::new_v4(), Uuid::new_v4()));
    let connection = ConnectionString::parse(&emulator.connection_string()).unwrap();
    let client = CommunicationIdentityClient::new(connection.clone(), ClientOptions::default());
    let created = aw!(client.create_user_and_token(&[TokenScope::Chat], Default::default())).unwrap();
    let acs_token = created.access_token.token().to_owned();
    let expires = SystemTime::now() + Duration::from_secs(3600);
    let bearer = EntraToken::new(user_token.secret(), expires);
    let entra_client = CommunicationIdentityClient::with_token_source(
        Endpoint::parse(emulator.endpoint()).unwrap(),
        bearer.clone(),
        ClientOptions::default(),
    );
    let credential = ClientSecretCredential::new("tenant", "client", app.client_secret());
    let wrong_secret = ClientSecretCredential::new(
        emulator.entra_tenant_id().to_string(),
        app.client_id().to_string(),
        "a-wrong-client-secret-of-some-length",
    )
    .with_authority(emulator.entra_authority())
    .unwrap();
    let credential_error = aw!(CommunicationIdentityClient::with_token_source(
        Endpoint::parse(emulator.endpoint()).unwrap(),
        wrong_secret,
        ClientOptions::default(),
    )
    .create_user())
    .unwrap_err();
    assert_eq!(credential_error.kind(), ErrorKind::Credential);
    let service_error = aw!(CommunicationIdentityClient::with_access_key(
        Endpoint::parse(emulator.endpoint()).unwrap(),
        AccessKey::from_bytes(vec![9; 32]),
        ClientOptions::default(),
    )
    .create_user())
    .unwrap_err();
    assert_eq!(service_error.kind(), ErrorKind::Service);

    // A success body that does not decode: the error must not show the token in it.
    let malformed = answering(
        r#"{"token":"eyJhbGciOiJub25lIn0.c2VjcmV0LXRva2VuLXBheWxvYWQ.c2ln","expiresOn":"not a time"}"#,
    );
    let decode_error = aw!(CommunicationIdentityClient::with_access_key(
        Endpoint::parse(&malformed).unwrap(),
        key.clone(),
        ClientOptions::default(),
    )
    .get_token(&created.user, &[TokenScope::Chat], TokenOptions::default()))
    .unwrap_err();
    assert_eq!(decode_error.kind(), ErrorKind::Decode);
    let decode_secret = "eyJhbGciOiJub25lIn0.c2VjcmV0LXRva2VuLXBheWxvYWQ.c2ln".to_owned();

    let bad_connection = ConnectionString::parse(&format!(
        "endpoint=https://x.communication.azure.com/path;accesskey={secret_key}"
    ))
    .unwrap_err();
    let bad_token = parse_access_token(acs_token.replacen('.', ".!", 1)).unwrap_err();
    let credential_with_token = CommunicationTokenCredential::new(acs_token.as_str()).unwrap();
    let access_token = AccessToken::new(acs_token.clone(), time::OffsetDateTime::now_utc());
    let exchange = ExchangeTeamsUserToken::new(user_token.secret(), "app", "user");
    let entra_options = EntraCommunicationTokenCredentialOptions::new(
        Endpoint::parse(emulator.endpoint()).unwrap(),
        |_: &[String]| answer!({ Ok::<_, std::io::Error>(EntraToken::new("x", SystemTime::now())) }),
    );
    let workload = WorkloadIdentityCredential::new("tenant", "client");

    let secrets = [
        secret_key,
        acs_token,
        user_token.secret().to_owned(),
        app.client_secret().to_owned(),
        "a-wrong-client-secret-of-some-length".to_owned(),
        decode_secret,
    ];
    let shown = [
        ("AccessKey", format!("{key:?} {key}")),
        ("ConnectionString", format!("{connection:?} {connection}")),
        (
            "ConnectionStringError",
            format!("{bad_connection:?} {bad_connection}"),
        ),
        ("AccessToken", format!("{access_token:?}")),
        ("EntraToken", format!("{bearer:?}")),
        ("ClientSecretCredential", format!("{credential:?}")),
        ("WorkloadIdentityCredential", format!("{workload:?}")),
        ("client (access key)", format!("{client:?}")),
        ("client (Entra ID)", format!("{entra_client:?}")),
        (
            "CommunicationUserIdentifierAndToken",
            format!("{created:?}"),
        ),
        ("ExchangeTeamsUserToken", format!("{exchange:?}")),
        (
            "CommunicationTokenCredential",
            format!("{credential_with_token:?}"),
        ),
        (
            "EntraCommunicationTokenCredentialOptions",
            format!("{entra_options:?}"),
        ),
        ("TokenParseError", format!("{bad_token:?} {bad_token}")),
        (
            "Error (credential)",
            format!("{credential_error:?} {credential_error}"),
        ),
        (
            "Error (service)",
            format!("{service_error:?} {service_error}"),
        ),
        ("Error (decode)", format!("{decode_error:?} {decode_error}")),
        ("emulator EntraApp", format!("{app:?}")),
        ("emulator EntraToken", format!("{user_token:?}")),
        ("RunningEmulator", format!("{emulator:?}")),
    ];
    for (what, text) in &shown {
        assert_hidden(text, &secrets, what);
    }
    // The source chain of errors too.
    for error in [&credential_error, &service_error, &decode_error] {
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            assert_hidden(&format!("{inner:?} {inner}"), &secrets, "an error source");
            source = inner.source();
        }
    }
    aw!(emulator.shutdown());
});
