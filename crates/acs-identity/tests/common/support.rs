//! What both sides of the seam have in common: `Env` (an emulator and a client of it) and `Recording` (a token
//! source that remembers its tokens), written once.
//!
//! Included by `tests/support/mod.rs` of both clients, which define the rest of the seam first: `sdk`, `aw!`,
//! `suite_fn!`, `TestEmulator` and `start_emulator`, and `Recording`'s `TokenSource` impl (async or not).

use std::sync::{Arc, Mutex};

use acs_identity_emulator::EmulatorBuilder;

use super::{TestEmulator, start_emulator};
use crate::sdk::{
    ClientOptions, ClientSecretCredential, CommunicationIdentityClient, ConnectionString, Endpoint,
    TokenSource,
};

/// A running emulator and a client of it, signed with its access key.
pub(crate) struct Env {
    pub(crate) emulator: TestEmulator,
    pub(crate) client: CommunicationIdentityClient,
}

impl Env {
    suite_fn! {
        pub(crate) fn start(builder: EmulatorBuilder) -> Self {
            let emulator = aw!(start_emulator(builder));
            let client =
                CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
                    .unwrap();
            Self { emulator, client }
        }
    }

    pub(crate) fn client_with(&self, options: ClientOptions) -> CommunicationIdentityClient {
        let connection_string =
            ConnectionString::parse(&self.emulator.connection_string()).unwrap();
        CommunicationIdentityClient::new(connection_string, options)
    }

    /// A client of another endpoint, signing with the emulator's key.
    pub(crate) fn client_at(
        &self,
        endpoint: &str,
        options: ClientOptions,
    ) -> CommunicationIdentityClient {
        let endpoint = Endpoint::parse(endpoint).unwrap();
        CommunicationIdentityClient::with_access_key(
            endpoint,
            self.emulator.access_key().clone(),
            options,
        )
    }

    pub(crate) fn entra_client(
        &self,
        source: impl TokenSource,
        options: ClientOptions,
    ) -> CommunicationIdentityClient {
        let endpoint = Endpoint::parse(self.emulator.endpoint()).unwrap();
        CommunicationIdentityClient::with_token_source(endpoint, source, options)
    }

    /// The client secret credential of the emulator's Entra ID app, against the emulator's token endpoint.
    pub(crate) fn app_credential(&self) -> ClientSecretCredential {
        let app = self.emulator.entra_app();
        ClientSecretCredential::new(
            self.emulator.entra_tenant_id().to_string(),
            app.client_id().to_string(),
            app.client_secret(),
        )
        .with_authority(self.emulator.entra_authority())
        .unwrap()
    }
}

/// A token source that remembers the tokens it hands out (tests look for them in logs).
pub(crate) struct Recording<S> {
    pub(super) source: S,
    pub(super) tokens: Arc<Mutex<Vec<String>>>,
}

impl<S> Recording<S> {
    /// The source, and the list its tokens go to.
    pub(crate) fn new(source: S) -> (Self, Arc<Mutex<Vec<String>>>) {
        let tokens = Arc::default();
        (
            Self {
                source,
                tokens: Arc::clone(&tokens),
            },
            tokens,
        )
    }
}
