//! Known answers from the Python SDK's unit tests (see `tests/data/README.md`).

use acs_auth::{AccessKey, compute_signature, content_sha256};

#[test]
fn sha256_known_answers() {
    assert_eq!(
        content_sha256(b""),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
    assert_eq!(
        content_sha256(b"banana"),
        "tJPUg2Sv5E0RwBZc9HCkFk0eJgmRHvmYvoaNRq3j3k4="
    );
    assert_eq!(
        content_sha256("😀".as_bytes()),
        "8EQ6NCxe9UeDoRG1G6Vsk45HTDIyTZDDpgycjjo34tk="
    );
}

#[test]
fn hmac_known_answers_with_key_pw() {
    let key = AccessKey::from_base64("pw==").unwrap();
    assert_eq!(
        compute_signature(&key, "banana"),
        "88EC05aAS9iXnaimtNO78JLjiPtfWryQB/5QYEzEsu8="
    );
    assert_eq!(
        compute_signature(&key, "😀"),
        "1rudJKjn2Zi+3hRrBG29wIF6pD6YyAeQR1ZcFtXoKAU="
    );
}
