//! The resource's shared access key.

use std::fmt;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::Hmac;
use hmac::digest::generic_array::GenericArray;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// SHA-256's block size: HMAC pads or hashes every key to exactly this many bytes.
const BLOCK_SIZE: usize = 64;

/// Standard alphabet, padding optional: the portal's keys are padded, hand-edited ones sometimes are not.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// An ACS access key: the secret behind HMAC-SHA256 request signing.
///
/// Decoded once, when it is built, so that signing afterwards cannot fail. `Debug` and `Display` print
/// `AccessKey([redacted])`; the bytes never leave the type except through [`AccessKey::to_base64`].
/// Equality is compared in constant time.
///
/// ```
/// use acs_auth::AccessKey;
///
/// let key = AccessKey::from_base64("pw==")?;
/// assert_eq!(format!("{key:?}"), "AccessKey([redacted])");
/// # Ok::<(), acs_auth::AccessKeyError>(())
/// ```
#[derive(Clone)]
pub struct AccessKey {
    bytes: Vec<u8>,
    /// HMAC state already keyed, cloned for each signature instead of re-deriving it from the key.
    mac: HmacSha256,
}

impl AccessKey {
    /// Decodes a key as the Azure portal shows it (standard base64; the trailing `=` padding may be omitted).
    ///
    /// The error never contains any part of the input.
    pub fn from_base64(encoded: &str) -> Result<Self, AccessKeyError> {
        let encoded = encoded.trim();
        if encoded.is_empty() {
            return Err(AccessKeyError::Empty);
        }
        LENIENT_BASE64
            .decode(encoded)
            .map(Self::from_bytes)
            .map_err(|_| AccessKeyError::NotBase64)
    }

    /// Wraps raw key bytes, for example freshly generated random bytes (the emulator makes its key this way;
    /// the service's keys are 64 bytes). Any length is a valid HMAC key, so this cannot fail.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        let mac = keyed_mac(&bytes);
        Self { bytes, mac }
    }

    /// The key as standard, padded base64: the form a connection string carries.
    ///
    /// **This is the secret itself.** Use it only to hand the key to someone who must have it (the emulator
    /// prints its connection string with it); never log it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.bytes)
    }

    /// A fresh HMAC-SHA256 state keyed with this key.
    pub(crate) fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }
}

/// Keys the HMAC without a fallible constructor: RFC 2104 hashes a key longer than the block size and
/// zero-pads the rest, so the padded block is the same key, and a block-sized key is infallible.
fn keyed_mac(key: &[u8]) -> HmacSha256 {
    let mut block = [0u8; BLOCK_SIZE];
    if key.len() > BLOCK_SIZE {
        let digest = Sha256::digest(key);
        for (slot, byte) in block.iter_mut().zip(digest.iter()) {
            *slot = *byte;
        }
    } else {
        for (slot, byte) in block.iter_mut().zip(key.iter()) {
            *slot = *byte;
        }
    }
    <HmacSha256 as hmac::digest::KeyInit>::new(&GenericArray::from(block))
}

impl PartialEq for AccessKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes.ct_eq(&other.bytes).into()
    }
}

impl Eq for AccessKey {}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey([redacted])")
    }
}

impl fmt::Display for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey([redacted])")
    }
}

/// Why an access key could not be decoded. Never contains any part of the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessKeyError {
    /// The key is empty.
    #[error("the access key is empty")]
    Empty,
    /// The key is not standard base64.
    #[error("the access key is not valid base64")]
    NotBase64,
}

#[cfg(test)]
mod tests {
    use hmac::Mac as _;

    use super::*;

    #[test]
    fn long_keys_sign_like_the_hmac_crate() {
        for len in [0, 1, 32, 63, 64, 65, 200] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let mut ours = AccessKey::from_bytes(bytes.clone()).mac();
            let mut reference =
                <HmacSha256 as hmac::digest::KeyInit>::new_from_slice(&bytes).unwrap();
            ours.update(b"message");
            reference.update(b"message");
            assert_eq!(
                ours.finalize().into_bytes(),
                reference.finalize().into_bytes(),
                "key length {len}"
            );
        }
    }

    #[test]
    fn padding_is_optional_and_round_trips_padded() {
        let key = AccessKey::from_base64("cHc").unwrap();
        assert_eq!(key, AccessKey::from_base64("cHc=").unwrap());
        assert_eq!(key.to_base64(), "cHc=");
    }

    #[test]
    fn errors_do_not_echo_the_input() {
        let err = AccessKey::from_base64("secret-with-dash").unwrap_err();
        assert_eq!(err, AccessKeyError::NotBase64);
        assert!(!format!("{err} {err:?}").contains("secret"));
        assert_eq!(
            AccessKey::from_base64("  ").unwrap_err(),
            AccessKeyError::Empty
        );
    }
}
