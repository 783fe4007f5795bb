//! Reading request bodies the way ASP.NET binds them: property names case-insensitive, `null` as absent,
//! unknown properties ignored.

use serde_json::{Map, Value};

use super::AcsError;

/// A request's JSON object. An empty body or `null` is an empty object.
#[derive(Debug, Default)]
pub(crate) struct JsonObject(Map<String, Value>);

impl JsonObject {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, AcsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(Value::Null) => Ok(Self::default()),
            _ => Err(AcsError::invalid_body()),
        }
    }

    pub(crate) fn from_map(map: Map<String, Value>) -> Self {
        Self(map)
    }

    /// The property `name` (case-insensitive), `None` when absent or `null`.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    /// A string property; a non-string value is an invalid body.
    pub(crate) fn string(&self, name: &str) -> Result<Option<&str>, AcsError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(AcsError::invalid_body()),
        }
    }

    /// An `int32` property; anything else is an invalid body.
    pub(crate) fn int32(&self, name: &str) -> Result<Option<i64>, AcsError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_i64()
                .filter(|n| i32::try_from(*n).is_ok())
                .map(Some)
                .ok_or_else(AcsError::invalid_body),
        }
    }

    /// An array of strings.
    pub(crate) fn strings(&self, name: &str) -> Result<Option<Vec<String>>, AcsError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(AcsError::invalid_body)
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err(AcsError::invalid_body()),
        }
    }

    /// Every property, for merge-patch bodies keyed by object id.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_like_aspnet() {
        let body =
            JsonObject::parse(br#"{"Scopes": ["chat"], "expiresInMinutes": 60, "customId": null}"#)
                .unwrap();
        assert_eq!(
            body.strings("scopes").unwrap(),
            Some(vec!["chat".to_owned()])
        );
        assert_eq!(body.int32("ExpiresInMinutes").unwrap(), Some(60));
        assert_eq!(body.string("customId").unwrap(), None);
        assert!(JsonObject::parse(b"").unwrap().get("x").is_none());
        assert!(JsonObject::parse(b"null").unwrap().get("x").is_none());
        assert!(JsonObject::parse(b"[1]").is_err());
        assert!(JsonObject::parse(b"{").is_err());
        let body = JsonObject::parse(br#"{"expiresInMinutes": 60.5, "n": 4294967296}"#).unwrap();
        assert!(body.int32("expiresInMinutes").is_err());
        assert!(body.int32("n").is_err());
    }
}
