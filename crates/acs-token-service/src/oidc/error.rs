//! Why a sign-in was refused: one variant per check, so the caller learns which one failed.

use http::StatusCode;

/// Why a bearer token was not accepted. Never carries the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// No `Authorization: Bearer` header.
    #[error("sign in first: send Authorization: Bearer <token from your identity provider>")]
    Missing,
    /// The token is longer than the service accepts.
    #[error("the bearer token is longer than 16 KiB")]
    TooLarge,
    /// Not a JWT.
    #[error("the bearer token is malformed: {0}")]
    Malformed(&'static str),
    /// The `iss` claim names no configured issuer.
    #[error("the token's issuer (iss) is not one this service trusts")]
    UnknownIssuer,
    /// The header's `alg` is not allowed for that issuer (`none` and HMAC never are).
    #[error("the token's algorithm {0:?} is not accepted (allowed: RS256, ES256 as configured)")]
    AlgorithmNotAllowed(String),
    /// The header's `kid` is in none of the issuer's published keys, even after a refresh.
    #[error("the token's signing key (kid) is not among the issuer's published keys")]
    UnknownKey,
    /// The signature does not verify: the token was altered or signed by someone else.
    #[error("the token's signature does not verify")]
    BadSignature,
    /// `exp` is past (beyond the leeway).
    #[error("the token has expired (exp)")]
    Expired,
    /// `nbf` is ahead (beyond the leeway).
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    /// `aud` names none of the configured audiences.
    #[error("the token's audience (aud) is not this service")]
    WrongAudience,
    /// A claim the service requires is missing.
    #[error("the token lacks the required claim {0:?}")]
    MissingClaim(String),
    /// The caller lacks a role the service requires.
    #[error("the caller lacks the required role {0:?}")]
    MissingRole(String),
    /// The issuer's keys could not be fetched, and none are cached.
    #[error("the identity provider's keys cannot be fetched right now; try again shortly")]
    IssuerUnavailable,
}

impl SignInError {
    /// The error code of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "missing_token",
            Self::TooLarge => "token_too_large",
            Self::Malformed(_) => "malformed_token",
            Self::UnknownIssuer => "unknown_issuer",
            Self::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "invalid_signature",
            Self::Expired => "token_expired",
            Self::NotYetValid => "token_not_yet_valid",
            Self::WrongAudience => "wrong_audience",
            Self::MissingClaim(_) => "missing_claim",
            Self::MissingRole(_) => "missing_role",
            Self::IssuerUnavailable => "issuer_unavailable",
        }
    }

    /// 401 for a token that is not good, 403 for a good one without a required role, 503 when the keys are
    /// out of reach.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingRole(_) => StatusCode::FORBIDDEN,
            Self::IssuerUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}
