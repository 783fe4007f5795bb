//! ACS access tokens: JWTs shaped like the service's, and their validation (revocation, deletion, expiry).

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::signer::AcsSigner;
use super::timestamp::{to_datetime, unix_nanos, unix_seconds};
use crate::entra::SigningError;
use crate::store::Store;

/// The `scp` claim of every token the emulator issues (the value seen in the service's tokens; clients do not
/// interpret it). The requested scopes are in `acsScope`.
pub(crate) const SCP: u32 = 1792;

/// Claims of an ACS access token: those of the service's tokens of about 740 characters, in its order
/// (tokens seen since 2023 add `rgn` and `resourceLocation`, for about 810).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AcsClaims {
    pub(crate) skypeid: String,
    pub(crate) scp: u32,
    /// The issue time as `<seconds>.<nanoseconds>` (the service's: `<seconds>`), so that a token issued
    /// right after a revocation, in the same second, stays valid.
    pub(crate) csi: String,
    pub(crate) exp: i64,
    pub(crate) acs_scope: String,
    pub(crate) resource_id: String,
    pub(crate) iat: i64,
}

/// `csi` of a token issued at `unix_nanos`.
fn csi(unix_nanos: i64) -> String {
    format!(
        "{}.{:09}",
        unix_nanos.div_euclid(1_000_000_000),
        unix_nanos.rem_euclid(1_000_000_000)
    )
}

/// The issue time in nanoseconds from `csi`, `<seconds>.<nanoseconds>` or plain `<seconds>`.
fn issued_at_nanos(csi: &str) -> Option<i64> {
    let (seconds, nanos) = csi.split_once('.').unwrap_or((csi, "0"));
    let nanos: i64 = format!("{nanos:0<9}").get(..9)?.parse().ok()?;
    seconds
        .parse::<i64>()
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos)
}

/// A freshly issued token.
pub(crate) struct Issued {
    pub(crate) token: String,
    pub(crate) expires_on: OffsetDateTime,
}

/// Signs a token for `skypeid` (the identifier's raw id without its `8:` prefix).
pub(crate) fn issue(
    signer: &AcsSigner,
    store: &Store,
    resource_id: &str,
    skypeid: String,
    scopes: &[String],
    issued_at: SystemTime,
    expires_at: SystemTime,
) -> Result<Issued, SigningError> {
    let claims = AcsClaims {
        skypeid,
        scp: SCP,
        csi: csi(unix_nanos(issued_at)),
        exp: unix_seconds(expires_at),
        acs_scope: scopes.join(","),
        resource_id: resource_id.into(),
        iat: unix_seconds(issued_at),
    };
    Ok(Issued {
        token: signer.sign(store, &claims)?,
        expires_on: to_datetime(expires_at),
    })
}

/// What the emulator thinks of an ACS access token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenStatus {
    /// Signed by this emulator, not expired, not revoked, its identity not deleted.
    Valid {
        /// The identity's raw id (`8:acs:...`, or `8:orgid:<oid>` for a Teams user).
        identity: String,
        /// The scopes it grants (`acsScope`).
        scopes: Vec<String>,
        /// Its expiry.
        expires_on: OffsetDateTime,
    },
    /// Past its expiry.
    Expired,
    /// Issued before the identity's last revocation.
    Revoked,
    /// Its identity was deleted (or never existed here).
    IdentityDeleted,
    /// Not a token of this emulator: malformed, or signed with another key.
    Invalid,
}

impl TokenStatus {
    /// Whether the token can still be used.
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid { .. })
    }

    /// A short name: `valid`, `expired`, `revoked`, `identityDeleted`, `invalid`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Valid { .. } => "valid",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::IdentityDeleted => "identityDeleted",
            Self::Invalid => "invalid",
        }
    }
}

/// Checks a token against the key, the clock and the store.
pub(crate) fn check(
    signer: &AcsSigner,
    store: &Store,
    resource_id: &str,
    token: &str,
    now: SystemTime,
) -> TokenStatus {
    let Ok(claims) = signer.verify::<AcsClaims>(store, token) else {
        return TokenStatus::Invalid;
    };
    let Some(issued_at_ns) = issued_at_nanos(&claims.csi) else {
        return TokenStatus::Invalid;
    };
    if claims.exp <= unix_seconds(now) {
        return TokenStatus::Expired;
    }
    let identity = format!("8:{}", claims.skypeid);
    // Only identities created through `/identities` are stored; exchanged tokens live until they expire.
    let stored_suffix = claims
        .skypeid
        .strip_prefix("acs:")
        .and_then(|rest| rest.strip_prefix(resource_id))
        .and_then(|rest| rest.strip_prefix('_'))
        .filter(|suffix| !suffix.contains('_'));
    if let Some(suffix) = stored_suffix {
        match store.identity(suffix) {
            Ok(Some(record)) => {
                if record
                    .revoked_before_ns
                    .is_some_and(|revoked| issued_at_ns <= revoked)
                {
                    return TokenStatus::Revoked;
                }
            }
            Ok(None) => return TokenStatus::IdentityDeleted,
            Err(_) => return TokenStatus::Invalid,
        }
    }
    let scopes = claims
        .acs_scope
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let expires_on = to_datetime(
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(claims.exp).unwrap_or(0)),
    );
    TokenStatus::Valid {
        identity,
        scopes,
        expires_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csi_carries_the_nanoseconds_and_reads_back() {
        assert_eq!(csi(1_682_066_352_000_000_042), "1682066352.000000042");
        assert_eq!(
            issued_at_nanos("1682066352.000000042"),
            Some(1_682_066_352_000_000_042)
        );
        assert_eq!(
            issued_at_nanos("1682066352"),
            Some(1_682_066_352_000_000_000)
        );
        assert_eq!(
            issued_at_nanos("1682066352.5"),
            Some(1_682_066_352_500_000_000)
        );
        assert_eq!(issued_at_nanos("x"), None);
        assert_eq!(issued_at_nanos("99999999999999999999"), None);
    }
}
