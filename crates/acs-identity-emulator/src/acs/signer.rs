//! The resource's RS256 key for ACS access tokens, the way the service signs them: a JWT header
//! `{"alg":"RS256","kid":..,"x5t":..,"typ":"JWT"}`, the public key published as a JWKS.
//!
//! The key (RSA 2048) is made on first use, not at start (generation takes tens of milliseconds even
//! optimised), and kept in the store's settings, so that a durable emulator keeps verifying the tokens it
//! issued before a restart.
//!
//! The `rsa` crate generates and stores the key; `ring` signs and verifies with it. The private-key
//! operation is what a token costs: `rsa`'s took ~2.8 ms of CPU, `ring`'s ~0.7 ms (see BENCHMARKS.md).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _, EncodeRsaPublicKey as _};
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
use rsa::traits::PublicKeyParts as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::entra::SigningError;
use crate::jwt::{JwtError, TokenKey};
use crate::store::Store;

/// The store setting that holds the private key (PKCS#1 DER, base64).
const SETTING: &str = "acs_token_rsa_key";

/// The `kid` of fast-mode (HS256) tokens.
const FAST_KID: &str = "emulator-fast";

/// One key. `Debug` shows the `kid` only.
pub(crate) struct AcsKey {
    kid: String,
    header: String,
    private: RsaKeyPair,
    /// PKCS#1 `RSAPublicKey` DER, what ring's `UnparsedPublicKey` takes for RSA.
    public: Vec<u8>,
    rng: SystemRandom,
    jwk: Value,
}

impl fmt::Debug for AcsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AcsKey({}, [redacted])", self.kid)
    }
}

impl AcsKey {
    fn from_private(key: &rsa::PrivateKey) -> Result<Self, SigningError> {
        let pkcs8 = key
            .to_pkcs8_der()
            .map_err(|_| SigningError::new("cannot encode the ACS token key"))?;
        let private = RsaKeyPair::from_pkcs8(pkcs8.as_bytes())
            .map_err(|_| SigningError::new("cannot use the ACS token key"))?;
        let public = key.to_public_key();
        let pkcs1_public = public
            .to_pkcs1_der()
            .map_err(|_| SigningError::new("cannot encode the ACS token public key"))?;
        let spki = public
            .to_public_key_der()
            .map_err(|_| SigningError::new("cannot encode the ACS token public key"))?;
        // The service's `kid` is a short number (`"106"`) and its `x5t` a certificate's SHA-1 thumbprint; the
        // emulator has no certificate, so 20 bytes of the public key's SHA-256 play the thumbprint, and the
        // `kid` is a number of 100..=999 taken from it.
        let digest = Sha256::digest(spki.as_bytes());
        let thumbprint = &digest[..20];
        let kid = (100 + u16::from_be_bytes([digest[20], digest[21]]) % 900).to_string();
        let x5t = URL_SAFE_NO_PAD.encode(thumbprint);
        let n = URL_SAFE_NO_PAD.encode(public.n_bytes());
        let e = URL_SAFE_NO_PAD.encode(public.e_bytes());
        let header = format!(r#"{{"alg":"RS256","kid":"{kid}","x5t":"{x5t}","typ":"JWT"}}"#);
        Ok(Self {
            jwk: json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "x5t": x5t, "n": n, "e": e}),
            header: URL_SAFE_NO_PAD.encode(header),
            public: pkcs1_public.as_bytes().to_vec(),
            private,
            rng: SystemRandom::new(),
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
        let mut signature = vec![0; self.private.public().modulus_len()];
        self.private
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| SigningError::new("cannot sign the token"))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    /// Checks the signature and the header's `kid`, and decodes the claims. Expiry is the caller's business.
    pub(crate) fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<C, JwtError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
        let (header, claims) = signed.split_once('.').ok_or(JwtError::Malformed)?;
        if header != self.header {
            return Err(JwtError::BadSignature);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JwtError::Malformed)?;
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.public)
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| JwtError::BadSignature)?;
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

/// The resource's key, loaded from the store or generated on first use; or, with
/// [`fast_tokens`](crate::EmulatorBuilder::fast_tokens), an HS256 secret that signs instead.
#[derive(Default)]
pub(crate) struct AcsSigner {
    current: Mutex<Option<Arc<AcsKey>>>,
    /// Signs (and verifies first) in fast mode.
    fast: Option<TokenKey>,
}

impl fmt::Debug for AcsSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AcsSigner([redacted])")
    }
}

impl AcsSigner {
    /// A signer that signs with HS256 under `secret` (fast mode), and still verifies RS256 tokens.
    pub(crate) fn fast(secret: &[u8]) -> Self {
        Self {
            current: Mutex::default(),
            fast: Some(TokenKey::new(secret, FAST_KID)),
        }
    }

    /// Signs `claims`: RS256 with the resource's key, or HS256 in fast mode.
    pub(crate) fn sign<C: Serialize>(
        &self,
        store: &Store,
        claims: &C,
    ) -> Result<String, SigningError> {
        match &self.fast {
            Some(fast) => Ok(fast.sign(claims)),
            None => self.key(store)?.sign(claims),
        }
    }

    /// Verifies a token of either kind and decodes its claims.
    pub(crate) fn verify<C: DeserializeOwned>(
        &self,
        store: &Store,
        token: &str,
    ) -> Result<C, JwtError> {
        if let Some(fast) = &self.fast
            && let Ok(claims) = fast.verify(token)
        {
            return Ok(claims);
        }
        self.key(store)
            .map_err(|_| JwtError::BadSignature)?
            .verify(token)
    }

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
