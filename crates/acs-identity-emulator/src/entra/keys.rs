//! The OpenID Connect issuer's signing keys: an RS256 (RSA 2048) and an ES256 (P-256) key, each with a `kid`.
//!
//! Keys are made on first use, not when the emulator starts (RSA key generation takes a while and most
//! emulators never sign in anyone), and live in memory only: a restart, like a rotation, makes new ones.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToSec1Point as _;
use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
use rsa::Generate as _;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The modulus size of the RS256 key: Entra's.
const RSA_BITS: usize = 2048;

/// An algorithm the emulator's OpenID Connect issuer signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit RSA key, what Entra ID signs with.
    #[default]
    Rs256,
    /// ECDSA with P-256 and SHA-256.
    Es256,
}

impl SigningAlgorithm {
    /// The JOSE name: `"RS256"` or `"ES256"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// The algorithm with this JOSE name (exactly as written, `"RS256"` or `"ES256"`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }

    fn jose(self) -> Algorithm {
        match self {
            Self::Rs256 => Algorithm::RS256,
            Self::Es256 => Algorithm::ES256,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The emulator could not make or use a signing key (the operating system's random number generator failed,
/// or a key could not be encoded). Says which step failed, never anything of the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the emulator's OpenID Connect signing key failed: {0}")]
pub struct SigningError(&'static str);

impl SigningError {
    pub(crate) const fn new(step: &'static str) -> Self {
        Self(step)
    }
}

/// One key pair. `Debug` shows the `kid` only.
struct SigningKey {
    kid: String,
    algorithm: SigningAlgorithm,
    private: EncodingKey,
    /// The public key as a JWK (with `kid`, `use`, `alg`).
    jwk: Value,
    /// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    public_pem: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("private", &"[redacted]")
            .finish()
    }
}

impl SigningKey {
    fn rsa() -> Result<Self, SigningError> {
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, RSA_BITS)
            .map_err(|_| SigningError("cannot generate the RSA key"))?;
        let private = key
            .to_pkcs1_der()
            .map_err(|_| SigningError("cannot encode the RSA key"))?;
        let public = key.to_public_key();
        let n = URL_SAFE_NO_PAD.encode(public.n_bytes());
        let e = URL_SAFE_NO_PAD.encode(public.e_bytes());
        // RFC 7638: the required members in lexicographic order, no whitespace.
        let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
        let spki = public
            .to_public_key_der()
            .map_err(|_| SigningError("cannot encode the RSA public key"))?;
        Ok(Self {
            jwk: json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}),
            public_pem: pem(spki.as_bytes()),
            kid,
            algorithm: SigningAlgorithm::Rs256,
            private: EncodingKey::from_rsa_der(private.as_bytes()),
        })
    }

    fn ec() -> Result<Self, SigningError> {
        let key = p256::SecretKey::try_generate_from_rng(&mut getrandom::SysRng)
            .map_err(|_| SigningError("cannot generate the P-256 key"))?;
        let private = key
            .to_pkcs8_der()
            .map_err(|_| SigningError("cannot encode the P-256 key"))?;
        let public = key.public_key();
        let point = public.to_sec1_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(SigningError("cannot encode the P-256 public key"));
        };
        let x = URL_SAFE_NO_PAD.encode(x);
        let y = URL_SAFE_NO_PAD.encode(y);
        let kid = thumbprint(&format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
        ));
        let spki = public
            .to_public_key_der()
            .map_err(|_| SigningError("cannot encode the P-256 public key"))?;
        Ok(Self {
            jwk: json!({
                "kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256", "x": x, "y": y,
            }),
            public_pem: pem(spki.as_bytes()),
            kid,
            algorithm: SigningAlgorithm::Es256,
            private: EncodingKey::from_ec_der(private.as_bytes()),
        })
    }
}

/// The RFC 7638 thumbprint (SHA-256, base64url) of a canonical JWK: a `kid` that changes with the key.
fn thumbprint(canonical_jwk: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical_jwk.as_bytes()))
}

fn pem(spki_der: &[u8]) -> String {
    let body = STANDARD.encode(spki_der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    // Base64 is ASCII, so 64-byte chunks are whole characters.
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

/// jsonwebtoken picks its crypto backend from its features; when another crate of the build also enables
/// `aws_lc_rs` it cannot choose and would panic on first use, so choose for it (a backend installed by the
/// application wins).
pub(crate) fn ensure_crypto_provider() {
    if CryptoProvider::try_get_default().is_none() {
        let _ =
            CryptoProvider::install_default(&jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER);
    }
}

/// An RS256 and an ES256 key.
#[derive(Debug)]
pub(crate) struct KeySet {
    rsa: SigningKey,
    ec: SigningKey,
}

impl KeySet {
    fn generate() -> Result<Self, SigningError> {
        ensure_crypto_provider();
        Ok(Self {
            rsa: SigningKey::rsa()?,
            ec: SigningKey::ec()?,
        })
    }

    fn key(&self, algorithm: SigningAlgorithm) -> &SigningKey {
        match algorithm {
            SigningAlgorithm::Rs256 => &self.rsa,
            SigningAlgorithm::Es256 => &self.ec,
        }
    }

    /// The `kid` of the key of `algorithm`.
    pub(crate) fn kid(&self, algorithm: SigningAlgorithm) -> &str {
        &self.key(algorithm).kid
    }

    /// The public key of `algorithm` as SPKI PEM.
    pub(crate) fn public_pem(&self, algorithm: SigningAlgorithm) -> &str {
        &self.key(algorithm).public_pem
    }

    /// `{"keys": [RSA JWK, EC JWK]}`
    pub(crate) fn jwks(&self) -> Value {
        json!({"keys": [self.rsa.jwk, self.ec.jwk]})
    }

    /// Signs `claims` (any JSON) as a compact JWT with header `{"typ":"JWT","alg":..,"kid":..}`.
    pub(crate) fn sign(
        &self,
        claims: &Value,
        algorithm: SigningAlgorithm,
    ) -> Result<String, SigningError> {
        let key = self.key(algorithm);
        let mut header = Header::new(algorithm.jose());
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.private)
            .map_err(|_| SigningError("cannot sign the token"))
    }
}

/// A key set made on first use and replaced (on next use) after [`rotate`](Self::rotate).
#[derive(Default)]
pub(crate) struct LazyKeys {
    current: Mutex<Option<Arc<KeySet>>>,
}

impl fmt::Debug for LazyKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.peek();
        f.debug_struct("LazyKeys")
            .field("rs256", &current.as_ref().map(|k| k.rsa.kid.clone()))
            .field("es256", &current.as_ref().map(|k| k.ec.kid.clone()))
            .finish()
    }
}

impl LazyKeys {
    /// The current keys, generated now if there are none. Concurrent first callers wait for one generation.
    pub(crate) fn get(&self) -> Result<Arc<KeySet>, SigningError> {
        // A panic while holding the lock leaves `None` or a whole key set: the value is never half-made.
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(keys) = &*current {
            return Ok(Arc::clone(keys));
        }
        let keys = Arc::new(KeySet::generate()?);
        *current = Some(Arc::clone(&keys));
        Ok(keys)
    }

    /// Drops the current keys; the next use generates new ones (with new `kid`s).
    pub(crate) fn rotate(&self) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    fn peek(&self) -> Option<Arc<KeySet>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_distinct_kids_and_rotation_replaces_them() {
        let keys = LazyKeys::default();
        let started = std::time::Instant::now();
        let first = keys.get().unwrap();
        eprintln!("generated RS256 + ES256 keys in {:?}", started.elapsed());
        assert_ne!(
            first.kid(SigningAlgorithm::Rs256),
            first.kid(SigningAlgorithm::Es256)
        );
        assert!(Arc::ptr_eq(&first, &keys.get().unwrap()));
        assert!(
            first
                .public_pem(SigningAlgorithm::Rs256)
                .starts_with("-----BEGIN PUBLIC KEY-----\n")
        );
        let jwks = first.jwks();
        assert_eq!(jwks["keys"][0]["kty"], "RSA");
        assert_eq!(jwks["keys"][0]["e"], "AQAB");
        assert_eq!(jwks["keys"][1]["crv"], "P-256");
        assert!(!format!("{keys:?}").contains("BEGIN"));

        keys.rotate();
        let second = keys.get().unwrap();
        assert_ne!(
            first.kid(SigningAlgorithm::Rs256),
            second.kid(SigningAlgorithm::Rs256)
        );
        assert_ne!(
            first.kid(SigningAlgorithm::Es256),
            second.kid(SigningAlgorithm::Es256)
        );
    }

    #[test]
    fn signs_compact_jwts_with_the_kid() {
        let keys = LazyKeys::default().get().unwrap();
        for algorithm in [SigningAlgorithm::Rs256, SigningAlgorithm::Es256] {
            let started = std::time::Instant::now();
            let token = keys.sign(&json!({"sub": "me"}), algorithm).unwrap();
            eprintln!("signed {algorithm} in {:?}", started.elapsed());
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.alg, algorithm.jose());
            assert_eq!(header.kid.as_deref(), Some(keys.kid(algorithm)));
        }
    }
}
