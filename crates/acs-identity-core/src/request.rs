//! Building requests: `<endpoint><path>?api-version=<v>`, percent-encoded path segments, the
//! common headers and compact JSON bodies.

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::{Error, ServiceConfig};

/// Everything but the unreserved characters of RFC 3986 is encoded, as the official SDKs do
/// (`8:acs:...` becomes `8%3Aacs%3A...`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const MERGE_PATCH_JSON: HeaderValue = HeaderValue::from_static("application/merge-patch+json");

/// A request under construction: its target and the service it is for.
pub(crate) struct RequestTarget<'a> {
    service: &'a ServiceConfig,
    uri: String,
    /// Set when a next link brought its own query.
    query: Option<Query>,
}

/// What a next link's query held.
enum Query {
    WithApiVersion,
    WithoutApiVersion,
}

impl<'a> RequestTarget<'a> {
    pub(crate) fn new(service: &'a ServiceConfig) -> Self {
        let mut uri = String::with_capacity(service.endpoint.as_str().len() + 160);
        uri.push_str(service.endpoint.as_str());
        Self {
            service,
            uri,
            query: None,
        }
    }

    /// Appends a fixed part of the path, e.g. `/identities/`.
    pub(crate) fn literal(mut self, path: &str) -> Self {
        self.uri.push_str(path);
        self
    }

    /// Appends a caller-supplied path segment, percent-encoded. `what` names it in errors.
    pub(crate) fn segment(mut self, what: &str, value: &str) -> Result<Self, Error> {
        // `.` and `..` would be resolved away by URL normalizing clients.
        if value.is_empty() || value == "." || value == ".." {
            return Err(Error::invalid_input(format!(
                "the {what} must not be empty, `.` or `..`"
            )));
        }
        self.uri.extend(utf8_percent_encode(value, SEGMENT));
        Ok(self)
    }

    /// A request without a body.
    pub(crate) fn empty(self, method: Method) -> Result<http::Request<Vec<u8>>, Error> {
        self.finish(method, None, Vec::new())
    }

    /// A request with a compact `application/json` body.
    pub(crate) fn json(
        self,
        method: Method,
        body: &impl Serialize,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let body = to_json(body)?;
        self.finish(method, Some(APPLICATION_JSON), body)
    }

    /// A request with a compact `application/merge-patch+json` body.
    pub(crate) fn merge_patch(
        self,
        body: &impl Serialize,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let body = to_json(body)?;
        self.finish(Method::PATCH, Some(MERGE_PATCH_JSON), body)
    }

    /// Appends an already encoded path and query (a next link) as is. The configured
    /// api-version is added only if the query has none.
    pub(crate) fn path_and_query(mut self, target: &http::uri::PathAndQuery) -> Self {
        self.uri.push_str(target.as_str());
        self.query = target.query().map(|query| {
            let has_version = query
                .split('&')
                .any(|pair| pair.starts_with("api-version="));
            if has_version {
                Query::WithApiVersion
            } else {
                Query::WithoutApiVersion
            }
        });
        self
    }

    fn finish(
        mut self,
        method: Method,
        content_type: Option<HeaderValue>,
        body: Vec<u8>,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let separator = match self.query {
            None => Some('?'),
            Some(Query::WithoutApiVersion) => Some('&'),
            Some(Query::WithApiVersion) => None,
        };
        if let Some(separator) = separator {
            self.uri.push(separator);
            self.uri.push_str("api-version=");
            self.uri.push_str(self.service.api_version.as_str());
        }
        let uri = http::Uri::try_from(self.uri).map_err(|error| {
            Error::invalid_input(format!("the request target is not a valid URI: {error}"))
        })?;
        let mut request = http::Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        // Room for what the frontends add (request id, date, content hash, authorization) without a rehash.
        headers.reserve(8);
        headers.insert(ACCEPT, APPLICATION_JSON);
        headers.insert(USER_AGENT, self.service.user_agent.clone());
        if let Some(content_type) = content_type {
            headers.insert(CONTENT_TYPE, content_type);
        }
        Ok(request)
    }
}

/// Puts the user's own Entra token on a token exchange request.
pub(crate) fn with_bearer(
    mut request: http::Request<Vec<u8>>,
    token: &str,
) -> Result<http::Request<Vec<u8>>, Error> {
    let value = acs_auth::bearer_header_value(token)
        .map_err(|_| Error::invalid_input("the Entra token is not valid header text"))?;
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(request)
}

fn to_json(body: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body).map_err(|error| {
        Error::invalid_input(format!("the request body cannot be serialized: {error}"))
    })
}
