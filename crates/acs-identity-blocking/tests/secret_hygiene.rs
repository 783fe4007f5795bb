//! Secret hygiene of the blocking client (the body is in `acs-identity/tests/common/secret_hygiene.rs`): a
//! TRACE-level capture of a whole session (every dependency at TRACE but `ureq_proto`, see `wire_dumps.rs`)
//! holds none of the secrets that crossed the wire, and no `Debug` or `Display` of a public type or error that
//! can hold a secret shows it. Its own test binary: it installs the global subscriber.

#[macro_use]
mod support;

use support::sdk;

#[path = "../../acs-identity/tests/common/hygiene.rs"]
mod hygiene;
#[path = "../../acs-identity/tests/common/proxy.rs"]
mod proxy;
#[path = "../../acs-identity/tests/common/secret_hygiene.rs"]
mod secret_hygiene;
