//! What a command prints: named fields, as text lines or one JSON object.

use std::io::Write;

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::args::Format;

/// A time in RFC 3339 in UTC, to the second (`2026-12-03T09:00:00Z`): one format for every command, as the
/// examples print them.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// A command's result: fields in order (JSON keys in camelCase, as the service spells them), and possibly a
/// token.
#[derive(Debug, Default)]
pub(crate) struct Record {
    fields: Vec<(&'static str, Value)>,
    token: Option<String>,
}

impl Record {
    pub(crate) fn field(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.fields.push((key, value.into()));
        self
    }

    pub(crate) fn time(self, key: &'static str, at: Option<OffsetDateTime>) -> Self {
        let value = at.map(rfc3339);
        self.field(key, value)
    }

    /// The token: the `token` field in JSON, the last line alone in text, so that `tail -n 1` gets it.
    pub(crate) fn token(mut self, token: String) -> Self {
        self.token = Some(token);
        self
    }

    pub(crate) fn write(self, format: Format, out: &mut impl Write) -> std::io::Result<()> {
        match format {
            Format::Json => {
                let mut object: Map<String, Value> = self
                    .fields
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), value))
                    .collect();
                if let Some(token) = self.token {
                    object.insert("token".to_owned(), Value::String(token));
                }
                let text = serde_json::to_string_pretty(&Value::Object(object))
                    .map_err(std::io::Error::other)?;
                writeln!(out, "{text}")
            }
            Format::Text => {
                for (key, value) in &self.fields {
                    writeln!(out, "{}: {}", label(key), text(value))?;
                }
                match &self.token {
                    Some(token) => writeln!(out, "{token}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// `lastTokenIssuedAt` -> `last token issued at`.
fn label(key: &str) -> String {
    let mut label = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            label.push(' ');
            label.push(c.to_ascii_lowercase());
        } else {
            label.push(c);
        }
    }
    label
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        Value::String(text) => text.clone(),
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(record: Record, format: Format) -> String {
        let mut out = Vec::new();
        record.write(format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn sample() -> Record {
        Record::default()
            .field("userId", "8:acs:r_u")
            .field("scopes", vec!["chat", "voip"])
            .field("customId", None::<String>)
            .token("eyJ.token".to_owned())
    }

    #[test]
    fn text_is_one_line_per_field_and_the_token_last() {
        assert_eq!(
            render(sample(), Format::Text),
            "user id: 8:acs:r_u\nscopes: chat, voip\ncustom id: (none)\neyJ.token\n"
        );
    }

    #[test]
    fn json_is_one_object_with_the_token() {
        let value: Value = serde_json::from_str(&render(sample(), Format::Json)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"userId": "8:acs:r_u", "scopes": ["chat", "voip"], "customId": null, "token": "eyJ.token"})
        );
    }

    #[test]
    fn times_are_rfc3339_in_utc_to_the_second() {
        let at = time::macros::datetime!(2026-12-03 10:00:00.8083676 +01:00);
        assert_eq!(rfc3339(at), "2026-12-03T09:00:00Z");
        assert_eq!(
            rfc3339(time::macros::datetime!(2026-12-03 09:00:00 UTC)),
            "2026-12-03T09:00:00Z"
        );
    }
}
