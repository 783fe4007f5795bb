//! Entra ID token sources against the emulator: one refresh for concurrent callers, closure failures.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use acs_identity_emulator::{Emulator, Operation};
use support::{Env, sdk};

use sdk::{
    ClientOptions, ClientSecretCredential, EntraToken, Error, ErrorKind, TokenContext, TokenSource,
};

/// The emulator's app credential, slowed down so that concurrent callers overlap, counting its calls.
struct Slow {
    credential: ClientSecretCredential,
    calls: Arc<AtomicUsize>,
}

impl TokenSource for Slow {
    fn get_token(&self, context: &TokenContext) -> Result<EntraToken, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
        self.credential.get_token(context)
    }
}

#[test]
fn concurrent_calls_share_one_token_refresh() {
    let env = Env::start(Emulator::builder());
    let app = env.emulator.entra_app();
    let credential = ClientSecretCredential::new(
        env.emulator.entra_tenant_id().to_string(),
        app.client_id().to_string(),
        app.client_secret(),
    )
    .with_authority(env.emulator.entra_authority())
    .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let client = env.entra_client(
        Slow {
            credential,
            calls: Arc::clone(&calls),
        },
        ClientOptions::default(),
    );

    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| client.create_user()))
            .collect();
        for thread in threads {
            thread.join().unwrap().unwrap();
        }
    });
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        env.emulator.requests().count(Operation::EntraTokenRequest),
        1
    );
    assert_eq!(env.emulator.requests().count(Operation::CreateIdentity), 8);
}

#[test]
fn a_failing_closure_is_a_credential_error_before_any_request() {
    let env = Env::start(Emulator::builder());
    let source = || Err::<EntraToken, _>(std::io::Error::other("no token today"));
    let client = env.entra_client(source, ClientOptions::default());
    let error = client.create_user().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential);
    assert_eq!(
        std::error::Error::source(&error).unwrap().to_string(),
        "no token today"
    );
    assert_eq!(env.emulator.requests().total(), 0);
}

#[test]
fn a_token_the_service_refuses_is_a_service_error() {
    let env = Env::start(Emulator::builder());
    let expires_at = std::time::SystemTime::now() + Duration::from_secs(3600);
    let client = env.entra_client(
        EntraToken::new("eyJ0.not-a.jwt", expires_at),
        ClientOptions::default(),
    );
    let error = client.create_user().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
}
