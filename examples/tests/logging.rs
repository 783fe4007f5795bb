//! `RUST_LOG` shows what the example's client does, on the examples' own subscriber, and never a secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use acs_identity_examples::{BlockingResource, quickstart_blocking, tracing_subscriber_to};

/// A writer into a shared buffer: what the subscriber would print on stderr.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The quickstart's log with `RUST_LOG=rust_log`, and the resource's access key.
fn quickstart_log(rust_log: &str) -> (String, String) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber_to(Some(rust_log), false, move || writer.clone());
    let resource = BlockingResource::from_connection_string_or_emulator(None, &mut std::io::sink())
        .expect("resource");
    let key = resource
        .emulator()
        .expect("emulator")
        .access_key()
        .to_base64();
    let mut output = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        quickstart_blocking::run(&resource.client(), &mut output)
    })
    .expect("quickstart");
    let log = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8");
    (log, key)
}

fn assert_no_secret(log: &str, key: &str) {
    assert!(!log.contains(key), "the access key is logged:\n{log}");
    for secret in ["eyJ", "HMAC-SHA256", "Signature=", "accesskey="] {
        assert!(
            !log.to_ascii_lowercase()
                .contains(&secret.to_ascii_lowercase()),
            "{secret:?} is logged:\n{log}"
        );
    }
}

#[test]
fn rust_log_debug_shows_the_requests_and_no_secret() {
    let (log, key) = quickstart_log("debug");
    let request = log
        .lines()
        .find(|line| line.contains("sending request"))
        .unwrap_or_else(|| panic!("no request line in\n{log}"));
    assert!(request.contains("DEBUG"), "{request}");
    assert!(request.contains("method=POST"), "{request}");
    assert!(request.contains("/identities?api-version="), "{request}");
    assert!(
        request.contains(r#""authorization": [redacted]"#),
        "{request}"
    );
    assert!(log.contains("received response status=201"), "{log}");
    assert_no_secret(&log, &key);
}

#[test]
fn rust_log_trace_caps_the_wire_dump_and_logs_no_secret() {
    let (log, key) = quickstart_log("trace");
    assert!(log.contains("sending request"), "{log}");
    assert!(!log.contains("TRACE ureq_proto"), "{log}");
    assert_no_secret(&log, &key);
}

#[test]
fn without_rust_log_the_examples_log_nothing_of_a_successful_run() {
    let (log, _) = quickstart_log("");
    assert_eq!(log, "");
}
