//! `CommunicationIdentifier::from_raw_id` and `str::parse` on any text.
//!
//! Checks the crate's promises: `from_raw_id` never fails and prints back the very same rawId; parsing
//! again gives an equal identifier; the `CommunicationIdentifierModel` JSON form restores it.

#![no_main]

use acs_identity_types::{CommunicationIdentifier, CommunicationIdentifierModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw_id) = std::str::from_utf8(data) else {
        return;
    };
    let identifier = CommunicationIdentifier::from_raw_id(raw_id);
    assert_eq!(identifier.raw_id(), raw_id);
    assert_eq!(identifier.to_string(), raw_id);
    assert_eq!(
        CommunicationIdentifier::from_raw_id(identifier.raw_id()),
        identifier
    );

    match raw_id.parse::<CommunicationIdentifier>() {
        Ok(parsed) => assert_eq!(parsed, identifier),
        Err(_) => assert!(raw_id.trim().is_empty(), "only a blank rawId is refused"),
    }

    let json = serde_json::to_string(&CommunicationIdentifierModel::from(&identifier))
        .expect("an identifier serializes");
    let restored: CommunicationIdentifier =
        serde_json::from_str(&json).expect("its own JSON deserializes");
    assert_eq!(restored, identifier);
    assert_eq!(restored.kind(), identifier.kind());
});
