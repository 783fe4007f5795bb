//! What a frontend may log of a request or response: an allow-list of headers, every other value
//! `[redacted]`, never a body.

use std::fmt;

use http::HeaderMap;

/// Azure's loggable headers: ids, sizes, types, dates and retry hints. Anything else may carry a secret
/// (`Authorization`, `x-ms-content-sha256` hints at the body) and is redacted.
const LOGGABLE: &[&str] = &[
    "accept",
    "api-supported-versions",
    "cache-control",
    "connection",
    "content-length",
    "content-type",
    "date",
    "ms-cv",
    "request-context",
    "request-id",
    "retry-after",
    "retry-after-ms",
    "server",
    "strict-transport-security",
    "traceparent",
    "transfer-encoding",
    "user-agent",
    "x-azure-ref",
    "x-cache",
    "x-ms-client-request-id",
    "x-ms-date",
    "x-ms-request-id",
    "x-ms-retry-after-ms",
    "x-ms-return-client-request-id",
    "x-processing-time",
];

/// Headers as `{name: value, ...}` with every value outside Azure's allow-list of loggable headers shown
/// as `[redacted]`. Lazy: nothing is formatted unless a log event is recorded, e.g.
/// `tracing::debug!(headers = %LoggedHeaders(request.headers()))`.
///
/// ```
/// use acs_identity_core::LoggedHeaders;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("authorization", http::HeaderValue::from_static("Bearer secret"));
/// headers.insert("x-ms-client-request-id", http::HeaderValue::from_static("0f6e2d1c"));
/// assert_eq!(
///     LoggedHeaders(&headers).to_string(),
///     r#"{"authorization": [redacted], "x-ms-client-request-id": "0f6e2d1c"}"#
/// );
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LoggedHeaders<'a>(pub &'a HeaderMap);

impl fmt::Display for LoggedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            // Header names are stored lowercase, so the comparison is exact.
            match value.to_str() {
                Ok(value) if is_loggable(name.as_str()) && !value.is_empty() => {
                    map.entry(&name.as_str(), &value)
                }
                _ => map.entry(&name.as_str(), &format_args!("[redacted]")),
            };
        }
        map.finish()
    }
}

/// Whether the value of the header `name` (lowercase) may be logged.
pub(crate) fn is_loggable(name: &str) -> bool {
    LOGGABLE.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allow_listed_values_are_shown() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            "HMAC-SHA256 SignedHeaders=x&Signature=c2VjcmV0"
                .parse()
                .unwrap(),
        );
        headers.insert(
            "x-ms-content-sha256",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
                .parse()
                .unwrap(),
        );
        headers.insert("x-ms-client-request-id", "0f6e2d1c".parse().unwrap());
        headers.insert("Retry-After", "1".parse().unwrap());
        let shown = LoggedHeaders(&headers).to_string();
        assert_eq!(
            shown,
            r#"{"authorization": [redacted], "x-ms-content-sha256": [redacted], "x-ms-client-request-id": "0f6e2d1c", "retry-after": "1"}"#
        );
    }
}
