//! `ConnectionString::parse` (and the `Endpoint` and `AccessKey` parsers under it) on any text.
//!
//! Checks, besides "never panics": a parsed string prints back, via `to_secret_string`, to one that
//! parses to the same value; `Display` and `Debug` never show the key; an error never echoes the input
//! (its message has a bounded length whatever the input's).

#![no_main]

use acs_auth::{AccessKey, ConnectionString, Endpoint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match ConnectionString::parse(input) {
        Ok(parsed) => {
            let again = ConnectionString::parse(&parsed.to_secret_string())
                .expect("to_secret_string parses again");
            assert_eq!(again, parsed);
            let endpoint = parsed.endpoint();
            assert_eq!(Endpoint::parse(endpoint.as_str()).as_ref(), Ok(endpoint));
            let key = parsed.access_key().to_base64();
            // A short key can occur in the endpoint's text by chance; a long one cannot be hidden there.
            if key.len() >= 12 && !endpoint.as_str().contains(&key) {
                for shown in [format!("{parsed}"), format!("{parsed:?}")] {
                    assert!(!shown.contains(&key), "the key shows in {shown}");
                }
            }
        }
        Err(error) => {
            let shown = format!("{error} {error:?}");
            assert!(shown.len() < 400, "an error echoes its input: {shown}");
        }
    }
    // The parts parse on their own, too.
    let _ = Endpoint::parse(input);
    if let Ok(key) = AccessKey::from_base64(input) {
        assert_eq!(AccessKey::from_base64(&key.to_base64()), Ok(key));
    }
});
