//! The shared scenario suite (`tests/common/scenarios.rs`) against the embedded emulator, async.

#[macro_use]
mod support;

use support::{Env, sdk};

#[path = "common/scenarios.rs"]
mod scenarios;
