//! Reading responses: any 2xx is success, anything else the service's error; JSON decoded by name
//! with the failing path kept.

use serde::de::DeserializeOwned;

use crate::Error;
use crate::error::DecodeError;
use crate::service_error::ServiceError;

/// The service's error for a non-2xx response.
pub(crate) fn check_status(response: &http::Response<Vec<u8>>) -> Result<(), Error> {
    if response.status().is_success() {
        return Ok(());
    }
    Err(Error::service(ServiceError::from_response(
        response.status(),
        response.headers(),
        response.body(),
    )))
}

/// A success with nothing to read (204): the body, if any, is ignored.
pub(crate) fn no_content(response: &http::Response<Vec<u8>>) -> Result<(), Error> {
    check_status(response)
}

/// The JSON body of a success, decoded into `T`.
pub(crate) fn json<T: DeserializeOwned>(
    operation: &'static str,
    response: &http::Response<Vec<u8>>,
) -> Result<T, Error> {
    check_status(response)?;
    let body = response.body();
    // Fast path first; the path-tracking decoder runs only to explain a failure.
    serde_json::from_slice(body).map_err(|error| {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(tracked) => (tracked.path().to_string(), tracked.into_inner().to_string()),
            Ok(_) => (".".to_owned(), error.to_string()),
        };
        Error::decode(DecodeError::new(
            operation,
            response.status(),
            path,
            redact_quoted(&message),
            body,
        ))
    })
}

/// A decode error for a field the schema marks optional but the operation needs.
pub(crate) fn missing_field(
    operation: &'static str,
    response: &http::Response<Vec<u8>>,
    field: &str,
) -> Error {
    let message = format!("missing field `{field}`");
    Error::decode(DecodeError::new(
        operation,
        response.status(),
        ".".to_owned(),
        message,
        response.body(),
    ))
}

/// Replaces every `"..."` in a serde message with `[redacted]`: serde quotes the offending input
/// value there (`{:?}`-escaped, so `\"` inside does not end it), and in a success body that value
/// may be a token.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let (mut inside, mut escaped) = (false, false);
    for c in message.chars() {
        match (inside, escaped, c) {
            (false, _, '"') => inside = true,
            (false, _, c) => out.push(c),
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => {
                inside = false;
                out.push_str("[redacted]");
            }
            (true, false, _) => {}
        }
    }
    if inside {
        out.push_str("[redacted]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_quoted_values() {
        let table = [
            (
                "invalid type: string \"eyJ0\", expected u16 at line 1",
                "invalid type: string [redacted], expected u16 at line 1",
            ),
            (
                "missing field `id` at line 1 column 2",
                "missing field `id` at line 1 column 2",
            ),
            ("a \"b\" c \"d\" e", "a [redacted] c [redacted] e"),
            ("unbalanced \"tail", "unbalanced [redacted]"),
            (
                r#"string "a\"b\\" and "c""#,
                "string [redacted] and [redacted]",
            ),
            ("", ""),
        ];
        for (message, expected) in table {
            assert_eq!(redact_quoted(message), expected);
        }
    }
}
