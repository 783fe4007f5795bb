//! `NetworkOptions` of the async client (the body is in `tests/common/network_options.rs`): a proxy is used,
//! and options that cannot work fail every call with a message.

#[macro_use]
mod support;

use support::sdk;

#[path = "common/network_options.rs"]
mod network_options;
#[path = "common/one_shot_proxy.rs"]
mod one_shot_proxy;

/// reqwest sends plain-HTTP requests to the proxy in absolute form (HTTPS would be tunnelled): the proxy's 404
/// is the answer to the call.
const THROUGH_THE_PROXY: (sdk::ErrorKind, &str) = (
    sdk::ErrorKind::Service,
    "POST http://127.0.0.1:9/identities?",
);
