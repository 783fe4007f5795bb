//! RS256 and ES256 verification on ring for jsonwebtoken, about five times faster than its RustCrypto
//! backend's (RSA-2048 public operations are constant-time big-integer code there): sign-in validation is
//! most of the service's CPU per request (see BENCHMARKS.md).
//!
//! jsonwebtoken takes one process-wide `CryptoProvider`. [`install`] makes ours it, unless the process
//! already has one (an application's own choice wins): ours is the RustCrypto provider with the RS256 and
//! ES256 verifiers replaced, so signing and every other algorithm behave as before.

use std::sync::LazyLock;

use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier, rust_crypto};
use jsonwebtoken::errors::Error;
use jsonwebtoken::signature::{self, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind};
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};

static PROVIDER: LazyLock<CryptoProvider> = LazyLock::new(|| CryptoProvider {
    signer_factory: rust_crypto::DEFAULT_PROVIDER.signer_factory,
    verifier_factory: new_verifier,
    key_utils: rust_crypto::DEFAULT_PROVIDER.key_utils.clone(),
});

/// Makes ring verify RS256 and ES256 for jsonwebtoken in this process, unless a provider is in place.
/// Returns whether ours is the one in use.
pub(crate) fn install() -> bool {
    let ours: &'static CryptoProvider = LazyLock::force(&PROVIDER);
    match ours.install_default() {
        Ok(()) => true,
        Err(installed) => std::ptr::eq(installed, ours),
    }
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    let verifier = match (algorithm, key.kind()) {
        (Algorithm::RS256, DecodingKeyKind::RsaModulusExponent { n, e }) => RingVerifier::Rsa {
            n: n.clone(),
            e: e.clone(),
        },
        (Algorithm::ES256, DecodingKeyKind::SecretOrDer(point)) => {
            RingVerifier::P256(point.clone())
        }
        _ => return (rust_crypto::DEFAULT_PROVIDER.verifier_factory)(algorithm, key),
    };
    Ok(Box::new(verifier))
}

enum RingVerifier {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The uncompressed point, `04 || x || y`.
    P256(Vec<u8>),
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let verified = match self {
            Self::Rsa { n, e } => RsaPublicKeyComponents { n, e }.verify(
                &RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            ),
            Self::P256(point) => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(message, signature)
            }
        };
        verified.map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Rsa { .. } => Algorithm::RS256,
            Self::P256(_) => Algorithm::ES256,
        }
    }
}
