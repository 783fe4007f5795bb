//! Feature `azure_core`: our errors convert into `azure_core::Error` with the HTTP status and the ACS error
//! code, so that a call composes with other Azure crates' `?`.
#![cfg(feature = "azure_core")]

use acs_identity::{CommunicationIdentityClient, CommunicationUserIdentifier, Error, ErrorKind};
use acs_identity_emulator::Emulator;
use azure_core::error::ErrorKind as AzureKind;
use uuid::Uuid;

/// A function of an application built on `azure_core`: `?` converts our error.
async fn revoke(
    client: &CommunicationIdentityClient,
    user: &CommunicationUserIdentifier,
) -> azure_core::Result<()> {
    client.revoke_tokens(user).await?;
    Ok(())
}

#[tokio::test]
async fn a_service_error_keeps_its_status_and_acs_code() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let client = CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
        .expect("client");
    let stranger =
        CommunicationUserIdentifier::new(format!("8:acs:{}_{}", Uuid::new_v4(), Uuid::new_v4()));
    let error = revoke(&client, &stranger).await.expect_err("not ours");
    match error.kind() {
        AzureKind::HttpResponse { status, error_code } => {
            assert_eq!(u16::from(*status), 401);
            assert_eq!(error_code.as_deref(), Some("IdentityNotOwned"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.http_status().map(u16::from), Some(401));
    let ours = error.downcast_ref::<Error>().expect("our error");
    assert_eq!(ours.kind(), ErrorKind::Service);
    assert!(ours.client_request_id().is_some());
}

#[test]
fn every_kind_maps() {
    let invalid: azure_core::Error = Error::invalid_input("scopes must not be empty").into();
    assert_eq!(invalid.kind(), &AzureKind::Other);
    assert!(
        invalid.to_string().contains("scopes must not be empty"),
        "{invalid}"
    );
    let timeout: azure_core::Error = Error::timeout(std::time::Duration::from_secs(1)).into();
    assert_eq!(timeout.kind(), &AzureKind::Io);
    let credential: azure_core::Error = Error::credential(std::io::Error::other("no token")).into();
    assert_eq!(credential.kind(), &AzureKind::Credential);
}
