#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Feature badges on docs.rs (nightly, `--cfg docsrs`); stable builds never see the attribute.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod acs;
mod admin;
mod builder;
pub mod cli;
mod entra;
mod faults;
mod http;
mod jwt;
mod operation;
mod requests;
mod running;
mod state;
mod store;
mod tls;

pub use acs::token::TokenStatus;
pub use builder::{Emulator, EmulatorBuilder, StartError};
pub use entra::{
    COMMUNICATION_SCOPE, EntraApp, EntraToken, EntraUser, SignInUser, SigningAlgorithm,
    SigningError,
};
pub use faults::{Fault, FaultConfig, FaultRule, Faults, RetryAfter, Trigger};
pub use operation::Operation;
pub use requests::{RequestLog, RequestRecord};
pub use running::{BackgroundEmulator, RunningEmulator};
pub use store::{DATABASE_FILE, StoreError};
pub use tls::TlsError;
