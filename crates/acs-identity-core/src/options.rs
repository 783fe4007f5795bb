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
/// let options = ClientOptions {
///     api_version: ApiVersion::V2025_06_30,
///     retry: RetryOptions { max_retries: 5, ..Default::default() },
///     attempt_timeout: Some(Duration::from_secs(10)),
///     application_id: Some("contoso-app".to_owned()),
///     ..Default::default()
/// };
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// The api-version of every request. Default: the newest preview, `2025-03-02-preview`, the only one
    /// with custom ids and user details. An operation or option the version lacks fails before any I/O
    /// with an error naming the version to use.
    pub api_version: ApiVersion,
    /// When and how often to retry throttled and failed requests; see [`RetryOptions`].
    pub retry: RetryOptions,
    /// The limit on one attempt, from connecting to the last byte of the response. Default: 30 seconds.
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

/// Network settings of a client, the same for the async (reqwest) and blocking (ureq) clients.
///
/// ```
/// use acs_identity_core::{ClientOptions, NetworkOptions};
///
/// # let corporate_root_der: Vec<u8> = Vec::new();
/// let options = ClientOptions {
///     network: NetworkOptions {
///         proxy: Some("http://proxy.contoso.com:3128".to_owned()),
///         root_certificates: vec![corporate_root_der],
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// # let _ = options;
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
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
                return Err(format!(
                    "root certificate {i} of NetworkOptions::root_certificates is not a DER X.509 \
                     certificate (convert a PEM file with `openssl x509 -outform der`)"
                ));
            }
        }
        Ok(())
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

/// Optional inputs of the clients' `create_user_with_options`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateUserOptions {
    /// Your own id for the user (api-version `2025-03-02-preview`). Creating a user with a custom id that
    /// already exists returns the existing user, so such a create is safe to retry.
    pub custom_id: Option<CustomId>,
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
