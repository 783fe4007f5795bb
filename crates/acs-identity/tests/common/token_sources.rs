//! Entra ID token sources of both clients against the emulator: closure failures, refused tokens, and what
//! concurrent callers must share.
//!
//! Included by `tests/token_sources.rs` of both clients, whose `tests/support` defines the seam (`sdk`, `Env`,
//! `scenario!`, `aw!`, `answer!`). Each driver keeps its test of concurrent callers: the slowed-down source is
//! a `TokenSource` impl, and the callers are tasks or threads, each client's own; its checks are here. Each
//! driver also implements `TokenSource` for [`Expiring`], the source of the token cache's rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use acs_identity_emulator::Operation;

use crate::Env;
use crate::sdk::{
    ClientOptions, ClientSecretCredential, EntraToken, ErrorKind, WorkloadIdentityCredential,
};

/// The emulator's app credential, its tokens said to expire `lifetime` from now (the emulator still takes
/// them: they are its own), failing from its `fail_from`-th call; it counts its calls.
pub(crate) struct Expiring {
    pub(crate) credential: ClientSecretCredential,
    pub(crate) lifetime: Duration,
    pub(crate) fail_from: usize,
    pub(crate) calls: Arc<AtomicUsize>,
}

impl Expiring {
    fn new(env: &Env, lifetime: Duration, fail_from: usize) -> (Self, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = Self {
            credential: env.app_credential(),
            lifetime,
            fail_from,
            calls: Arc::clone(&calls),
        };
        (source, calls)
    }

    /// Counts a call: `None` if this one fails.
    pub(crate) fn call(&self) -> Option<()> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        (n < self.fail_from).then_some(())
    }

    /// `token`, said to expire `lifetime` from now.
    pub(crate) fn shortened(&self, token: &EntraToken) -> EntraToken {
        EntraToken::new(token.token(), SystemTime::now() + self.lifetime)
    }
}

/// After `creates` concurrent calls: the source was asked once (`calls`), and so was the token endpoint.
pub(crate) fn assert_one_token_refresh(env: &Env, calls: &AtomicUsize, creates: u64) {
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        env.emulator.requests().count(Operation::EntraTokenRequest),
        1
    );
    assert_eq!(
        env.emulator.requests().count(Operation::CreateIdentity),
        creates
    );
}

scenario!(a_failing_closure_is_a_credential_error_before_any_request(env) {
    let source = || answer!({ Err::<EntraToken, _>(std::io::Error::other("no token today")) });
    let client = env.entra_client(source, ClientOptions::default());
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential);
    assert_eq!(
        std::error::Error::source(&error).unwrap().to_string(),
        "no token today"
    );
    assert_eq!(env.emulator.requests().total(), 0);
});

scenario!(a_token_the_service_refuses_is_a_service_error(env) {
    let expires_at = std::time::SystemTime::now() + Duration::from_secs(3600);
    let client = env.entra_client(
        EntraToken::new("eyJ0.not-a.jwt", expires_at),
        ClientOptions::default(),
    );
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
});

scenario!(tokens_are_reused_until_five_minutes_before_expiry(env) {
    let (source, calls) = Expiring::new(&env, Duration::from_secs(3600), usize::MAX);
    let client = env.entra_client(source, ClientOptions::default());
    for _ in 0..3 {
        aw!(client.create_user()).unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let (source, calls) = Expiring::new(&env, Duration::from_secs(4 * 60), usize::MAX);
    let client = env.entra_client(source, ClientOptions::default());
    aw!(client.create_user()).unwrap();
    aw!(client.create_user()).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "inside the five minutes, every call refreshes");
});

scenario!(a_failed_early_refresh_keeps_the_valid_token(env) {
    let (source, calls) = Expiring::new(&env, Duration::from_secs(4 * 60), 2);
    let client = env.entra_client(source, ClientOptions::default());
    aw!(client.create_user()).unwrap();
    aw!(client.create_user()).expect("the current token is still valid");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(env.emulator.requests().count(Operation::CreateIdentity), 2);
});

scenario!(a_token_that_cannot_be_a_header_is_a_credential_error(env) {
    let expires_at = SystemTime::now() + Duration::from_secs(3600);
    let client = env.entra_client(EntraToken::new("line\nbreak", expires_at), ClientOptions::default());
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential);
    assert!(!format!("{error:?}").contains("break"), "{error:?}");
    assert_eq!(env.emulator.requests().total(), 0);
});

scenario!(workload_identity_reads_its_token_file_at_every_refresh(env) {
    let file = std::env::temp_dir().join(format!("acs-identity-federated-{}", uuid::Uuid::new_v4()));
    // A JWT-shaped assertion (`{"alg":"none"}`, `{"exp":4102444800}`); the emulator trusts any issuer.
    std::fs::write(&file, "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln\n").unwrap();
    let credential = WorkloadIdentityCredential::new(
        env.emulator.entra_tenant_id().to_string(),
        env.emulator.entra_app().client_id().to_string(),
    )
    .with_authority(env.emulator.entra_authority())
    .unwrap()
    .with_token_file(&file);
    let created = aw!(env.entra_client(credential.clone(), ClientOptions::default()).create_user());
    std::fs::remove_file(&file).unwrap();
    created.unwrap();
    assert_eq!(env.emulator.requests().count(Operation::EntraTokenRequest), 1);

    // A new client has no token yet: it reads the file again, and the file is gone.
    let error = aw!(env.entra_client(credential, ClientOptions::default()).create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential);
    let source = std::error::Error::source(&error).unwrap();
    let io = source.downcast_ref::<std::io::Error>().expect("an I/O error");
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound, "{io}");
});
