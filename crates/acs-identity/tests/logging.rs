//! No secret in TRACE-level logs (`tests/common/logging.rs`), async. Its own binary: it sets the global subscriber.

#[macro_use]
mod support;

use support::{Env, sdk};

#[path = "common/logging.rs"]
mod logging;
#[path = "common/proxy.rs"]
mod proxy;
