//! The async side of the seam of the shared suites (`tests/common`): `sdk`, `aw!`, `suite_fn!`, `scenario!`,
//! `client_test!`, `answer!`, `TestEmulator`, the log filters and `FRONTEND`. `Env` and `Recording` are the
//! same on both sides: they are in `tests/common/support.rs`.

// Each test binary uses part of the seam.
#![allow(dead_code, unused_macros)]

pub(crate) use acs_identity as sdk;

use acs_identity_emulator::{EmulatorBuilder, RunningEmulator};

use sdk::{BoxFuture, EntraToken, Error, TokenContext, TokenSource};

/// `.await` in the async suite.
macro_rules! aw {
    ($call:expr) => {
        $call.await
    };
}

/// An `async fn` in the async suite (call it with `aw!`).
macro_rules! suite_fn {
    ($(#[$meta:meta])* $vis:vis fn $($rest:tt)*) => {
        $(#[$meta])* $vis async fn $($rest)*
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

/// One `#[tokio::test]`; `multi_thread` gives it two worker threads.
macro_rules! client_test {
    (multi_thread $name:ident $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() $body
    };
    ($name:ident $body:block) => {
        #[tokio::test]
        async fn $name() $body
    };
}

/// What a refresher or a closure token source answers: the block, run when the future is polled. Compute what
/// the block needs before it (it moves what it uses).
macro_rules! answer {
    ($body:block) => {
        Box::pin(async move $body)
    };
}

/// The type of an `answer!` of `T`.
pub(crate) type Answer<T> =
    std::pin::Pin<Box<dyn Future<Output = Result<T, std::io::Error>> + Send>>;

/// The emulator as this suite runs it: on the test's runtime.
pub(crate) type TestEmulator = RunningEmulator;

pub(crate) async fn start_emulator(builder: EmulatorBuilder) -> TestEmulator {
    builder.start().await.unwrap()
}

/// The client's name in what the tests print.
pub(crate) const FRONTEND: &str = "async";

/// Every crate at TRACE but the emulator (the server side, not under test).
pub(crate) const LOG_FILTER: &str = "trace,acs_identity_emulator=off";

/// Every crate at TRACE, the emulator and the dependencies included.
pub(crate) const TRACE_ALL: &str = "trace";

#[path = "../common/support.rs"]
mod shared;

#[allow(unused_imports)] // `Env` is not used by every binary
pub(crate) use shared::{Env, Recording};

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
