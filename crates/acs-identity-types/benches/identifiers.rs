//! Identifier parsing: a rawId of each kind into a `CommunicationIdentifier`, and the JSON wire model.
//!
//! Run with `cargo bench -p acs-identity-types`.

use std::hint::black_box;

use acs_identity_types::{CommunicationIdentifier, CommunicationIdentifierModel};
use criterion::{Criterion, criterion_main};

const RAW_IDS: [(&str, &str); 6] = [
    (
        "communication_user",
        "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-14a2-493b-8a72-5a3a0d000081",
    ),
    ("phone_number", "4:+14255550123"),
    ("teams_user", "8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130"),
    ("teams_app", "28:orgid:01234567-89ab-cdef-0123-456789abcdef"),
    (
        "teams_extension_user",
        "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_c70d068c-2f32-484d-9455-73070cd5aadd_b27b64b9-39d2-44a3-869d-67700b74e805",
    ),
    ("unknown", "48:unknown-kind-of-id"),
];

fn from_raw_id(c: &mut Criterion) {
    let mut group = c.benchmark_group("from_raw_id");
    for (kind, raw_id) in RAW_IDS {
        group.bench_function(kind, |b| {
            b.iter(|| CommunicationIdentifier::from_raw_id(black_box(raw_id)));
        });
    }
    group.finish();
}

fn wire_model(c: &mut Criterion) {
    let mut group = c.benchmark_group("wire_model");
    for (kind, raw_id) in RAW_IDS {
        let id = CommunicationIdentifier::from_raw_id(raw_id);
        let json = serde_json::to_string(&CommunicationIdentifierModel::from(&id))
            .expect("an identifier serializes");
        assert_eq!(
            serde_json::from_str::<CommunicationIdentifier>(&json).expect("it parses back"),
            id
        );
        group.bench_function(format!("serialize/{kind}"), |b| {
            b.iter(|| serde_json::to_string(&CommunicationIdentifierModel::from(black_box(&id))));
        });
        group.bench_function(format!("deserialize/{kind}"), |b| {
            b.iter(|| serde_json::from_str::<CommunicationIdentifier>(black_box(&json)));
        });
    }
    group.finish();
}

/// Every benchmark of this file, configured from the command line (`cargo bench -- <filter>`).
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    from_raw_id(&mut criterion);
    wire_model(&mut criterion);
}
criterion_main!(benches);
