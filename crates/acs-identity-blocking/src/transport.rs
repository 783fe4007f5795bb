//! The ureq adapter: `http::Request<Vec<u8>>` in, `http::Response<Vec<u8>>` out. Nothing else.

use std::io::{ErrorKind as IoErrorKind, Read as _};
use std::time::Duration;

use std::sync::Arc;

use acs_identity_core::{Error, NetworkOptions};

use crate::resolver::CachingResolver;

#[cfg(unix)]
mod tcp;

/// Responses larger than this are cut off as transport errors: ACS answers are a few kilobytes.
const MAX_BODY: u64 = 4 << 20;

/// A shared ureq agent (one connection pool) with redirects off and HTTP error statuses returned as responses.
#[derive(Clone)]
pub(crate) struct Transport {
    agent: ureq::Agent,
    /// Why the [`NetworkOptions`] could not be applied, reported by every call (constructors are infallible).
    invalid: Option<Arc<str>>,
    /// The agent's own per-attempt timeout: a request gets a config of its own only when it needs a shorter one.
    attempt_timeout: Option<Duration>,
}

impl Transport {
    pub(crate) fn new(attempt_timeout: Option<Duration>, network: &NetworkOptions) -> Self {
        let per_host = network.max_idle_connections_per_host.unwrap_or(32);
        let mut invalid = network.check().err();
        let proxy = match network.proxy.as_deref().map(ureq::Proxy::new) {
            None => None,
            Some(Ok(proxy)) => Some(proxy),
            Some(Err(_)) => {
                invalid.get_or_insert_with(|| {
                    format!(
                        "the proxy `{}` is not a URL such as `http://proxy.contoso.com:3128` \
                         (NetworkOptions::proxy)",
                        network.proxy_redacted().unwrap_or_default()
                    )
                });
                None
            }
        };
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // ureq keeps 3 idle connections per host by default: with more threads than that sharing one client,
            // calls would keep opening new TCP connections (measured: one call in five at 16 threads).
            .max_idle_connections(per_host.saturating_mul(2).max(64))
            .max_idle_connections_per_host(per_host)
            .timeout_global(attempt_timeout);
        if proxy.is_some() {
            config = config.proxy(proxy);
        }
        let tls = ureq::tls::TlsConfig::builder();
        #[cfg(feature = "native-tls")]
        let tls = tls.provider(ureq::tls::TlsProvider::NativeTls);
        let tls = if network.root_certificates.is_empty() {
            tls
        } else {
            // ureq trusts either its built-in roots or a given list: the given list is the Mozilla roots (the
            // same set as the default) plus the user's.
            let mozilla = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned());
            let extra = network
                .root_certificates
                .iter()
                .map(|der| ureq::tls::Certificate::from_der(der).to_owned());
            tls.root_certs(ureq::tls::RootCerts::from(mozilla.chain(extra)))
        };
        let config = config.tls_config(tls.build());
        let resolver = CachingResolver::default();
        // Our TCP transport needs Unix system calls (see `transport/tcp.rs`); elsewhere ureq's chain is used as is.
        #[cfg(unix)]
        let connector = tcp::connector();
        #[cfg(not(unix))]
        let connector = ureq::unversioned::transport::DefaultConnector::new();
        let agent = ureq::Agent::with_parts(config.build(), connector, resolver);
        Self {
            agent,
            invalid: invalid.map(Arc::from),
            attempt_timeout,
        }
    }

    /// Sends one request; `timeout` bounds the whole exchange, body included.
    pub(crate) fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Option<Duration>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        if let Some(message) = &self.invalid {
            return Err(Error::invalid_input(message.to_string()));
        }
        let request = if timeout == self.attempt_timeout {
            request
        } else {
            self.agent
                .configure_request(request)
                .timeout_global(timeout)
                .build()
        };
        let classify = |error: ureq::Error| classify(error, timeout);
        let (parts, mut body) = self.agent.run(request).map_err(classify)?.into_parts();
        // Sized from Content-Length up front: one read and no regrowing for the usual small answer.
        let expected = body.content_length().unwrap_or(0).min(MAX_BODY);
        let mut out = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        body.with_config()
            .limit(MAX_BODY)
            .reader()
            .read_to_end(&mut out)
            .map_err(|e| classify(ureq::Error::from(e)))?;
        Ok(http::Response::from_parts(parts, out))
    }
}

/// Maps ureq's failures onto the core's error kinds; only a failed connection surely sent nothing.
fn classify(error: ureq::Error, timeout: Option<Duration>) -> Error {
    match error {
        ureq::Error::Timeout(_) => Error::timeout(timeout.unwrap_or_default()),
        ureq::Error::Io(e) if e.kind() == IoErrorKind::TimedOut => {
            Error::timeout(timeout.unwrap_or_default())
        }
        ureq::Error::Io(e) if e.kind() == IoErrorKind::ConnectionRefused => {
            Error::transport(e, false)
        }
        e
        @ (ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::BadUri(_)) => {
            Error::transport(e, false)
        }
        e => Error::transport(e, true),
    }
}
