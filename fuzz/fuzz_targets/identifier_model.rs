//! `CommunicationIdentifierModel` / `CommunicationIdentifier` deserialization on any JSON.
//!
//! Checks: whatever is accepted serializes, and that JSON deserializes to an equal identifier of the
//! same kind with the same rawId (what the service sent is never silently changed on a round trip).

#![no_main]

use acs_identity_types::{CommunicationIdentifier, CommunicationIdentifierModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let model = serde_json::from_slice::<CommunicationIdentifierModel>(data);
    let identifier = serde_json::from_slice::<CommunicationIdentifier>(data);
    if identifier.is_ok() {
        assert!(model.is_ok(), "an identifier is read through its model");
    }
    let Ok(identifier) = identifier else {
        return;
    };
    let json = serde_json::to_vec(&identifier).expect("an identifier serializes");
    let again: CommunicationIdentifier =
        serde_json::from_slice(&json).expect("its own JSON deserializes");
    assert_eq!(again, identifier);
    assert_eq!(again.raw_id(), identifier.raw_id());
    assert_eq!(again.kind(), identifier.kind());
    assert_eq!(
        serde_json::to_vec(&again).expect("serializes"),
        json,
        "a fixed point"
    );
});
