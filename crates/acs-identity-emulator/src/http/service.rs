//! One request: authenticate on the head, read the body within bounds, route, count, inject faults,
//! answer, log.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use acs_connection_guard::InRequest;
use http::header::{AUTHORIZATION, CONNECTION};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Request};
use hyper::body::{Body as _, Incoming};
use sha2::{Digest as _, Sha256};

use super::request_body::{self, BodyError};
use super::response::{self, CLIENT_REQUEST_ID, HttpResponse};
use super::server::Bounds;
use crate::acs::{self, AcsError, Params, Unrouted};
use crate::entra::{self, EntraRoute};
use crate::faults::Outcome;
use crate::state::State;
use crate::{Operation, RequestLog, RequestRecord, admin};

/// Returned to hyper to close the connection without a response (an injected fault, or a broken body).
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped")
    }
}

impl std::error::Error for DropConnection {}

enum Area {
    Admin,
    Entra(EntraRoute),
    Acs(Result<(Operation, Params), Unrouted>),
}

/// Answers `request`; `in_request` marks the connection busy until the answer is handed over.
pub(crate) async fn handle(
    state: Arc<State>,
    bounds: Arc<Bounds>,
    in_request: InRequest,
    request: Request<Incoming>,
) -> Result<HttpResponse, DropConnection> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + bounds.limits.body_timeout;
    let now = SystemTime::now();
    let (parts, mut incoming) = request.into_parts();
    if incoming
        .size_hint()
        .exact()
        .is_some_and(|length| length > bounds.limits.max_body_bytes as u64)
    {
        let mut response = response::error(&AcsError::body_too_large());
        response::finish(
            &mut response,
            &parts.headers,
            started.elapsed(),
            now,
            &state.request_context,
        );
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        in_request.linger_on_close();
        return Ok(response);
    }

    let path = parts.uri.path();
    let area = if path == "/_emulator" || path.starts_with("/_emulator/") {
        Area::Admin
    } else if let Some(route) = entra::entra_route(path) {
        Area::Entra(route)
    } else {
        Area::Acs(acs::route(&parts.method, path))
    };
    let operation = match &area {
        Area::Admin => None,
        Area::Entra(route) => Some(route.operation()),
        Area::Acs(Ok((operation, _))) => Some(*operation),
        Area::Acs(Err(_)) => Some(Operation::Unmatched),
    };

    let decision = match operation {
        Some(operation) => {
            state.requests.count_request(operation);
            state.faults.decide(operation)
        }
        None => Default::default(),
    };
    let faulted = decision.outcome.is_some();
    // Built before the work: if the client hangs up meanwhile (say during an injected latency), hyper
    // drops this future and the guard still logs the counted request, with no status.
    let mut pending = PendingRecord {
        log: &state.requests,
        record: operation
            .filter(|_| state.requests.keeps_records())
            .map(|operation| record(operation, &parts, None, faulted, now)),
    };
    // What the head alone refuses is refused before the body is read (an injected fault comes first, as
    // it would on a complete request).
    let refused = match decision.outcome {
        Some(_) => None,
        None => authenticate_head(&state, &parts, &area, now).err(),
    };
    let (mut response, close) = match refused {
        Some(error) => {
            if !decision.latency.is_zero() {
                tokio::time::sleep(decision.latency).await;
            }
            // A body that is not all here is never read: the answer closes the connection.
            let close = !request_body::drained(&mut incoming);
            (response::error(&error), close)
        }
        None => match request_body::read(incoming, &bounds.limits, &bounds.body_budget, deadline)
            .await
        {
            Err(BodyError::Broken) => return Err(DropConnection),
            Err(BodyError::TooLarge) => (response::error(&AcsError::body_too_large()), true),
            Err(BodyError::TimedOut) => (
                response::error(&AcsError::body_timeout(bounds.limits.body_timeout)),
                true,
            ),
            Ok(body) => {
                if !decision.latency.is_zero() {
                    tokio::time::sleep(decision.latency).await;
                }
                let body = &body.bytes;
                let response = match decision.outcome {
                    Some(Outcome::Drop) => return Err(DropConnection),
                    Some(Outcome::Respond(status, retry_after)) => response::error(
                        &AcsError::injected(status)
                            .with_retry_after(retry_after.map(|r| r.header())),
                    ),
                    None => match area {
                        Area::Admin => admin::serve(&state, &parts, body, now).await,
                        Area::Entra(route) => {
                            entra::serve(&state, &route, &parts.method, body, now)
                        }
                        Area::Acs(routed) => acs::serve(&state, &parts, routed, body, now).await,
                    },
                };
                (response, false)
            }
        },
    };
    response::finish(
        &mut response,
        &parts.headers,
        started.elapsed(),
        now,
        &state.request_context,
    );
    if close {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        in_request.linger_on_close();
    }
    let auth_error = response
        .headers()
        .get(response::AUTH_ERROR)
        .and_then(|v| v.to_str().ok());
    if let Some(reason) = auth_error {
        tracing::info!(method = %parts.method, target = %target_of(&parts), status = response.status().as_u16(), "request rejected: {reason}");
    }
    if let Some(record) = &mut pending.record {
        record.status = Some(response.status().as_u16());
        record.auth_error = auth_error.map(str::to_owned);
    }
    drop(pending);
    tracing::debug!(method = %parts.method, path = parts.uri.path(), status = response.status().as_u16(), "request");
    Ok(response)
}

/// Authentication on the head alone, where the area has any: what the complete request would be refused
/// for, if the head already shows it (the body is checked again once read).
fn authenticate_head(
    state: &State,
    parts: &Parts,
    area: &Area,
    now: SystemTime,
) -> Result<(), AcsError> {
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    match area {
        // The token endpoint's credentials are in its body; discovery and keys are public.
        Area::Entra(_) => Ok(()),
        Area::Admin if admin::is_open(state, parts) => Ok(()),
        Area::Admin => acs::authenticate_head(state, parts, target, now, None),
        Area::Acs(routed) => {
            let audience = routed
                .as_ref()
                .ok()
                .and_then(|(operation, _)| acs::user_audience(*operation));
            acs::authenticate_head(state, parts, target, now, audience)
        }
    }
}

/// Logs its record when dropped, whether the request was answered or abandoned.
struct PendingRecord<'a> {
    log: &'a RequestLog,
    record: Option<RequestRecord>,
}

impl Drop for PendingRecord<'_> {
    fn drop(&mut self) {
        if let Some(record) = self.record.take() {
            self.log.record(record);
        }
    }
}

fn record(
    operation: Operation,
    parts: &Parts,
    status: Option<u16>,
    faulted: bool,
    now: SystemTime,
) -> RequestRecord {
    let header = |headers: &HeaderMap, name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    RequestRecord {
        operation,
        method: parts.method.to_string(),
        target: target_of(parts).to_owned(),
        x_ms_date: header(&parts.headers, "x-ms-date"),
        authorization_fingerprint: parts.headers.get(AUTHORIZATION).map(|value| {
            let digest = Sha256::digest(value.as_bytes());
            digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
        }),
        client_request_id: header(&parts.headers, CLIENT_REQUEST_ID),
        status,
        faulted,
        received_at: now,
        auth_error: None,
    }
}

/// The request-target as received: path and query.
fn target_of(parts: &Parts) -> &str {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |pq| pq.as_str())
}
