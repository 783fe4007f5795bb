//! Issue 15, fact 4: the headers of the service's responses.

mod common;

use acs_identity_emulator::Emulator;
use common::{Client, PREVIEW, Reply, SUPPORTED_VERSIONS};
use uuid::Uuid;

fn assert_front_door_headers(reply: &Reply) -> (String, String) {
    assert_eq!(
        reply.header("strict-transport-security"),
        Some("max-age=31536000;includeSubDomains")
    );
    assert_eq!(reply.header("x-cache"), Some("CONFIG_NOCACHE"));
    let context = reply.header("request-context").expect("Request-Context");
    let app = context.strip_prefix("appId=cid-v1:").expect(context);
    Uuid::parse_str(app).unwrap();
    let azure_ref = reply.header("x-azure-ref").expect("X-Azure-Ref");
    assert_eq!(azure_ref.len(), 80, "{azure_ref}");
    assert!(azure_ref.starts_with('0'));
    assert!(
        azure_ref
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'),
        "{azure_ref}"
    );
    (context.to_owned(), azure_ref.to_owned())
}

#[tokio::test]
async fn successes_list_the_versions_errors_do_not() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::new(&emulator);

    let created = client
        .call("POST", &format!("/identities?api-version={PREVIEW}"), "")
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.header("api-supported-versions"),
        Some(SUPPORTED_VERSIONS)
    );
    let (context, first_ref) = assert_front_door_headers(&created);

    let unsigned = client
        .send(
            http::Request::post(format!(
                "http://{}/identities?api-version={PREVIEW}",
                client.authority()
            ))
            .body(Vec::new())
            .unwrap(),
        )
        .await
        .unwrap();
    let errors = [
        unsigned,
        client
            .call("POST", "/identities?api-version=1999-01-01", "")
            .await,
        client
            .call("GET", "/nothing?api-version=2023-10-01", "")
            .await,
        client
            .call(
                "POST",
                &format!("/identities/x/:issueAccessToken?api-version={PREVIEW}"),
                "{}",
            )
            .await,
    ];
    for reply in &errors {
        assert!(reply.status >= 400, "{}", reply.status);
        assert_eq!(
            reply.header("api-supported-versions"),
            None,
            "{}",
            reply.status
        );
        let (same_context, azure_ref) = assert_front_door_headers(reply);
        assert_eq!(same_context, context, "one Request-Context per emulator");
        assert_ne!(azure_ref, first_ref, "a new X-Azure-Ref per response");
    }
}
