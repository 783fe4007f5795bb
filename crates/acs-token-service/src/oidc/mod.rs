//! Sign-in: the caller's bearer JWT, validated against the configured OpenID Connect issuers.
//!
//! The order of the checks is chosen so that nothing an attacker sends makes the service call anyone
//! before it has to: the token's shape, its issuer (must be configured) and its algorithm (RS256 or
//! ES256, as configured for that issuer) are checked locally first; only a `kid` the cached JWKS lacks
//! makes it fetch the issuer's keys again, at most once per `jwks_min_refresh`.

mod crypto;
mod error;
mod keys;
mod signed_in;

use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

pub use error::SignInError;
pub use signed_in::SignedIn;

use crate::config::IssuerConfig;
use crate::metrics::Metrics;
use keys::{KeyLookup, KeySet};

/// The longest bearer token accepted; Entra's with many groups stay well below.
pub(crate) const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Validates bearer tokens of the configured issuers.
#[derive(Debug)]
pub(crate) struct Verifier {
    issuers: Vec<Issuer>,
}

#[derive(Debug)]
struct Issuer {
    config: IssuerConfig,
    keys: KeySet,
}

/// The readiness of one issuer, for `/readyz`.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct IssuerStatus {
    pub(crate) issuer: String,
    pub(crate) ready: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    pub(crate) keys: usize,
}

#[derive(Deserialize)]
struct UnverifiedHeader {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct UnverifiedIssuer {
    iss: Option<Value>,
}

impl Verifier {
    pub(crate) fn new(
        issuers: &[IssuerConfig],
        http: reqwest::Client,
        metrics: &Arc<Metrics>,
    ) -> Self {
        if !crypto::install() {
            tracing::debug!(
                "jsonwebtoken has another crypto provider already: signatures are checked with it"
            );
        }
        Self {
            issuers: issuers
                .iter()
                .map(|config| Issuer {
                    keys: KeySet::new(config, http.clone(), metrics.clone()),
                    config: config.clone(),
                })
                .collect(),
        }
    }

    /// Fetches every issuer's keys once (at start; failures are only reported).
    pub(crate) async fn prefetch(&self) -> Vec<IssuerStatus> {
        let mut statuses = Vec::with_capacity(self.issuers.len());
        for issuer in &self.issuers {
            statuses.push(issuer.keys.status(Instant::now(), true).await);
        }
        statuses
    }

    /// Whether each issuer's keys are at hand (fetching them if none are, within the refresh limit).
    pub(crate) async fn readiness(&self) -> Vec<IssuerStatus> {
        let mut statuses = Vec::with_capacity(self.issuers.len());
        for issuer in &self.issuers {
            statuses.push(issuer.keys.status(Instant::now(), false).await);
        }
        statuses
    }

    /// Validates `token` (the part after `Bearer `).
    pub(crate) async fn verify(&self, token: &str) -> Result<SignedIn, SignInError> {
        let Unverified { alg, kid, iss } = inspect(token)?;
        let issuer = self
            .issuers
            .iter()
            .find(|issuer| issuer.config.issuer == iss)
            .ok_or(SignInError::UnknownIssuer)?;
        let algorithm = issuer
            .config
            .algorithms
            .iter()
            .copied()
            .find(|algorithm| algorithm_name(*algorithm) == alg)
            .ok_or_else(|| SignInError::AlgorithmNotAllowed(truncate(&alg, 16)))?;
        let kid = kid.ok_or(SignInError::UnknownKey)?;
        let key = match issuer.keys.lookup(&kid, Instant::now()).await {
            KeyLookup::Found(key) => key,
            KeyLookup::Unknown => return Err(SignInError::UnknownKey),
            KeyLookup::Unavailable => return Err(SignInError::IssuerUnavailable),
        };
        if key.algorithm != algorithm {
            return Err(SignInError::AlgorithmNotAllowed(truncate(&alg, 16)));
        }
        let validation = validation(&issuer.config, algorithm);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &validation)
            .map_err(|error| match error.into_kind() {
                ErrorKind::ExpiredSignature => SignInError::Expired,
                ErrorKind::ImmatureSignature => SignInError::NotYetValid,
                ErrorKind::InvalidAudience => SignInError::WrongAudience,
                ErrorKind::InvalidIssuer => SignInError::UnknownIssuer,
                ErrorKind::InvalidAlgorithm => SignInError::AlgorithmNotAllowed(truncate(&alg, 16)),
                ErrorKind::MissingRequiredClaim(claim) => {
                    SignInError::MissingClaim(truncate(&claim, 64))
                }
                ErrorKind::InvalidClaimFormat(claim) => {
                    SignInError::MissingClaim(truncate(&claim, 64))
                }
                ErrorKind::InvalidSignature => SignInError::BadSignature,
                _ => SignInError::Malformed("the JWT could not be decoded"),
            })?;
        let user = SignedIn::new(iss, data.claims, &issuer.config.roles_claim)?;
        for claim in &issuer.config.required_claims {
            if user.claim(claim).is_none_or(Value::is_null) {
                return Err(SignInError::MissingClaim(claim.clone()));
            }
        }
        for role in &issuer.config.required_roles {
            if !user.has_role(role) {
                return Err(SignInError::MissingRole(role.clone()));
            }
        }
        Ok(user)
    }
}

/// What a token says about itself before any check: read to pick the issuer and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unverified {
    pub(crate) alg: String,
    pub(crate) kid: Option<String>,
    pub(crate) iss: String,
}

/// The token's shape, header and claimed issuer, with no I/O and no trust in any of it.
pub(crate) fn inspect(token: &str) -> Result<Unverified, SignInError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(SignInError::TooLarge);
    }
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(SignInError::Malformed(
            "not a JWT: expected three dot-separated parts",
        ));
    };
    let header: UnverifiedHeader = decode_segment(header).ok_or(SignInError::Malformed(
        "the JWT header is not base64url JSON with an alg",
    ))?;
    let claimed: UnverifiedIssuer = decode_segment(payload).ok_or(SignInError::Malformed(
        "the JWT payload is not base64url JSON",
    ))?;
    let Some(Value::String(iss)) = claimed.iss else {
        return Err(SignInError::MissingClaim("iss".into()));
    };
    Ok(Unverified {
        alg: header.alg,
        kid: header.kid,
        iss,
    })
}

/// The token of an `Authorization: Bearer <token>` header.
pub(crate) fn bearer_token(value: Option<&http::HeaderValue>) -> Result<&str, SignInError> {
    let value = value
        .ok_or(SignInError::Missing)?
        .to_str()
        .map_err(|_| SignInError::Malformed("the Authorization header is not visible ASCII"))?
        .trim();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(SignInError::Malformed(
            "expected Authorization: Bearer <token>",
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(SignInError::Missing);
    }
    Ok(token)
}

fn validation(config: &IssuerConfig, algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[&config.issuer]);
    validation.set_audience(&config.audiences);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = config.leeway.as_secs();
    validation
}

pub(crate) fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        // The configuration admits no other.
        _ => "unsupported",
    }
}

/// A string claim of a JWT whose signature someone else checks (ACS checks the Teams tokens it exchanges).
pub(crate) fn unverified_claim(token: &str, name: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_BYTES {
        return None;
    }
    let payload = token.split('.').nth(1)?;
    let claims: Map<String, Value> = decode_segment(payload)?;
    match claims.get(name)? {
        Value::String(value) if !value.is_empty() => Some(value.clone()),
        _ => None,
    }
}

fn decode_segment<T: serde::de::DeserializeOwned>(segment: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// At most `max` characters of an attacker-chosen string, for an error message.
fn truncate(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}
