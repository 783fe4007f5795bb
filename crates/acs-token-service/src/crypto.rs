//! Encryption at rest of cached tokens: XChaCha20-Poly1305 with a random 192-bit nonce per entry.
//!
//! An entry is `<key id>.<base64url(nonce || ciphertext || tag)>`. The key id in clear lets keys rotate:
//! several keys read, one (the current) writes. The associated data is the entry's place (its Redis key and
//! field), so an entry copied to another user's place does not decrypt.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::config::CacheKey;

const NONCE_LEN: usize = 24;

/// The cache's keys, ready to use.
pub(crate) struct Sealer {
    current: usize,
    keys: Vec<(String, XChaCha20Poly1305)>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("current", &self.keys.get(self.current).map(|(id, _)| id))
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// Why an entry could not be sealed: the OS random source failed.
#[derive(Debug)]
pub(crate) struct NoRandomness;

impl Sealer {
    /// The sealer for `keys`, writing with `current`; with no keys, one random key that lives as long as
    /// this process (the in-memory backend's entries are never read by anyone else).
    pub(crate) fn new(keys: &[CacheKey], current: &str) -> Result<Self, NoRandomness> {
        let mut keys: Vec<(String, XChaCha20Poly1305)> = keys
            .iter()
            .map(|key| {
                (
                    key.id.clone(),
                    XChaCha20Poly1305::new(&Key::from(key.secret)),
                )
            })
            .collect();
        if keys.is_empty() {
            let mut secret = [0; 32];
            getrandom::fill(&mut secret).map_err(|_| NoRandomness)?;
            keys.push((
                "process".to_owned(),
                XChaCha20Poly1305::new(&Key::from(secret)),
            ));
        }
        let current = keys.iter().position(|(id, _)| id == current).unwrap_or(0);
        Ok(Self { current, keys })
    }

    /// `plaintext` encrypted with the current key, bound to `place`.
    pub(crate) fn seal(&self, place: &[u8], plaintext: &[u8]) -> Result<String, NoRandomness> {
        let (id, cipher) = &self.keys[self.current];
        let mut nonce = [0; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| NoRandomness)?;
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: place,
                },
            )
            // Only inputs of gigabytes are refused.
            .map_err(|_| NoRandomness)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        Ok(format!("{id}.{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The plaintext of an entry sealed for `place` by any configured key; `None` when the key is unknown
    /// (retired), or the entry was changed or moved.
    pub(crate) fn open(&self, place: &[u8], entry: &str) -> Option<Vec<u8>> {
        let (id, encoded) = entry.split_once('.')?;
        let (_, cipher) = self.keys.iter().find(|(known, _)| known == id)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).ok()?;
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: place,
                },
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(current: &str) -> Sealer {
        Sealer::new(
            &[CacheKey::new("old", [1; 32]), CacheKey::new("new", [2; 32])],
            current,
        )
        .unwrap()
    }

    #[test]
    fn seals_with_the_current_key_and_opens_with_any() {
        let old = sealer("old");
        let entry = old.seal(b"place", b"the token").unwrap();
        assert!(entry.starts_with("old."));
        assert!(!entry.contains("the token"));
        let new = sealer("new");
        assert_eq!(new.open(b"place", &entry).unwrap(), b"the token");
        assert!(new.seal(b"place", b"x").unwrap().starts_with("new."));
        // Two seals of the same text differ (random nonces).
        assert_ne!(
            old.seal(b"place", b"x").unwrap(),
            old.seal(b"place", b"x").unwrap()
        );
    }

    #[test]
    fn refuses_moved_changed_or_unknown_entries() {
        let sealer = sealer("new");
        let entry = sealer.seal(b"alice", b"token").unwrap();
        assert!(sealer.open(b"bob", &entry).is_none());
        let mut changed = entry.clone().into_bytes();
        let last = changed.len() - 2;
        changed[last] = if changed[last] == b'A' { b'B' } else { b'A' };
        assert!(
            sealer
                .open(b"alice", &String::from_utf8(changed).unwrap())
                .is_none()
        );
        let retired = Sealer::new(&[CacheKey::new("other", [3; 32])], "other").unwrap();
        assert!(retired.open(b"alice", &entry).is_none());
        for garbage in ["", ".", "new.", "new.!!", "new.AAAA"] {
            assert!(sealer.open(b"alice", garbage).is_none());
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let text = format!("{:?}", sealer("new"));
        assert!(text.contains("new") && !text.contains("[2"), "{text}");
    }
}
