//! Client settings: what a user chooses, shared by the async and blocking clients.

use std::fmt;
use std::time::Duration;

use acs_identity_types::{ApiVersion, CustomId};

use crate::{CreateUser, RetryOptions};

/// How a `CommunicationIdentityClient` (of `acs-identity` or `acs-identity-blocking`) talks to the service.
///
/// ```
/// use std::time::Duration;
/// use acs_identity_core::{ClientOptions, RetryOptions};
/// use acs_identity_types::ApiVersion;
///
/// let options = ClientOptions::default()
///     .api_version(ApiVersion::V2025_06_30)
///     .retry(RetryOptions::default().max_retries(5))
///     .attempt_timeout(Duration::from_secs(10))
///     .application_id("contoso-app");
/// assert_eq!(options.retry.max_retries, 5);
/// ```
///
/// The fields are public to read; the type is `#[non_exhaustive]` so that settings can be added without a
/// breaking release: start from [`ClientOptions::default`] and set what you need with the builder methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The api-version of every request. Default: the newest preview, `2025-03-02-preview`, the only one
    /// with custom ids and user details. An operation or option the version lacks fails before any I/O
    /// with an error naming the version to use.
    pub api_version: ApiVersion,
    /// When and how often to retry throttled and failed requests; see [`RetryOptions`].
    pub retry: RetryOptions,
    /// The limit on one attempt, from connecting to the last byte of the response. Default: 30 seconds.
    /// The blocking client applies it to each phase of the attempt (connect, send, response head, body)
    /// instead: see its README.
    pub attempt_timeout: Option<Duration>,
    /// The limit on a whole call, retries and their delays included. Default: none, the call is bounded by
    /// [`RetryOptions::max_total`] and the attempt timeout.
    pub timeout: Option<Duration>,
    /// Your application's id, put first in the `User-Agent` to tell your traffic apart: at most 24 visible
    /// ASCII characters, no spaces. An invalid id fails every call with an invalid-input error.
    pub application_id: Option<String>,
    /// How connections are made: proxy, extra trusted roots, pool size; see [`NetworkOptions`].
    pub network: NetworkOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            api_version: ApiVersion::default(),
            retry: RetryOptions::default(),
            attempt_timeout: Some(Duration::from_secs(30)),
            timeout: None,
            application_id: None,
            network: NetworkOptions::default(),
        }
    }
}

impl ClientOptions {
    /// Sets [`api_version`](Self::api_version).
    #[must_use]
    pub fn api_version(mut self, api_version: ApiVersion) -> Self {
        self.api_version = api_version;
        self
    }

    /// Sets [`retry`](Self::retry).
    #[must_use]
    pub fn retry(mut self, retry: RetryOptions) -> Self {
        self.retry = retry;
        self
    }

    /// Sets [`attempt_timeout`](Self::attempt_timeout): a `Duration`, or `None` for no per-attempt limit.
    #[must_use]
    pub fn attempt_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.attempt_timeout = timeout.into();
        self
    }

    /// Sets [`timeout`](Self::timeout): a `Duration`, or `None` for no limit on the whole call.
    #[must_use]
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Sets [`application_id`](Self::application_id).
    #[must_use]
    pub fn application_id(mut self, application_id: impl Into<String>) -> Self {
        self.application_id = Some(application_id.into());
        self
    }

    /// Sets [`network`](Self::network).
    #[must_use]
    pub fn network(mut self, network: NetworkOptions) -> Self {
        self.network = network;
        self
    }
}

/// Network settings of a client, the same for the async (reqwest) and blocking (ureq) clients.
///
/// ```
/// use acs_identity_core::{ClientOptions, NetworkOptions};
///
/// # let corporate_root_der: Vec<u8> = Vec::new();
/// let options = ClientOptions::default().network(
///     NetworkOptions::default()
///         .proxy("http://proxy.contoso.com:3128")
///         .root_certificate(corporate_root_der),
/// );
/// # let _ = options;
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetworkOptions {
    /// An HTTP proxy for every request, `http://host:port` (credentials as `http://user:password@host:port`;
    /// they are never logged). Default: none set here, so the client follows the `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY` environment variables. A proxy that does not parse fails every call with an
    /// invalid-input error.
    pub proxy: Option<String>,
    /// Root certificates (DER) trusted in addition to the built-in Mozilla roots, e.g. a corporate TLS
    /// inspection proxy's. With the `native-tls` feature they are added to the platform's trust store.
    /// One that does not parse fails every call with an invalid-input error.
    pub root_certificates: Vec<Vec<u8>>,
    /// How many idle connections are kept open per host for reuse. Default (`None`): the client's own default
    /// (32 for the blocking client, unbounded for the async one).
    pub max_idle_connections_per_host: Option<usize>,
}

impl NetworkOptions {
    /// Sets [`proxy`](Self::proxy).
    #[must_use]
    pub fn proxy(mut self, proxy: impl Into<String>) -> Self {
        self.proxy = Some(proxy.into());
        self
    }

    /// Adds one DER certificate to [`root_certificates`](Self::root_certificates).
    #[must_use]
    pub fn root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(der.into());
        self
    }

    /// Sets [`max_idle_connections_per_host`](Self::max_idle_connections_per_host).
    #[must_use]
    pub fn max_idle_connections_per_host(mut self, max: usize) -> Self {
        self.max_idle_connections_per_host = Some(max);
        self
    }

    /// The proxy with any `user:password@` replaced by `[redacted]@`, for logs and `Debug`.
    pub fn proxy_redacted(&self) -> Option<String> {
        let proxy = self.proxy.as_deref()?;
        let start = proxy.find("://").map_or(0, |i| i + 3);
        let authority_end = proxy[start..].find('/').map_or(proxy.len(), |i| start + i);
        Some(match proxy[start..authority_end].rfind('@') {
            Some(at) => format!("{}[redacted]{}", &proxy[..start], &proxy[start + at..]),
            None => proxy.to_owned(),
        })
    }
}

impl NetworkOptions {
    /// Checks what can be checked without a TLS library: each root certificate is one DER `SEQUENCE` whose
    /// length covers the bytes exactly (a PEM file passed by mistake fails here). The message says what to do.
    pub fn check(&self) -> Result<(), String> {
        for (i, der) in self.root_certificates.iter().enumerate() {
            if !is_der_sequence(der) {
                return Err(Self::invalid_root_certificate(i));
            }
        }
        Ok(())
    }

    /// The message for root certificate `index`, which the TLS library could not read.
    pub fn invalid_root_certificate(index: usize) -> String {
        format!(
            "root certificate {index} of NetworkOptions::root_certificates is not a DER X.509 certificate \
             (convert a PEM file with `openssl x509 -outform der`)"
        )
    }

    /// The message for a proxy the HTTP library could not read, naming it with its credentials redacted (the
    /// library's own error would echo them).
    pub fn invalid_proxy(&self) -> String {
        format!(
            "the proxy `{}` is not a URL such as `http://proxy.contoso.com:3128` (NetworkOptions::proxy)",
            self.proxy_redacted().unwrap_or_default()
        )
    }
}

/// Whether `bytes` is exactly one DER `SEQUENCE` (tag 0x30, definite length).
fn is_der_sequence(bytes: &[u8]) -> bool {
    let [0x30, first, rest @ ..] = bytes else {
        return false;
    };
    let (length, content) = match *first {
        n @ 0..=0x7f => (usize::from(n), rest),
        n @ 0x81..=0x84 => {
            let count = usize::from(n - 0x80);
            let Some((length, content)) = rest.split_at_checked(count) else {
                return false;
            };
            let length = length
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (length, content)
        }
        _ => return false,
    };
    content.len() == length
}

impl fmt::Debug for NetworkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkOptions")
            .field("proxy", &self.proxy_redacted())
            .field("root_certificates", &self.root_certificates.len())
            .field(
                "max_idle_connections_per_host",
                &self.max_idle_connections_per_host,
            )
            .finish()
    }
}

/// Optional inputs of the clients' `create_user_with_options`: `CreateUserOptions::default().custom_id(id)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateUserOptions {
    /// Your own id for the user (api-version `2025-03-02-preview`). Creating a user with a custom id that
    /// already exists returns the existing user, so such a create is safe to retry.
    pub custom_id: Option<CustomId>,
}

impl CreateUserOptions {
    /// Sets [`custom_id`](Self::custom_id).
    #[must_use]
    pub fn custom_id(mut self, custom_id: CustomId) -> Self {
        self.custom_id = Some(custom_id);
        self
    }
}

impl From<CreateUserOptions> for CreateUser {
    fn from(options: CreateUserOptions) -> Self {
        Self {
            custom_id: options.custom_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NetworkOptions;

    #[test]
    fn proxy_credentials_never_print() {
        let options = NetworkOptions {
            proxy: Some("http://alice:s3cret@proxy.example:3128/".to_owned()),
            ..Default::default()
        };
        let debug = format!("{options:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("alice"),
            "{debug}"
        );
        assert!(
            debug.contains("http://[redacted]@proxy.example:3128/"),
            "{debug}"
        );
        let plain = NetworkOptions {
            proxy: Some("http://proxy.example:3128".to_owned()),
            ..Default::default()
        };
        assert_eq!(
            plain.proxy_redacted().as_deref(),
            Some("http://proxy.example:3128")
        );
    }

    #[test]
    fn root_certificates_must_be_der() {
        let with = |der: Vec<u8>| NetworkOptions {
            root_certificates: vec![der],
            ..Default::default()
        };
        assert!(with(vec![0x30, 0x03, 1, 2, 3]).check().is_ok());
        let mut long = vec![0x30, 0x82, 0x01, 0x00];
        long.resize(4 + 256, 0);
        assert!(with(long).check().is_ok());
        let pem = b"-----BEGIN CERTIFICATE-----\nMIIB...".to_vec();
        let error = with(pem).check().unwrap_err();
        assert!(error.contains("openssl x509 -outform der"), "{error}");
        assert!(with(vec![0x30, 0x05, 1]).check().is_err());
        assert!(with(vec![]).check().is_err());
    }
}
