//! Sans-IO Entra ID token requests: client secret and workload identity (federated token).

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use crate::EndpointError;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderValue, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The public-cloud Entra ID authority.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/";

/// OAuth 2.0 client-assertion type for a JWT, as workload identity federation uses.
const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Everything but RFC 3986 unreserved characters is encoded, so a tenant id stays one path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An Entra ID authority host, validated and kept with a trailing slash.
#[derive(Clone, PartialEq, Eq)]
struct Authority(String);

impl Authority {
    fn default_authority() -> Self {
        Self(DEFAULT_AUTHORITY.to_owned())
    }

    fn parse(input: &str) -> Result<Self, InvalidAuthorityError> {
        let url = crate::origin::parse(input.trim()).map_err(|e| match e {
            EndpointError::UnsupportedScheme => {
                InvalidAuthorityError("its scheme must be https or http")
            }
            EndpointError::HasUserInfo => {
                InvalidAuthorityError("it must not contain a user name or password")
            }
            EndpointError::InvalidHost => {
                InvalidAuthorityError("its host is not an ASCII domain name or an IP address")
            }
            _ => InvalidAuthorityError("it is not an absolute URL"),
        })?;
        if url.has_query || url.has_fragment {
            return Err(InvalidAuthorityError(
                "it must not have a query or fragment",
            ));
        }
        let mut authority = url.origin();
        authority.push_str(url.path);
        if !authority.ends_with('/') {
            authority.push('/');
        }
        let authority = Self(authority);
        // Refuse here anything the `http` crate would refuse later (it caps URIs at 64 KiB).
        if authority.token_endpoint("organizations").is_none() {
            return Err(InvalidAuthorityError("it is not a valid HTTP URI"));
        }
        Ok(authority)
    }

    /// `{authority}{tenant}/oauth2/v2.0/token`, the tenant percent-encoded as one path segment.
    fn token_endpoint(&self, tenant_id: &str) -> Option<http::Uri> {
        let tenant = utf8_percent_encode(tenant_id, PATH_SEGMENT);
        http::Uri::try_from(format!("{}{tenant}/oauth2/v2.0/token", self.0)).ok()
    }

    /// A form POST to the tenant's token endpoint.
    ///
    /// Only a tenant id too long for a URI (over 64 KiB) leaves the URI empty, which every HTTP client refuses
    /// to send; real tenant ids are a GUID or a domain name.
    fn token_request(&self, tenant_id: &str, form: String) -> http::Request<Vec<u8>> {
        let mut request = http::Request::new(form.into_bytes());
        *request.method_mut() = Method::POST;
        if let Some(uri) = self.token_endpoint(tenant_id) {
            *request.uri_mut() = uri;
        }
        let headers = request.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        request
    }
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Entra ID's client-credentials flow with a client secret, sans-IO: it builds the token request and
/// [`parse_token_response`](crate::parse_token_response) reads the answer; the caller sends it.
///
/// ```
/// use acs_auth::{ClientSecretCredential, COMMUNICATION_SCOPE};
///
/// let credential = ClientSecretCredential::new("my-tenant", "my-client", "my-secret");
/// let request = credential.token_request(&[COMMUNICATION_SCOPE]);
/// assert_eq!(request.uri(), "https://login.microsoftonline.com/my-tenant/oauth2/v2.0/token");
/// assert!(!format!("{credential:?}").contains("my-secret"));
/// ```
#[derive(Clone)]
pub struct ClientSecretCredential {
    tenant_id: String,
    client_id: String,
    client_secret: String,
    authority: Authority,
}

impl ClientSecretCredential {
    /// A credential for an app registration in `tenant_id` (a GUID or domain), against the public cloud.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            authority: Authority::default_authority(),
        }
    }

    /// Uses another authority host, such as `https://login.microsoftonline.us/` for a sovereign cloud, or a
    /// local test server. It must be an absolute http(s) URL with no user info, query or fragment; a path is
    /// kept (and the tenant's path appended to it).
    pub fn with_authority(mut self, authority: &str) -> Result<Self, InvalidAuthorityError> {
        self.authority = Authority::parse(authority)?;
        Ok(self)
    }

    /// The token request: `POST {authority}{tenant}/oauth2/v2.0/token` with the form body
    /// `grant_type=client_credentials&client_id=..&client_secret=..&scope=..` (scopes space-separated),
    /// `Content-Type: application/x-www-form-urlencoded` and `Accept: application/json`.
    ///
    /// The body carries the client secret: do not log it.
    pub fn token_request(&self, scopes: &[&str]) -> http::Request<Vec<u8>> {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", &self.client_secret)
            .append_pair("scope", &scopes.join(" "))
            .finish();
        self.authority.token_request(&self.tenant_id, form)
    }
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("authority", &self.authority)
            .finish()
    }
}

/// Entra ID workload identity federation (as on AKS), sans-IO: the app proves itself with a federated token
/// (a JWT issued by, say, Kubernetes) instead of a secret.
///
/// The caller supplies that assertion on every request: it reads the [`token_file`](Self::token_file), the
/// one named by `AZURE_FEDERATED_TOKEN_FILE` unless another is given (and takes the ids from
/// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and the authority from `AZURE_AUTHORITY_HOST`). Read the file again for
/// each token request, since the platform rotates it, and trim the trailing newline.
///
/// ```
/// use acs_auth::{WorkloadIdentityCredential, COMMUNICATION_SCOPE};
///
/// let credential = WorkloadIdentityCredential::new("my-tenant", "my-client");
/// let request = credential.token_request(&[COMMUNICATION_SCOPE], "eyJhbGciOi.e30.sig");
/// let body = String::from_utf8(request.into_body()).unwrap();
/// assert!(body.contains("client_assertion=eyJhbGciOi.e30.sig"));
/// ```
#[derive(Clone)]
pub struct WorkloadIdentityCredential {
    tenant_id: String,
    client_id: String,
    authority: Authority,
    token_file: Option<PathBuf>,
}

/// The environment variable naming the federated token file of workload identity.
pub const AZURE_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";

impl WorkloadIdentityCredential {
    /// A credential for the app `client_id` in `tenant_id`, against the public cloud.
    pub fn new(tenant_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            authority: Authority::default_authority(),
            token_file: None,
        }
    }

    /// Uses another authority host (the value of `AZURE_AUTHORITY_HOST`, for instance); same rules as
    /// [`ClientSecretCredential::with_authority`].
    pub fn with_authority(mut self, authority: &str) -> Result<Self, InvalidAuthorityError> {
        self.authority = Authority::parse(authority)?;
        Ok(self)
    }

    /// Reads the federated token from `path` rather than from the file named by
    /// [`AZURE_FEDERATED_TOKEN_FILE`] (like `azure_identity`'s `token_file_path` option).
    pub fn with_token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }

    /// The file holding the federated token: the one given to [`with_token_file`](Self::with_token_file),
    /// else `from_env`, the value of [`AZURE_FEDERATED_TOKEN_FILE`] (the caller reads the environment). When
    /// there is neither, an error of kind [`NotFound`](std::io::ErrorKind::NotFound) that says so.
    ///
    /// ```
    /// use acs_auth::WorkloadIdentityCredential;
    ///
    /// let credential = WorkloadIdentityCredential::new("my-tenant", "my-client");
    /// assert_eq!(credential.token_file(Some("/var/run/token".into()))?, std::path::Path::new("/var/run/token"));
    /// assert!(credential.token_file(None).is_err());
    /// let credential = credential.with_token_file("/etc/token");
    /// assert_eq!(credential.token_file(Some("/var/run/token".into()))?, std::path::Path::new("/etc/token"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn token_file(&self, from_env: Option<OsString>) -> Result<PathBuf, std::io::Error> {
        match (&self.token_file, from_env) {
            (Some(path), _) => Ok(path.clone()),
            (None, Some(path)) => Ok(PathBuf::from(path)),
            (None, None) => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{AZURE_FEDERATED_TOKEN_FILE} is not set"),
            )),
        }
    }

    /// The token request: `POST {authority}{tenant}/oauth2/v2.0/token` with the form body
    /// `grant_type=client_credentials&client_id=..&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=..&scope=..`,
    /// `Content-Type: application/x-www-form-urlencoded` and `Accept: application/json`.
    ///
    /// `client_assertion` is the federated token's content. The body carries it: do not log it.
    pub fn token_request(&self, scopes: &[&str], client_assertion: &str) -> http::Request<Vec<u8>> {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_assertion_type", JWT_BEARER_ASSERTION)
            .append_pair("client_assertion", client_assertion)
            .append_pair("scope", &scopes.join(" "))
            .finish();
        self.authority.token_request(&self.tenant_id, form)
    }
}

impl fmt::Debug for WorkloadIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkloadIdentityCredential")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("authority", &self.authority)
            .field("token_file", &self.token_file)
            .finish()
    }
}

/// An authority URL that [`ClientSecretCredential::with_authority`] or
/// [`WorkloadIdentityCredential::with_authority`] refused, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid Entra ID authority: {0}")]
pub struct InvalidAuthorityError(&'static str);
