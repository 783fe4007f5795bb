//! Every refusal is JSON `{"error":{"code","message"}}` with a status that says whose move it is.

use std::time::Duration;

use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::oidc::SignInError;
use crate::policy::PolicyError;
use crate::rate_limit::retry_after_seconds;

/// An answer other than success. Its message is written for the caller and never holds a secret.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<Duration>,
    www_authenticate: Option<&'static str>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
            www_authenticate: None,
        }
    }

    pub(crate) fn throttled(wait: Duration, whose: &str) -> Self {
        Self {
            retry_after: Some(wait),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                format!(
                    "too many requests from this {whose}; try again in {} s",
                    retry_after_seconds(wait)
                ),
            )
        }
    }

    /// The shared store is out of reach and the rate limits fail closed (`redis.rate_limit_fail`).
    pub(crate) fn rate_limit_unavailable() -> Self {
        Self {
            retry_after: Some(Duration::from_secs(1)),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "rate_limit_unavailable",
                "the service cannot count requests right now; try again shortly",
            )
        }
    }

    /// ACS did it, but the cached tokens of the caller could not be dropped everywhere.
    pub(crate) fn cache_unavailable() -> Self {
        Self {
            retry_after: Some(Duration::from_secs(1)),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "cache_unavailable",
                "done at the communication service, but the shared token cache could not be cleared yet; send the same request again",
            )
        }
    }

    pub(crate) fn invalid_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_body", message)
    }

    pub(crate) fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such route: see the service's README for its routes",
        )
    }

    /// ACS failed or could not be reached. What ACS said is logged, not passed on.
    pub(crate) fn upstream(error: &acs_identity::Error) -> Self {
        if error.kind() == acs_identity::ErrorKind::Timeout {
            Self::new(
                StatusCode::GATEWAY_TIMEOUT,
                "acs_timeout",
                "the communication service did not answer in time; try again",
            )
        } else {
            Self::new(
                StatusCode::BAD_GATEWAY,
                "acs_unavailable",
                "the communication service failed or could not be reached; try again",
            )
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(error: SignInError) -> Self {
        let status = error.status();
        let mut api = Self::new(status, error.code(), error.to_string());
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750: say that a bearer token is wanted, and that this one is not good.
            api.www_authenticate = Some(match error {
                SignInError::Missing => "Bearer",
                _ => "Bearer error=\"invalid_token\"",
            });
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            api.retry_after = Some(Duration::from_secs(5));
        }
        api
    }
}

impl From<PolicyError> for ApiError {
    fn from(error: PolicyError) -> Self {
        let status = match error {
            PolicyError::NoScopes => StatusCode::BAD_REQUEST,
            _ => StatusCode::FORBIDDEN,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(wait) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_seconds(wait)));
        }
        if let Some(challenge) = self.www_authenticate {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        response
    }
}
