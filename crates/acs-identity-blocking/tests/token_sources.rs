//! Entra ID token sources of the blocking client against the emulator (the shared body is in
//! `acs-identity/tests/common/token_sources.rs`); here, one refresh for concurrent threads.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use acs_identity_emulator::Emulator;
use support::{Env, sdk};

use sdk::{ClientOptions, ClientSecretCredential, EntraToken, Error, TokenContext, TokenSource};

#[path = "../../acs-identity/tests/common/token_sources.rs"]
mod token_sources;

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
    let calls = Arc::new(AtomicUsize::new(0));
    let slow = Slow {
        credential: env.app_credential(),
        calls: Arc::clone(&calls),
    };
    let client = env.entra_client(slow, ClientOptions::default());

    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| client.create_user()))
            .collect();
        for thread in threads {
            thread.join().unwrap().unwrap();
        }
    });
    token_sources::assert_one_token_refresh(&env, &calls, 8);
}

impl TokenSource for token_sources::Expiring {
    fn get_token(&self, context: &TokenContext) -> Result<EntraToken, Error> {
        self.call()
            .ok_or_else(|| Error::credential(std::io::Error::other("token service down")))?;
        let token = self.credential.get_token(context)?;
        Ok(self.shortened(&token))
    }
}
