//! No secret in TRACE-level logs (`acs-identity/tests/common/logging.rs`), blocking. Its own binary: it sets the
//! global subscriber.

#[macro_use]
mod support;

use support::{Env, sdk};

#[path = "../../acs-identity/tests/common/logging.rs"]
mod logging;
#[path = "../../acs-identity/tests/common/proxy.rs"]
mod proxy;
