//! Entra ID token sources of the async client against the emulator (the shared body is in
//! `tests/common/token_sources.rs`); here, one refresh for concurrent tasks.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use acs_identity_emulator::Emulator;
use support::{Env, sdk};

use sdk::{
    BoxFuture, ClientOptions, ClientSecretCredential, EntraToken, Error, TokenContext, TokenSource,
};

#[path = "common/token_sources.rs"]
mod token_sources;

/// The emulator's app credential, slowed down so that concurrent callers overlap, counting its calls.
struct Slow {
    credential: ClientSecretCredential,
    calls: Arc<AtomicUsize>,
}

impl TokenSource for Slow {
    fn get_token<'a>(
        &'a self,
        context: &'a TokenContext,
    ) -> BoxFuture<'a, Result<EntraToken, Error>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            self.credential.get_token(context).await
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_share_one_token_refresh() {
    let env = Env::start(Emulator::builder()).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let slow = Slow {
        credential: env.app_credential(),
        calls: Arc::clone(&calls),
    };
    let client = env.entra_client(slow, ClientOptions::default());

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.create_user().await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    token_sources::assert_one_token_refresh(&env, &calls, 8);
}

impl TokenSource for token_sources::Expiring {
    fn get_token<'a>(
        &'a self,
        context: &'a TokenContext,
    ) -> BoxFuture<'a, Result<EntraToken, Error>> {
        Box::pin(async move {
            self.call()
                .ok_or_else(|| Error::credential(std::io::Error::other("token service down")))?;
            let token = self.credential.get_token(context).await?;
            Ok(self.shortened(&token))
        })
    }
}
