//! The shared scenario suites (`acs-identity/tests/common/scenarios.rs`, `.../responses.rs`) against the
//! embedded emulator, blocking.

#[macro_use]
mod support;

use support::{Env, sdk};

#[path = "../../acs-identity/tests/common/proxy.rs"]
mod proxy;
#[path = "../../acs-identity/tests/common/responses.rs"]
mod responses;
#[path = "../../acs-identity/tests/common/scenarios.rs"]
mod scenarios;
