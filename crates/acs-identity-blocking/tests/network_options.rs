//! `NetworkOptions` of the blocking client (the body is in `acs-identity/tests/common/network_options.rs`): a
//! proxy is used, and options that cannot work fail every call with a message.

#[macro_use]
mod support;

use support::sdk;

#[path = "../../acs-identity/tests/common/network_options.rs"]
mod network_options;
#[path = "../../acs-identity/tests/common/one_shot_proxy.rs"]
mod one_shot_proxy;

/// ureq tunnels every proxied connection (CONNECT), so the proxy's 404 fails the tunnel, not the call.
const THROUGH_THE_PROXY: (sdk::ErrorKind, &str) =
    (sdk::ErrorKind::Transport, "CONNECT 127.0.0.1:9 ");
