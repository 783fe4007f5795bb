//! The blocking side of the seam of the shared suites (`acs-identity/tests/common`): `sdk`, `aw!`,
//! `suite_fn!`, `scenario!`, `client_test!`, `answer!`, `TestEmulator`, the log filters and `FRONTEND`. `Env`
//! and `Recording` are the same on both sides: they are in `acs-identity/tests/common/support.rs`.

// Each test binary uses part of the seam.
#![allow(dead_code, unused_macros)]

pub(crate) use acs_identity_blocking as sdk;

use acs_identity_emulator::{BackgroundEmulator, EmulatorBuilder};

use sdk::{EntraToken, Error, TokenContext, TokenSource};

/// Nothing in the blocking suite.
macro_rules! aw {
    ($call:expr) => {
        $call
    };
}

/// A plain `fn` in the blocking suite.
macro_rules! suite_fn {
    ($(#[$meta:meta])* $vis:vis fn $($rest:tt)*) => {
        $(#[$meta])* $vis fn $($rest)*
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

/// One `#[test]` (`multi_thread` is for the async suite's runtime: nothing here).
macro_rules! client_test {
    (multi_thread $name:ident $body:block) => {
        client_test!($name $body);
    };
    ($name:ident $body:block) => {
        #[test]
        fn $name() $body
    };
}

/// What a refresher or a closure token source answers: the block's value, at once.
macro_rules! answer {
    ($body:block) => {
        $body
    };
}

/// The type of an `answer!` of `T`.
pub(crate) type Answer<T> = Result<T, std::io::Error>;

/// The emulator as this suite runs it: on a runtime of its own.
pub(crate) type TestEmulator = BackgroundEmulator;

pub(crate) fn start_emulator(builder: EmulatorBuilder) -> TestEmulator {
    builder.start_in_background().unwrap()
}

/// The client's name in what the tests print.
pub(crate) const FRONTEND: &str = "blocking";

/// Every crate at TRACE but the emulator (the server side, not under test) and `ureq_proto`, whose TRACE
/// level hex-dumps every byte on the wire, `Authorization` included: the README tells users to do the same.
pub(crate) const LOG_FILTER: &str = "trace,acs_identity_emulator=off,ureq_proto=debug";

/// Every crate at TRACE, the emulator and the dependencies included, but `ureq_proto`, whose TRACE hex dump
/// of the wire nothing can turn off (see `tests/wire_dumps.rs` and the crate docs): capped the way the docs,
/// the CLI and the examples cap it.
pub(crate) const TRACE_ALL: &str = "trace,ureq_proto=debug";

#[path = "../../../acs-identity/tests/common/support.rs"]
mod shared;

#[allow(unused_imports)] // `Env` is not used by every binary
pub(crate) use shared::{Env, Recording};

impl<S: TokenSource> TokenSource for Recording<S> {
    fn get_token(&self, context: &TokenContext) -> Result<EntraToken, Error> {
        let token = self.source.get_token(context)?;
        self.tokens.lock().unwrap().push(token.token().to_owned());
        Ok(token)
    }
}
