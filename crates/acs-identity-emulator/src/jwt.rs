//! Compact JWTs signed with HS256: the emulator's ACS access tokens and its Entra tokens.
//!
//! The real services sign with RS256; clients never verify ACS tokens, they only read `exp`, so a keyed
//! MAC with the emulator's own secret is enough and keeps the emulator free of key management.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// A secret that signs and verifies tokens. Never printed.
#[derive(Clone)]
pub(crate) struct TokenKey {
    mac: HmacSha256,
    /// `kid` of the header, so that tokens of the two issuers are told apart at a glance.
    kid: &'static str,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({}, [redacted])", self.kid)
    }
}

/// Why a token was not accepted. Carries no part of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwtError {
    Malformed,
    BadSignature,
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

impl TokenKey {
    pub(crate) fn new(secret: &[u8], kid: &'static str) -> Self {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail; fall back to an empty key anyway.
        let mac = HmacSha256::new_from_slice(secret)
            .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()));
        Self { mac, kid }
    }

    /// Encodes and signs `claims`.
    pub(crate) fn sign<C: Serialize>(&self, claims: &C) -> String {
        let header = Header {
            alg: "HS256",
            typ: "JWT",
            kid: self.kid,
        };
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let claims = serde_json::to_vec(claims).unwrap_or_default();
        let mut token = String::with_capacity(64 + claims.len() * 4 / 3 + 48);
        URL_SAFE_NO_PAD.encode_string(header, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let mut mac = self.mac.clone();
        mac.update(token.as_bytes());
        let signature = mac.finalize().into_bytes();
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        token
    }

    /// Checks the signature (in constant time) and decodes the claims. Expiry is the caller's business.
    pub(crate) fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<C, JwtError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
        let (_header, claims) = signed.split_once('.').ok_or(JwtError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JwtError::Malformed)?;
        let mut mac = self.mac.clone();
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| JwtError::BadSignature)?;
        decode_part(claims)
    }
}

/// Decodes the claims of a token without checking who signed it (client assertions of workload identity,
/// whose issuer the emulator trusts by configuration).
pub(crate) fn unverified_claims<C: DeserializeOwned>(token: &str) -> Result<C, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    decode_part::<serde_json::Value>(header)?;
    decode_part(claims)
}

fn decode_part<C: DeserializeOwned>(part: &str) -> Result<C, JwtError> {
    let json = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Claims {
        sub: String,
        exp: i64,
    }

    #[test]
    fn round_trips_and_rejects_tampering() {
        let key = TokenKey::new(b"secret", "test");
        let claims = Claims {
            sub: "me".into(),
            exp: 42,
        };
        let token = key.sign(&claims);
        assert_eq!(key.verify::<Claims>(&token).unwrap(), claims);
        assert_eq!(unverified_claims::<Claims>(&token).unwrap(), claims);

        let other = TokenKey::new(b"other", "test");
        assert_eq!(other.verify::<Claims>(&token), Err(JwtError::BadSignature));
        let forged = key.sign(&Claims {
            sub: "you".into(),
            exp: 42,
        });
        let (forged_head, _) = forged.rsplit_once('.').unwrap();
        let (_, signature) = token.rsplit_once('.').unwrap();
        assert_eq!(
            key.verify::<Claims>(&format!("{forged_head}.{signature}")),
            Err(JwtError::BadSignature)
        );
        assert_eq!(
            key.verify::<Claims>("not a token"),
            Err(JwtError::Malformed)
        );
    }
}
