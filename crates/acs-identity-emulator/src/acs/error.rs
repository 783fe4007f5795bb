//! The ACS error body, `{"error":{"code","message"[,"target"][,"innererror"]}}`, and every error the
//! emulator answers with.

use std::borrow::Cow;

use http::StatusCode;
use serde::Serialize;

/// An error response of the ACS routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AcsError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: Cow<'static, str>,
    pub(crate) target: Option<&'static str>,
    /// What few errors carry besides, boxed to keep the common error small.
    pub(crate) extra: Option<Box<Extra>>,
}

/// The rarer parts of an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Extra {
    /// A more specific reason, used for authentication failures so that a developer can see why.
    pub(crate) inner: Option<(&'static str, &'static str)>,
    /// `Retry-After`-style header of throttling responses.
    pub(crate) retry_after: Option<(&'static str, String)>,
    /// Why authentication failed, in detail (`x-emulator-auth-error`): never a signature, key or token.
    pub(crate) auth_error: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    innererror: Option<Inner<'a>>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl AcsError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            target: None,
            extra: None,
        }
    }

    /// Adds a retry hint header.
    pub(crate) fn with_retry_after(mut self, header: Option<(&'static str, String)>) -> Self {
        self.extra.get_or_insert_default().retry_after = header;
        self
    }

    /// Adds the detailed reason of an authentication failure (`x-emulator-auth-error`).
    pub(crate) fn with_auth_error(mut self, reason: String) -> Self {
        self.extra.get_or_insert_default().auth_error = Some(reason);
        self
    }

    pub(crate) fn auth_error(&self) -> Option<&str> {
        self.extra.as_ref()?.auth_error.as_deref()
    }

    pub(crate) fn retry_after(&self) -> Option<&(&'static str, String)> {
        self.extra.as_ref()?.retry_after.as_ref()
    }

    pub(crate) fn with_target(mut self, target: &'static str) -> Self {
        self.target = Some(target);
        self
    }

    pub(crate) fn validation(message: impl Into<Cow<'static, str>>, target: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message).with_target(target)
    }

    /// The JSON body.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let body = Envelope {
            error: Body {
                code: self.code,
                message: &self.message,
                target: self.target,
                innererror: self
                    .extra
                    .as_ref()
                    .and_then(|e| e.inner)
                    .map(|(code, message)| Inner { code, message }),
            },
        };
        serde_json::to_vec(&body).unwrap_or_default()
    }

    // The rows of SERVICE.md, verbatim.

    pub(crate) fn expires_in_minutes(value: i64) -> Self {
        Self::validation(
            format!(
                "ExpiresInMinutes value {value} is invalid. Value must be within the [60, 1440] interval."
            ),
            "ExpiresInMinutes",
        )
    }

    pub(crate) fn empty_scopes() -> Self {
        Self::validation("Invalid scopes - Scopes field is required.", "scopes")
    }

    pub(crate) fn missing_scopes() -> Self {
        Self::validation("Scopes: The Scopes field is required.", "Scopes")
    }

    pub(crate) fn identity_not_owned() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "IdentityNotOwned",
            "Provided identity doesn't belong to the resource.",
        )
    }

    pub(crate) fn invalid_access_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAccessToken",
            "Provided access token is not valid.",
        )
    }

    pub(crate) fn unsupported_api_version(uri: &str, version: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "UnsupportedApiVersion",
            format!(
                "The HTTP resource that matches the request URI '{uri}' does not support the API version '{version}'."
            ),
        )
    }

    // The emulator's decisions for cases nobody recorded (see the README's table).

    pub(crate) fn legacy_api_version(version: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "UnsupportedApiVersion",
            format!(
                "The emulator does not serve the pre-GA API version '{version}' (POST /identities/{{id}}/token, PATCH /identities/{{id}}); use 2021-03-07 or later."
            ),
        )
    }

    pub(crate) fn identity_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "IdentityNotFound",
            "Provided identity doesn't exist.",
        )
    }

    pub(crate) fn malformed_identity() -> Self {
        Self::validation("Provided identity has invalid format.", "id")
    }

    pub(crate) fn unknown_scope(target: &'static str) -> Self {
        Self::validation("Invalid scopes - Provided scope is not supported.", target)
    }

    pub(crate) fn invalid_custom_id() -> Self {
        Self::validation(
            "CustomId: The field CustomId must be a string with a minimum length of 1 and a maximum length of 256.",
            "CustomId",
        )
    }

    pub(crate) fn invalid_body() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestBody",
            "The request body is not valid JSON for this operation.",
        )
    }

    pub(crate) fn body_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestBodyTooLarge",
            "The request body is too large.",
        )
    }

    /// The body did not arrive within the server's deadline (`body_timeout`).
    pub(crate) fn body_timeout(limit: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "RequestTimeout",
            match limit.subsec_millis() {
                0 => format!(
                    "The request body was not received within {} seconds.",
                    limit.as_secs()
                ),
                _ => format!(
                    "The request body was not received within {} milliseconds.",
                    limit.as_millis()
                ),
            },
        )
    }

    pub(crate) fn api_version_unspecified() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "ApiVersionUnspecified",
            "An API version is required, but was not specified.",
        )
    }

    pub(crate) fn denied(reason: &'static str, detail: &'static str) -> Self {
        let mut error = Self::new(
            StatusCode::UNAUTHORIZED,
            "Denied",
            "Denied by the resource provider.",
        );
        error.extra = Some(Box::new(Extra {
            inner: Some((reason, detail)),
            ..Extra::default()
        }));
        error
    }

    pub(crate) fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource was not found.",
        )
    }

    pub(crate) fn method_not_allowed(method: &http::Method) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{method}'."),
        )
    }

    pub(crate) fn assignment_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "AssignmentNotFound",
            "The requested assignment doesn't exist.",
        )
    }

    pub(crate) fn not_assigned() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "AssignmentNotFound",
            "The user has no assignment that allows this token exchange on the resource.",
        )
    }

    pub(crate) fn client_not_allowed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "ApplicationNotAllowed",
            "The application is not allowed by the user's assignment on the resource.",
        )
    }

    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "The emulator failed to process the request.",
        )
    }

    /// An injected fault's response.
    pub(crate) fn injected(status: StatusCode) -> Self {
        let (code, message) = match status.as_u16() {
            408 => ("RequestTimeout", "The request timed out."),
            429 => ("TooManyRequests", "Too many requests. Please retry later."),
            500 => ("InternalServerError", "An internal server error occurred."),
            502 => ("BadGateway", "Bad gateway."),
            503 => (
                "ServiceUnavailable",
                "The service is temporarily unavailable. Please retry later.",
            ),
            504 => ("GatewayTimeout", "The gateway timed out."),
            _ => ("InjectedFault", "An injected fault."),
        };
        Self::new(status, code, message)
    }
}
