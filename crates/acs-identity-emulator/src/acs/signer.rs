//! The resource's RS256 key for ACS access tokens, the way the service signs them: a JWT header
//! `{"alg":"RS256","kid":..,"x5t":..,"typ":"JWT"}`, the public key published as a JWKS.
//!
//! The key (RSA 2048) is made on first use, not at start (generation takes tens of milliseconds even
//! optimised), and kept in the store's settings, so that a durable emulator keeps verifying the tokens it
//! issued before a restart.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _};
use rsa::pkcs8::EncodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::entra::{SigningError, ensure_crypto_provider};
use crate::jwt::JwtError;
use crate::store::Store;

/// The store setting that holds the private key (PKCS#1 DER, base64).
const SETTING: &str = "acs_token_rsa_key";

/// One key. `Debug` shows the `kid` only.
pub(crate) struct AcsKey {
    kid: String,
    header: String,
    private: EncodingKey,
    public: DecodingKey,
    jwk: Value,
}

impl fmt::Debug for AcsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AcsKey({}, [redacted])", self.kid)
    }
}

impl AcsKey {
    fn from_private(key: &rsa::PrivateKey) -> Result<Self, SigningError> {
        ensure_crypto_provider();
        let private = key
            .to_pkcs1_der()
            .map_err(|_| SigningError::new("cannot encode the ACS token key"))?;
        let public = key.to_public_key();
        let spki = public
            .to_public_key_der()
            .map_err(|_| SigningError::new("cannot encode the ACS token public key"))?;
        // A certificate's SHA-1 thumbprint in the service (kid in hex, x5t in base64url); the emulator has
        // no certificate, so 20 bytes of the public key's SHA-256 play the part.
        let thumbprint = &Sha256::digest(spki.as_bytes())[..20];
        let kid: String = thumbprint.iter().map(|b| format!("{b:02X}")).collect();
        let x5t = URL_SAFE_NO_PAD.encode(thumbprint);
        let n = URL_SAFE_NO_PAD.encode(public.n_bytes());
        let e = URL_SAFE_NO_PAD.encode(public.e_bytes());
        let header = format!(r#"{{"alg":"RS256","kid":"{kid}","x5t":"{x5t}","typ":"JWT"}}"#);
        Ok(Self {
            jwk: json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "x5t": x5t, "n": n, "e": e}),
            header: URL_SAFE_NO_PAD.encode(header),
            public: DecodingKey::from_rsa_components(&n, &e)
                .map_err(|_| SigningError::new("cannot use the ACS token public key"))?,
            private: EncodingKey::from_rsa_der(private.as_bytes()),
            kid,
        })
    }

    /// Encodes and signs `claims`.
    pub(crate) fn sign<C: Serialize>(&self, claims: &C) -> Result<String, SigningError> {
        let claims = serde_json::to_vec(claims)
            .map_err(|_| SigningError::new("cannot encode the claims"))?;
        let mut token = String::with_capacity(800);
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let signature =
            jsonwebtoken::crypto::sign(token.as_bytes(), &self.private, Algorithm::RS256)
                .map_err(|_| SigningError::new("cannot sign the token"))?;
        token.push('.');
        token.push_str(&signature);
        Ok(token)
    }

    /// Checks the signature and the header's `kid`, and decodes the claims. Expiry is the caller's business.
    pub(crate) fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<C, JwtError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
        let (header, claims) = signed.split_once('.').ok_or(JwtError::Malformed)?;
        if header != self.header {
            return Err(JwtError::BadSignature);
        }
        match jsonwebtoken::crypto::verify(
            signature,
            signed.as_bytes(),
            &self.public,
            Algorithm::RS256,
        ) {
            Ok(true) => {}
            Ok(false) => return Err(JwtError::BadSignature),
            Err(_) => return Err(JwtError::Malformed),
        }
        let json = URL_SAFE_NO_PAD
            .decode(claims)
            .map_err(|_| JwtError::Malformed)?;
        serde_json::from_slice(&json).map_err(|_| JwtError::Malformed)
    }

    /// `{"keys": [{"kty":"RSA","use":"sig","alg":"RS256","kid","x5t","n","e"}]}`
    pub(crate) fn jwks(&self) -> Value {
        json!({"keys": [self.jwk]})
    }
}

/// The resource's key, loaded from the store or generated on first use.
#[derive(Default)]
pub(crate) struct AcsSigner {
    current: Mutex<Option<Arc<AcsKey>>>,
}

impl fmt::Debug for AcsSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AcsSigner([redacted])")
    }
}

impl AcsSigner {
    /// The key: the stored one, else a new one (stored). Concurrent first callers wait for one generation.
    pub(crate) fn key(&self, store: &Store) -> Result<Arc<AcsKey>, SigningError> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = &*current {
            return Ok(Arc::clone(key));
        }
        let stored = store
            .stored_setting(SETTING)
            .map_err(|_| SigningError::new("cannot read the ACS token key"))?;
        let private = match stored {
            Some(encoded) => URL_SAFE_NO_PAD
                .decode(encoded)
                .ok()
                .and_then(|der| rsa::PrivateKey::from_pkcs1_der(&der).ok())
                .ok_or_else(|| SigningError::new("the stored ACS token key is not valid"))?,
            None => {
                let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048)
                    .map_err(|_| SigningError::new("cannot generate the ACS token key"))?;
                let der = key
                    .to_pkcs1_der()
                    .map_err(|_| SigningError::new("cannot encode the ACS token key"))?;
                store
                    .setting(
                        SETTING,
                        Some(URL_SAFE_NO_PAD.encode(der.as_bytes())),
                        String::new,
                    )
                    .map_err(|_| SigningError::new("cannot store the ACS token key"))?;
                key
            }
        };
        let key = Arc::new(AcsKey::from_private(&private)?);
        *current = Some(Arc::clone(&key));
        Ok(key)
    }
}
