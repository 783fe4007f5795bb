//! Secret hygiene of the async client (the body is in `tests/common/secret_hygiene.rs`): a TRACE-level capture
//! of a whole session holds none of the secrets that crossed the wire, and no `Debug` or `Display` of a public
//! type or error that can hold a secret shows it. Its own test binary: it installs the global subscriber.

#[macro_use]
mod support;

use support::sdk;

#[path = "common/hygiene.rs"]
mod hygiene;
#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/secret_hygiene.rs"]
mod secret_hygiene;
