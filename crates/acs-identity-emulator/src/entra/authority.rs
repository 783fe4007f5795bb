//! Minting and checking the emulator's Entra tokens.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keys::{KeySet, LazyKeys};
use super::{EntraApp, EntraToken, EntraUser, SignInUser, SigningAlgorithm, SigningError};
use crate::acs::timestamp::{to_datetime, unix_seconds};
use crate::jwt::TokenKey;

/// Lifetime of application tokens, as Entra's (`expires_in: 3599`).
pub(crate) const APP_TOKEN_SECONDS: u64 = 3599;
const USER_TOKEN_SECONDS: u64 = 3600;

/// Claims of the emulator's Entra tokens (a subset of Entra's v1 access token claims).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EntraClaims {
    pub(crate) aud: String,
    pub(crate) iss: String,
    pub(crate) iat: i64,
    pub(crate) nbf: i64,
    pub(crate) exp: i64,
    pub(crate) tid: String,
    pub(crate) oid: String,
    pub(crate) appid: String,
    /// `app` for client-credential tokens, `user` for user tokens.
    pub(crate) idtyp: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) groups: Vec<String>,
    pub(crate) ver: String,
}

/// Which audience a token must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    Communication,
    Teams,
}

impl Audience {
    fn accepts(self, aud: &str) -> bool {
        let wanted = match self {
            Self::Communication => EntraUser::COMMUNICATION_AUDIENCE,
            Self::Teams => EntraUser::TEAMS_AUDIENCE,
        };
        aud.trim_end_matches('/') == wanted
    }
}

/// The emulator's tenant, its registered application and the keys its tokens are signed with: an HS256
/// secret for the application and Teams user tokens (checked by the emulator only), and the OpenID Connect
/// issuer's published RS256/ES256 keys for sign-in tokens (checked by relying parties).
#[derive(Debug)]
pub(crate) struct EntraAuthority {
    pub(crate) tenant_id: Uuid,
    pub(crate) app: EntraApp,
    /// `{endpoint}{tenant}/v2.0`, the `iss` of every token and the OpenID Connect issuer.
    pub(crate) issuer: String,
    key: TokenKey,
    /// Published in the JWKS.
    signing: LazyKeys,
    /// Never published: tokens with a `kid` no relying party can find.
    unpublished: LazyKeys,
}

impl EntraAuthority {
    /// `authority` is the emulator's base URL (`http://127.0.0.1:PORT/`).
    pub(crate) fn new(authority: &str, tenant_id: Uuid, app: EntraApp, secret: &[u8]) -> Self {
        Self {
            tenant_id,
            app,
            issuer: format!("{authority}{tenant_id}/v2.0"),
            key: TokenKey::new(secret, "emulator-entra"),
            signing: LazyKeys::default(),
            unpublished: LazyKeys::default(),
        }
    }

    /// The published signing keys (generated on first use).
    pub(crate) fn signing_keys(&self) -> Result<std::sync::Arc<KeySet>, SigningError> {
        self.signing.get()
    }

    /// New published keys from the next use on; the previous ones leave the JWKS.
    pub(crate) fn rotate_signing_keys(&self) {
        self.signing.rotate();
    }

    /// A sign-in token for `user`, signed with the published key of `user.algorithm`.
    pub(crate) fn sign_in(
        &self,
        user: &SignInUser,
        now: SystemTime,
    ) -> Result<EntraToken, SigningError> {
        let audience = self.app.client_id.to_string();
        let claims = user.claims(&self.issuer, &audience, self.tenant_id, now);
        let token = self.signing.get()?.sign(&claims, user.algorithm)?;
        Ok(EntraToken::new(token, to_datetime(user.expiry(now))))
    }

    /// Signs arbitrary claims with a published key (`published`) or with a key that is never published.
    pub(crate) fn mint_signed(
        &self,
        claims: &serde_json::Value,
        algorithm: SigningAlgorithm,
        published: bool,
    ) -> Result<String, SigningError> {
        let keys = if published {
            &self.signing
        } else {
            &self.unpublished
        };
        keys.get()?.sign(claims, algorithm)
    }

    /// A client-credentials token for the registered application.
    pub(crate) fn issue_app_token(&self, now: SystemTime) -> String {
        let client_id = self.app.client_id.to_string();
        let claims = self.claims(
            format!("{}/", EntraUser::COMMUNICATION_AUDIENCE),
            self.tenant_id,
            client_id.clone(),
            client_id,
            "app",
            Vec::new(),
            now,
            now + Duration::from_secs(APP_TOKEN_SECONDS),
        );
        self.key.sign(&claims)
    }

    /// A user token.
    pub(crate) fn issue_user_token(&self, user: &EntraUser, now: SystemTime) -> EntraToken {
        let expires_at = user
            .expires_at
            .unwrap_or(now + Duration::from_secs(USER_TOKEN_SECONDS));
        let claims = self.claims(
            user.audience.clone(),
            user.tenant_id.unwrap_or(self.tenant_id),
            user.object_id.to_string(),
            user.app_id.to_string(),
            "user",
            user.groups.iter().map(Uuid::to_string).collect(),
            now.min(expires_at),
            expires_at,
        );
        let expires_on = to_datetime(
            SystemTime::UNIX_EPOCH + Duration::from_secs(claims.exp.max(0).unsigned_abs()),
        );
        EntraToken::new(self.key.sign(&claims), expires_on)
    }

    #[allow(clippy::too_many_arguments)] // private: one call per token kind
    fn claims(
        &self,
        aud: String,
        tenant: Uuid,
        oid: String,
        appid: String,
        idtyp: &str,
        groups: Vec<String>,
        issued_at: SystemTime,
        expires_at: SystemTime,
    ) -> EntraClaims {
        EntraClaims {
            aud,
            iss: self.issuer.clone(),
            iat: unix_seconds(issued_at),
            nbf: unix_seconds(issued_at),
            exp: unix_seconds(expires_at),
            tid: tenant.to_string(),
            oid,
            appid,
            idtyp: idtyp.into(),
            groups,
            ver: "1.0".into(),
        }
    }

    /// Checks signature, expiry and audience; `user` says whether a user (or else an application) token is
    /// wanted.
    pub(crate) fn verify(
        &self,
        token: &str,
        audience: Audience,
        user: bool,
        now: SystemTime,
    ) -> Option<EntraClaims> {
        let claims: EntraClaims = self.key.verify(token).ok()?;
        let now = unix_seconds(now);
        let kind = if user { "user" } else { "app" };
        (claims.exp > now
            && claims.nbf <= now + 300
            && audience.accepts(&claims.aud)
            && claims.idtyp == kind)
            .then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority() -> EntraAuthority {
        EntraAuthority::new(
            "http://127.0.0.1:1/",
            Uuid::nil(),
            EntraApp::new(Uuid::nil(), "s"),
            b"key",
        )
    }

    #[test]
    fn app_tokens_are_accepted_only_where_they_belong() {
        let authority = authority();
        let now = SystemTime::now();
        let token = authority.issue_app_token(now);
        assert!(
            authority
                .verify(&token, Audience::Communication, false, now)
                .is_some()
        );
        assert!(
            authority
                .verify(&token, Audience::Communication, true, now)
                .is_none()
        );
        assert!(
            authority
                .verify(&token, Audience::Teams, false, now)
                .is_none()
        );
        let later = now + Duration::from_secs(APP_TOKEN_SECONDS + 1);
        assert!(
            authority
                .verify(&token, Audience::Communication, false, later)
                .is_none()
        );
    }

    #[test]
    fn user_tokens_carry_the_user() {
        let authority = authority();
        let now = SystemTime::now();
        let user = EntraUser::teams_user(Uuid::new_v4(), Uuid::new_v4());
        let token = authority.issue_user_token(&user, now);
        let claims = authority
            .verify(token.secret(), Audience::Teams, true, now)
            .unwrap();
        assert_eq!(claims.oid, user.object_id.to_string());
        assert_eq!(claims.appid, user.app_id.to_string());
        let expired = EntraUser {
            expires_at: Some(now - Duration::from_secs(1)),
            ..user
        };
        let token = authority.issue_user_token(&expired, now);
        assert!(
            authority
                .verify(token.secret(), Audience::Teams, true, now)
                .is_none()
        );
    }
}
