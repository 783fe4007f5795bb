//! ureq's protocol crate dumps the wire at TRACE and nothing turns that off: with it on, the blocking client
//! warns once, and the dump does give the request's signature away (so the hygiene test, which decodes dumps,
//! would see it). Its own test binary: it installs the global subscriber.

use std::time::Duration;

use acs_identity_blocking::{ClientOptions, CommunicationIdentityClient, Endpoint};
use acs_identity_emulator::Emulator;
use tracing_subscriber::fmt::format::FmtSpan;

#[path = "../../acs-identity/tests/common/hygiene.rs"]
mod hygiene;
#[path = "../../acs-identity/tests/common/proxy.rs"]
mod proxy;

use proxy::{Buffer, Proxy};

const WARNING: &str = "TRACE is on for ureq_proto";

#[test]
fn with_ureq_proto_at_trace_the_client_warns_once_and_the_dump_holds_the_signature() {
    let logs = Buffer::capture("trace", FmtSpan::NONE);

    let emulator = Emulator::builder().start_in_background().unwrap();
    let Proxy {
        url: proxy, wire, ..
    } = Proxy::start(emulator.local_addr());
    let endpoint = Endpoint::parse(&proxy).unwrap();
    let options = ClientOptions::default().attempt_timeout(Duration::from_secs(10));
    let client = CommunicationIdentityClient::with_access_key(
        endpoint.clone(),
        emulator.access_key().clone(),
        options.clone(),
    );
    client.create_user().unwrap();
    let again = CommunicationIdentityClient::with_access_key(
        endpoint,
        emulator.access_key().clone(),
        options,
    );
    again.create_user().unwrap();

    let text = logs.text();
    assert_eq!(text.matches(WARNING).count(), 1, "one warning per process");
    let signatures: Vec<String> = hygiene::harvest(&wire.text())
        .into_iter()
        .filter(|secret| secret.len() >= 16)
        .collect();
    assert!(!signatures.is_empty(), "the proxy saw the signed requests");
    let leaked =
        std::panic::catch_unwind(|| hygiene::assert_hidden(&text, &signatures, "the capture"));
    assert!(
        leaked.is_err(),
        "ureq_proto no longer dumps the wire at TRACE: drop the warning and its docs"
    );
}
