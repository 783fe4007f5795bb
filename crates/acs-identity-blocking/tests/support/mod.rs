//! The blocking side of the seam of the shared scenario suite (`tests/common`): `Env`, `scenario!`, `aw!`.

// Each test binary uses part of the seam.
#![allow(dead_code, unused_macros)]

pub(crate) use acs_identity_blocking as sdk;

use acs_identity_emulator::{BackgroundEmulator, EmulatorBuilder};
use std::sync::{Arc, Mutex};

use sdk::{
    ClientOptions, CommunicationIdentityClient, ConnectionString, Endpoint, EntraToken, Error,
    TokenContext, TokenSource,
};

/// Nothing in the blocking suite.
macro_rules! aw {
    ($call:expr) => {
        $call
    };
}

/// One `#[test]` with a fresh emulator (from the default builder or the one given) and a client.
macro_rules! scenario {
    ($name:ident($env:ident) $body:block) => {
        scenario!($name($env = acs_identity_emulator::Emulator::builder()) $body);
    };
    ($name:ident($env:ident = $builder:expr) $body:block) => {
        #[test]
        fn $name() {
            let $env = crate::Env::start($builder);
            $body
        }
    };
}

/// Every crate at TRACE but the emulator (the server side, not under test) and `ureq_proto`, whose TRACE
/// level hex-dumps every byte on the wire, `Authorization` included: the README tells users to do the same.
pub(crate) const LOG_FILTER: &str = "trace,acs_identity_emulator=off,ureq_proto=debug";

/// A running emulator and a client of it, signed with its access key.
pub(crate) struct Env {
    pub(crate) emulator: BackgroundEmulator,
    pub(crate) client: CommunicationIdentityClient,
}

impl Env {
    pub(crate) fn start(builder: EmulatorBuilder) -> Self {
        let emulator = builder.start_in_background().unwrap();
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
    fn get_token(&self, context: &TokenContext) -> Result<EntraToken, Error> {
        let token = self.source.get_token(context)?;
        self.tokens.lock().unwrap().push(token.token().to_owned());
        Ok(token)
    }
}
