//! `acs-token-service`'s first parsers: the `Authorization: Bearer` header and the unverified JWT header and
//! issuer it reads to pick a key, and the configuration file.
//!
//! Checks, besides "never panics": a refusal is one of the documented error codes; whatever parses has a
//! non-empty issuer; a configuration error never quotes the file (a `toml` excerpt could show a secret):
//! the input's longest line is not in the message when it is long enough not to occur by chance.

#![no_main]

use acs_token_service::Config;
use acs_token_service::fuzzing::inspect_authorization;
use libfuzzer_sys::fuzz_target;

const CODES: [&str; 5] = [
    "not a header value",
    "missing_token",
    "malformed_token",
    "token_too_large",
    "missing_claim",
];

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the parser, the rest is its input.
    let Some((&choice, input)) = data.split_first() else {
        return;
    };
    if choice % 2 == 0 {
        match inspect_authorization(input) {
            Ok((_alg, _kid, iss)) => assert!(!iss.is_empty() || input.len() < 16),
            Err(code) => assert!(CODES.contains(&code), "undocumented code {code}"),
        }
        return;
    }
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    if let Err(error) = Config::from_toml(text, |_| None) {
        let message = error.to_string();
        if let Some(line) = text.lines().map(str::trim).max_by_key(|line| line.len())
            && line.len() >= 40
        {
            assert!(!message.contains(line), "the error quotes the file: {message}");
        }
    }
});
