//! The shared scenario suite (`acs-identity/tests/common/scenarios.rs`) against the embedded emulator, blocking.

#[macro_use]
mod support;

use support::{Env, sdk};

#[path = "../../acs-identity/tests/common/scenarios.rs"]
mod scenarios;
