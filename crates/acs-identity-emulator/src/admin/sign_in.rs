//! `GET|POST /_emulator/sign-in`: a sign-in token for a human with curl, e.g. a token service's `--dev` mode
//! printing `TOKEN=$(curl -s 'http://127.0.0.1:PORT/_emulator/sign-in?sub=alice&format=text')`.
//!
//! Parameters (all optional), in the query string, a form body or a JSON body: `sub`, `oid`, `aud`, `tid`,
//! `roles` and `groups` (comma-separated or repeated in a query or form, arrays in JSON), `name`,
//! `preferred_username`, `expires_in` (seconds, may be negative), `alg` (`RS256` or `ES256`), `format` (`json`,
//! the default, or `text`), and in JSON only `claims` (an object of extra claims).

use std::time::{Duration, SystemTime};

use http::header::{CONTENT_TYPE, HeaderValue};
use http::request::Parts;
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::acs::AcsError;
use crate::acs::timestamp::unix_seconds;
use crate::http::body::ResponseBody;
use crate::http::response::{self, HttpResponse};
use crate::state::State;
use crate::{SignInUser, SigningAlgorithm};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SignInRequest {
    sub: Option<String>,
    oid: Option<Uuid>,
    aud: Option<String>,
    tid: Option<Uuid>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    name: Option<String>,
    preferred_username: Option<String>,
    expires_in: Option<i64>,
    alg: Option<String>,
    format: Option<String>,
    #[serde(default)]
    claims: Map<String, Value>,
}

#[derive(Serialize)]
struct SignInResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

pub(super) fn serve(
    state: &State,
    parts: &Parts,
    body: &[u8],
    now: SystemTime,
) -> Result<HttpResponse, AcsError> {
    let mut request = SignInRequest::default();
    if let Some(query) = parts.uri.query() {
        apply_pairs(&mut request, query.as_bytes())?;
    }
    match parts.method {
        Method::GET => {}
        Method::POST if is_json(parts, body) => {
            let json: SignInRequest = serde_json::from_slice(body).map_err(|error| {
                AcsError::validation(format!("The sign-in body is invalid: {error}."), "body")
            })?;
            request.merge(json);
        }
        Method::POST => apply_pairs(&mut request, body)?,
        _ => return Err(AcsError::method_not_allowed(&parts.method)),
    }
    let text = match request.format.as_deref() {
        None | Some("json") => false,
        Some("text") => true,
        Some(_) => return Err(invalid("format must be json or text.", "format")),
    };
    let algorithm = match request.alg.as_deref() {
        None => SigningAlgorithm::default(),
        Some(name) => SigningAlgorithm::from_name(name)
            .ok_or_else(|| invalid("alg must be RS256 or ES256.", "alg"))?,
    };
    let tenant = request.tid.unwrap_or(state.entra.tenant_id);
    let object_id = match (request.oid, &request.sub) {
        (Some(oid), _) => oid,
        (None, Some(sub)) => stable_object_id(tenant, sub),
        (None, None) => Uuid::new_v4(),
    };
    let expires_at = request.expires_in.map(|seconds| {
        let delta = Duration::from_secs(seconds.unsigned_abs());
        if seconds >= 0 {
            now + delta
        } else {
            now.checked_sub(delta).unwrap_or(SystemTime::UNIX_EPOCH)
        }
    });
    let user = SignInUser {
        subject: request.sub,
        object_id,
        audience: request.aud,
        tenant_id: request.tid,
        roles: request.roles,
        groups: request.groups,
        name: request.name,
        preferred_username: request.preferred_username,
        not_before: None,
        expires_at,
        algorithm,
        extra_claims: request.claims,
    };
    let token = state.entra.sign_in(&user, now).map_err(|error| {
        tracing::error!(%error, "dev sign-in failed");
        AcsError::internal()
    })?;
    let expires_in = (unix_seconds(user.expiry(now)) - unix_seconds(now)).max(0);
    let secret = token.secret().to_owned();
    if text {
        return Ok(response::with_type(
            StatusCode::OK,
            HeaderValue::from_static("text/plain; charset=utf-8"),
            ResponseBody::sized(secret.into_bytes()),
        ));
    }
    Ok(response::json(
        StatusCode::OK,
        &SignInResponse {
            access_token: secret,
            token_type: "Bearer",
            expires_in: expires_in.unsigned_abs(),
        },
    ))
}

impl SignInRequest {
    /// Fields set in `other` replace this request's (the body wins over the query string).
    fn merge(&mut self, other: SignInRequest) {
        fn pick<T>(slot: &mut Option<T>, value: Option<T>) {
            if value.is_some() {
                *slot = value;
            }
        }
        pick(&mut self.sub, other.sub);
        pick(&mut self.oid, other.oid);
        pick(&mut self.aud, other.aud);
        pick(&mut self.tid, other.tid);
        pick(&mut self.name, other.name);
        pick(&mut self.preferred_username, other.preferred_username);
        pick(&mut self.expires_in, other.expires_in);
        pick(&mut self.alg, other.alg);
        pick(&mut self.format, other.format);
        if !other.roles.is_empty() {
            self.roles = other.roles;
        }
        if !other.groups.is_empty() {
            self.groups = other.groups;
        }
        self.claims.extend(other.claims);
    }
}

fn is_json(parts: &Parts, body: &[u8]) -> bool {
    let declared = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    declared || body.trim_ascii_start().first() == Some(&b'{')
}

/// `a=1&roles=x,y` (query string or form body) into the request.
fn apply_pairs(request: &mut SignInRequest, pairs: &[u8]) -> Result<(), AcsError> {
    for (name, value) in form_urlencoded::parse(pairs) {
        let value = value.into_owned();
        let list = || {
            value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        match name.as_ref() {
            "sub" => request.sub = Some(value),
            "oid" => request.oid = Some(parse_uuid(&value, "oid")?),
            "tid" => request.tid = Some(parse_uuid(&value, "tid")?),
            "aud" => request.aud = Some(value),
            "roles" => request.roles.extend(list()),
            "groups" => request.groups.extend(list()),
            "name" => request.name = Some(value),
            "preferred_username" => request.preferred_username = Some(value),
            "expires_in" => {
                request.expires_in = Some(value.parse().map_err(|_| {
                    invalid(
                        "expires_in must be a whole number of seconds.",
                        "expires_in",
                    )
                })?);
            }
            "alg" => request.alg = Some(value),
            "format" => request.format = Some(value),
            _ => {
                return Err(AcsError::validation(
                    format!("Unknown sign-in parameter '{name}'."),
                    "query",
                ));
            }
        }
    }
    Ok(())
}

fn parse_uuid(value: &str, target: &'static str) -> Result<Uuid, AcsError> {
    Uuid::parse_str(value).map_err(|_| invalid(&format!("{target} must be a GUID."), target))
}

fn invalid(message: &str, target: &'static str) -> AcsError {
    AcsError::validation(message.to_owned(), target)
}

/// The same `sub` signs in as the same `oid` every time (a version 8 UUID from a hash of tenant and subject),
/// so a human's `alice` is one user across sign-ins and restarts.
fn stable_object_id(tenant: Uuid, subject: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(b"acs-identity-emulator sign-in\0")
        .chain_update(tenant.as_bytes())
        .chain_update(subject.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_object_ids() {
        let tenant = Uuid::new_v4();
        assert_eq!(
            stable_object_id(tenant, "alice"),
            stable_object_id(tenant, "alice")
        );
        assert_ne!(
            stable_object_id(tenant, "alice"),
            stable_object_id(tenant, "bob")
        );
        assert_eq!(stable_object_id(tenant, "alice").get_version_num(), 8);
    }

    #[test]
    fn pairs_and_json_merge() {
        let mut request = SignInRequest::default();
        apply_pairs(&mut request, b"sub=alice&roles=a,b&roles=c&format=text").unwrap();
        assert_eq!(request.roles, ["a", "b", "c"]);
        request.merge(serde_json::from_str(r#"{"sub":"bob","claims":{"scp":"x"}}"#).unwrap());
        assert_eq!(request.sub.as_deref(), Some("bob"));
        assert_eq!(request.format.as_deref(), Some("text"));
        assert_eq!(request.claims["scp"], "x");
        assert!(apply_pairs(&mut request, b"oid=nope").is_err());
        assert!(apply_pairs(&mut request, b"colour=red").is_err());
    }
}
