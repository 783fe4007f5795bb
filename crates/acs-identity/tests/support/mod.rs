//! The async side of the seam of the shared scenario suite (`tests/common`): `Env`, `scenario!`, `aw!`.

// Each test binary uses part of the seam.
#![allow(dead_code, unused_macros)]

pub(crate) use acs_identity as sdk;

use acs_identity_emulator::{EmulatorBuilder, RunningEmulator};
use std::sync::{Arc, Mutex};

use sdk::{
    BoxFuture, ClientOptions, CommunicationIdentityClient, ConnectionString, Endpoint, EntraToken,
    Error, TokenContext, TokenSource,
};

/// `.await` in the async suite.
macro_rules! aw {
    ($call:expr) => {
        $call.await
    };
}

/// One `#[tokio::test]` with a fresh emulator (from the default builder or the one given) and a client.
macro_rules! scenario {
    ($name:ident($env:ident) $body:block) => {
        scenario!($name($env = acs_identity_emulator::Emulator::builder()) $body);
    };
    ($name:ident($env:ident = $builder:expr) $body:block) => {
        #[tokio::test]
        async fn $name() {
            let $env = crate::Env::start($builder).await;
            $body
        }
    };
}

/// Every crate at TRACE but the emulator (the server side, not under test).
pub(crate) const LOG_FILTER: &str = "trace,acs_identity_emulator=off";

/// A running emulator and a client of it, signed with its access key.
pub(crate) struct Env {
    pub(crate) emulator: RunningEmulator,
    pub(crate) client: CommunicationIdentityClient,
}

impl Env {
    pub(crate) async fn start(builder: EmulatorBuilder) -> Self {
        let emulator = builder.start().await.unwrap();
        let client =
            CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
                .unwrap();
        Self { emulator, client }
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
}

/// A token source that remembers the tokens it hands out (tests look for them in logs).
pub(crate) struct Recording<S> {
    source: S,
    tokens: Arc<Mutex<Vec<String>>>,
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

impl<S: TokenSource> TokenSource for Recording<S> {
    fn get_token<'a>(
        &'a self,
        context: &'a TokenContext,
    ) -> BoxFuture<'a, Result<EntraToken, Error>> {
        Box::pin(async move {
            let token = self.source.get_token(context).await?;
            self.tokens.lock().unwrap().push(token.token().to_owned());
            Ok(token)
        })
    }
}
