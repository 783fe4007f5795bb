//! Building responses with the service's headers.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use http::header::{CONTENT_TYPE, DATE, HeaderName, HeaderValue};
use http::{HeaderMap, Response, StatusCode};
use rand::Rng as _;
use serde::Serialize;

use super::body::ResponseBody;
use crate::acs::AcsError;

pub(crate) type HttpResponse = Response<ResponseBody>;

const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
/// The newer responses' value (older ones said `max-age=2592000`).
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000;includeSubDomains");
const X_CACHE: HeaderValue = HeaderValue::from_static("CONFIG_NOCACHE");
pub(crate) const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

/// `api-supported-versions`: every version the emulator serves, comma and space separated.
static SUPPORTED_VERSIONS: LazyLock<HeaderValue> = LazyLock::new(|| {
    let list = acs_identity_types::ApiVersion::ALL
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    HeaderValue::from_str(&list).unwrap_or(HeaderValue::from_static(""))
});

/// A success with a JSON body: `application/json; charset=utf-8` and a `Content-Length`.
pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => with_type(status, JSON_UTF8, ResponseBody::sized(bytes)),
        Err(_) => error(&AcsError::internal()),
    }
}

/// A `204 No Content`: no body, no `Content-Type`, no `Content-Length`.
pub(crate) fn no_content() -> HttpResponse {
    let mut response = Response::new(ResponseBody::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// An ACS error: `application/json` without charset, sent chunked like the service's.
pub(crate) fn error(error: &AcsError) -> HttpResponse {
    let mut response = with_type(error.status, JSON, ResponseBody::chunked(error.to_json()));
    if let Some((name, value)) = error.retry_after()
        && let Ok(value) = HeaderValue::from_str(value)
    {
        response.headers_mut().insert(*name, value);
    }
    if let Some(reason) = error.auth_error() {
        response
            .headers_mut()
            .insert(AUTH_ERROR, auth_error_value(reason));
    }
    response
}

/// The emulator's own header on authentication failures: why, in detail. The real service never sends it.
pub(crate) const AUTH_ERROR: HeaderName = HeaderName::from_static("x-emulator-auth-error");

/// `reason` as a header value: visible ASCII, anything else escaped (`\n`, `\u{e9}`).
fn auth_error_value(reason: &str) -> HeaderValue {
    let mut text = String::with_capacity(reason.len());
    for c in reason.chars() {
        if c == ' ' || c.is_ascii_graphic() {
            text.push(c);
        } else {
            text.extend(c.escape_default());
        }
    }
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("(unprintable)"))
}

/// A body of some other type (OAuth errors, OpenID documents), sized.
pub(crate) fn with_type(
    status: StatusCode,
    content_type: HeaderValue,
    body: ResponseBody,
) -> HttpResponse {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

/// Adds the headers the service puts on every response. `Date` is the request's arrival (`now`, the clock
/// every timestamp of the answer is taken from), so that `lastTokenIssuedAt` equals it as on the service.
pub(crate) fn finish(
    response: &mut HttpResponse,
    request_headers: &HeaderMap,
    elapsed: Duration,
    now: SystemTime,
    request_context: &HeaderValue,
) {
    let status = response.status();
    let headers = response.headers_mut();
    if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(now)) {
        headers.insert(DATE, date);
    }
    headers.insert("ms-cv", ms_cv());
    headers.insert("strict-transport-security", HSTS);
    if let Ok(value) = HeaderValue::from_str(&format!("{}ms", elapsed.as_millis())) {
        headers.insert("x-processing-time", value);
    }
    // On successes only: the recorded error responses do not carry it.
    if status.is_success() {
        headers.insert("api-supported-versions", SUPPORTED_VERSIONS.clone());
    }
    headers.insert("request-context", request_context.clone());
    headers.insert("x-cache", X_CACHE);
    headers.insert("x-azure-ref", azure_ref());
    if let Some(id) = request_headers.get(CLIENT_REQUEST_ID) {
        headers.insert(CLIENT_REQUEST_ID, id.clone());
    }
}

/// `Request-Context: appId=cid-v1:<guid>`, the Application Insights id of the service; one per emulator.
pub(crate) fn request_context(app_id: uuid::Uuid) -> HeaderValue {
    HeaderValue::from_str(&format!("appId=cid-v1:{app_id}")).unwrap_or(HeaderValue::from_static(
        "appId=cid-v1:00000000-0000-0000-0000-000000000000",
    ))
}

/// `X-Azure-Ref`: the front door's opaque reference, `0` then 79 base64 characters (59 random bytes).
fn azure_ref() -> HeaderValue {
    let mut bytes = [0u8; 59];
    rand::rng().fill_bytes(&mut bytes);
    let mut value = String::with_capacity(80);
    value.push('0');
    STANDARD_NO_PAD.encode_string(bytes, &mut value);
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("0"))
}

/// `MS-CV`: 16 random bytes as 22 base64 characters, then `.0`.
fn ms_cv() -> HeaderValue {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let mut value = STANDARD_NO_PAD.encode(bytes);
    value.push_str(".0");
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("AAAAAAAAAAAAAAAAAAAAAA.0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_cv_has_the_service_shape() {
        let value = ms_cv();
        let value = value.to_str().unwrap();
        assert_eq!(value.len(), 24);
        assert!(value.ends_with(".0"));
    }

    #[test]
    fn no_content_has_no_type() {
        let response = no_content();
        assert_eq!(response.status(), 204);
        assert!(response.headers().get(CONTENT_TYPE).is_none());
    }

    #[test]
    fn errors_are_plain_json() {
        let response = error(&AcsError::identity_not_found());
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(
            response.body().bytes(),
            br#"{"error":{"code":"IdentityNotFound","message":"Provided identity doesn't exist."}}"#
        );
    }
}
