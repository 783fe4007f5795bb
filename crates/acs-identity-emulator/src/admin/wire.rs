//! JSON bodies of the admin routes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::acs::timestamp::{expires_on, to_datetime};
use crate::{Fault, FaultConfig, FaultRule, Operation, RequestLog, RetryAfter, Trigger};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InfoDto<'a> {
    pub(super) endpoint: &'a str,
    pub(super) resource_id: String,
    pub(super) entra_authority: &'a str,
    pub(super) entra_tenant_id: String,
    pub(super) entra_token_endpoint: String,
    pub(super) entra_client_id: String,
    pub(super) entra_client_secret: &'a str,
    pub(super) oidc_issuer: &'a str,
    pub(super) scope: &'a str,
    pub(super) api_versions: Vec<&'static str>,
    pub(super) tls: bool,
}

/// `{"seed": 7, "rules": [...]}`
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct FaultConfigDto {
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    rules: Vec<FaultRuleDto>,
}

#[derive(Serialize)]
pub(super) struct RulesDto {
    pub(super) rules: Vec<FaultRuleDto>,
}

/// One rule, flat: `{"fault": "status", "status": 429, "retryAfterSeconds": 1, "next": 2,
/// "operation": "IssueAccessToken"}`; `fault` is `status`, `latency` (with `latencyMs`) or `dropConnection`;
/// the trigger is `next` or `probability`.
#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct FaultRuleDto {
    fault: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operation: Option<String>,
}

impl TryFrom<FaultConfigDto> for FaultConfig {
    type Error = String;

    fn try_from(dto: FaultConfigDto) -> Result<Self, String> {
        let rules = dto
            .rules
            .into_iter()
            .map(FaultRule::try_from)
            .collect::<Result<_, _>>()?;
        Ok(FaultConfig {
            seed: dto.seed,
            rules,
        })
    }
}

impl TryFrom<FaultRuleDto> for FaultRule {
    type Error = String;

    fn try_from(dto: FaultRuleDto) -> Result<Self, String> {
        let fault = match dto.fault.as_str() {
            "status" => {
                let status = dto.status.ok_or("a status fault needs `status`")?;
                if !(400..=599).contains(&status) {
                    return Err(format!("`status` must be within 400..=599, got {status}"));
                }
                let retry_after = match (dto.retry_after_seconds, dto.retry_after_ms) {
                    (Some(_), Some(_)) => {
                        return Err("give `retryAfterSeconds` or `retryAfterMs`, not both".into());
                    }
                    (Some(s), None) => Some(RetryAfter::Seconds(s)),
                    (None, Some(ms)) => Some(RetryAfter::Milliseconds(ms)),
                    (None, None) => None,
                };
                Fault::Status {
                    status,
                    retry_after,
                }
            }
            "latency" => Fault::Latency(Duration::from_millis(
                dto.latency_ms.ok_or("a latency fault needs `latencyMs`")?,
            )),
            "dropConnection" => Fault::DropConnection,
            other => {
                return Err(format!(
                    "unknown fault `{other}`: use status, latency or dropConnection"
                ));
            }
        };
        let trigger = match (dto.next, dto.probability) {
            (Some(n), None) => Trigger::Next(n),
            (None, Some(p)) if (0.0..=1.0).contains(&p) => Trigger::Probability(p),
            (None, Some(p)) => return Err(format!("`probability` must be within 0..=1, got {p}")),
            _ => return Err("give exactly one of `next` and `probability`".into()),
        };
        let operation = dto
            .operation
            .map(|name| {
                Operation::from_name(&name).ok_or_else(|| format!("unknown operation `{name}`"))
            })
            .transpose()?;
        Ok(FaultRule {
            fault,
            trigger,
            operation,
        })
    }
}

impl From<&FaultRule> for FaultRuleDto {
    fn from(rule: &FaultRule) -> Self {
        let mut dto = FaultRuleDto {
            operation: rule.operation.map(|op| op.name().to_owned()),
            ..Default::default()
        };
        match &rule.fault {
            Fault::Status {
                status,
                retry_after,
            } => {
                dto.fault = "status".into();
                dto.status = Some(*status);
                match retry_after {
                    Some(RetryAfter::Seconds(s)) => dto.retry_after_seconds = Some(*s),
                    Some(RetryAfter::Milliseconds(ms)) => dto.retry_after_ms = Some(*ms),
                    None => {}
                }
            }
            Fault::Latency(delay) => {
                dto.fault = "latency".into();
                dto.latency_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
            }
            Fault::DropConnection => dto.fault = "dropConnection".into(),
        }
        match rule.trigger {
            Trigger::Next(n) => dto.next = Some(n),
            Trigger::Probability(p) => dto.probability = Some(p),
        }
        dto
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RequestsDto {
    total: u64,
    counts: BTreeMap<&'static str, u64>,
    records: Vec<RecordDto>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordDto {
    operation: &'static str,
    method: String,
    target: String,
    x_ms_date: Option<String>,
    authorization_fingerprint: Option<String>,
    client_request_id: Option<String>,
    status: Option<u16>,
    faulted: bool,
    received_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_error: Option<String>,
}

impl From<&RequestLog> for RequestsDto {
    fn from(log: &RequestLog) -> Self {
        RequestsDto {
            total: log.total(),
            counts: log
                .counts()
                .into_iter()
                .map(|(op, n)| (op.name(), n))
                .collect(),
            records: log
                .records()
                .into_iter()
                .map(|r| RecordDto {
                    operation: r.operation.name(),
                    method: r.method,
                    target: r.target,
                    x_ms_date: r.x_ms_date,
                    authorization_fingerprint: r.authorization_fingerprint,
                    client_request_id: r.client_request_id,
                    status: r.status,
                    faulted: r.faulted,
                    received_at: expires_on(to_datetime(r.received_at)),
                    auth_error: r.auth_error,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ValidateDto {
    pub(super) token: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct ValidityDto {
    pub(super) valid: bool,
    pub(super) status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) expires_on: Option<String>,
}

/// `{"objectId", "appId", "tenantId"?, "audience"? ("teams" | "communication" | a URI), "groups"?,
/// "expiresInSeconds"? (negative for an expired token)}`
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct EntraUserDto {
    pub(super) object_id: Uuid,
    pub(super) app_id: Uuid,
    #[serde(default)]
    pub(super) tenant_id: Option<Uuid>,
    #[serde(default)]
    pub(super) audience: Option<String>,
    #[serde(default)]
    pub(super) groups: Vec<Uuid>,
    #[serde(default)]
    pub(super) expires_in_seconds: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EntraTokenDto<'a> {
    pub(super) access_token: &'a str,
    pub(super) expires_on: String,
}
