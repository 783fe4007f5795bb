//! The ureq adapter: `http::Request<Vec<u8>>` in, `http::Response<Vec<u8>>` out. Nothing else.

use std::io::{ErrorKind as IoErrorKind, Read as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use acs_identity_core::{ClientOptions, Error};

/// `$timeout` on each phase of an exchange (connect, send, wait for the response, read its body) rather than as
/// ureq's global timeout: with a global (or per-call) timeout set, ureq resolves the host on a new thread for
/// every request, pooled connection or not, to bound the lookup (measured: a thread and 30 system calls per
/// call instead of 3). Resolution is then bounded by the system resolver's own timeouts, and an attempt by
/// the sum of its phases (see RELIABILITY.md).
macro_rules! phase_timeouts {
    ($config:expr, $timeout:expr) => {{
        let timeout = $timeout;
        $config
            .timeout_connect(timeout)
            .timeout_send_request(timeout)
            .timeout_send_body(timeout)
            .timeout_recv_response(timeout)
            .timeout_recv_body(timeout)
    }};
}

/// Responses larger than this are cut off as transport errors: ACS answers are a few kilobytes.
const MAX_BODY: u64 = 4 << 20;

/// A shared ureq agent (one connection pool) with redirects off and HTTP error statuses returned as responses.
#[derive(Clone)]
pub(crate) struct Transport {
    agent: ureq::Agent,
    /// Why the [`NetworkOptions`](crate::NetworkOptions) could not be applied, reported by every call (constructors are infallible).
    invalid: Option<Arc<str>>,
    /// The agent's own per-attempt timeout: a request gets a config of its own only when it needs a shorter one.
    attempt_timeout: Option<Duration>,
}

impl Transport {
    pub(crate) fn new(options: &ClientOptions) -> Self {
        let (attempt_timeout, network) = (options.attempt_timeout, &options.network);
        warn_if_wire_dumps_are_on();
        let per_host = network.max_idle_connections_per_host.unwrap_or(32);
        let mut invalid = network.check().err();
        let proxy = match network.proxy.as_deref().map(ureq::Proxy::new) {
            None => None,
            Some(Ok(proxy)) => Some(proxy),
            Some(Err(_)) => {
                invalid.get_or_insert_with(|| network.invalid_proxy());
                None
            }
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // ureq keeps 3 idle connections per host by default: with more threads than that sharing one client,
            // calls would keep opening new TCP connections (measured: one call in five at 16 threads).
            .max_idle_connections(per_host.saturating_mul(2).max(64))
            .max_idle_connections_per_host(per_host);
        let mut config = phase_timeouts!(config, attempt_timeout);
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
        let agent = ureq::Agent::new_with_config(config.tls_config(tls.build()).build());
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
            let config = self.agent.configure_request(request);
            phase_timeouts!(config, timeout).build()
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

/// ureq's protocol crate logs every byte it sends and receives as a hex dump at TRACE, through the `log` crate,
/// and no configuration turns that off: the request signature and every token received are in it. A library
/// cannot filter another crate's log records, so the blocking client says so, once per process, when a client
/// is made while such records would be kept.
fn warn_if_wire_dumps_are_on() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if log::log_enabled!(target: "ureq_proto::util", log::Level::Trace)
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(
            "TRACE is on for ureq_proto: it logs a hex dump of every byte acs-identity-blocking sends and \
             receives, request signatures and access tokens included; cap it, e.g. RUST_LOG=trace,ureq_proto=debug"
        );
    }
}

/// Maps ureq's failures onto the core's error kinds. A failure to resolve the host, connect, reach a proxy or
/// complete the TLS handshake happened before any byte of the request left: the call may retry it even for a
/// create. Anything else may have reached the service.
fn classify(error: ureq::Error, timeout: Option<Duration>) -> Error {
    match error {
        ureq::Error::Timeout(_) => Error::timeout(timeout.unwrap_or_default()),
        ureq::Error::Io(e) if e.kind() == IoErrorKind::TimedOut => {
            Error::timeout(timeout.unwrap_or_default())
        }
        ureq::Error::Io(e) => {
            let not_sent = before_sending(&e);
            Error::transport(e, !not_sent)
        }
        #[cfg(feature = "rustls")]
        ureq::Error::Rustls(e) => {
            let not_sent = is_handshake_failure(&e);
            Error::transport(e, !not_sent)
        }
        e @ (ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::BadUri(_)
        | ureq::Error::InvalidProxyUrl
        | ureq::Error::ConnectProxyFailed(_)
        | ureq::Error::Tls(_)
        | ureq::Error::TlsRequired) => Error::transport(e, false),
        e => Error::transport(e, true),
    }
}

/// Whether an I/O error comes from the connect phase: the resolver (std's `lookup_host` reports a failure as
/// an uncategorized error with this message), the TCP connect, or the TLS handshake ureq completes while
/// connecting.
fn before_sending(error: &std::io::Error) -> bool {
    use IoErrorKind::{
        AddrInUse, AddrNotAvailable, ConnectionRefused, HostUnreachable, NetworkDown,
        NetworkUnreachable,
    };
    if matches!(
        error.kind(),
        ConnectionRefused
            | HostUnreachable
            | NetworkUnreachable
            | NetworkDown
            | AddrNotAvailable
            | AddrInUse
    ) {
        return true;
    }
    #[cfg(feature = "rustls")]
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return is_handshake_failure(tls);
    }
    error
        .to_string()
        .starts_with("failed to lookup address information")
}

/// TLS errors that only a handshake produces (a certificate the roots do not vouch for, no common protocol).
#[cfg(feature = "rustls")]
fn is_handshake_failure(error: &rustls::Error) -> bool {
    use rustls::AlertDescription as Alert;
    match error {
        rustls::Error::InvalidCertificate(_)
        | rustls::Error::NoCertificatesPresented
        | rustls::Error::UnsupportedNameType
        | rustls::Error::PeerIncompatible(_)
        | rustls::Error::InappropriateHandshakeMessage { .. }
        | rustls::Error::NoApplicationProtocol => true,
        rustls::Error::AlertReceived(alert) => matches!(
            alert,
            Alert::HandshakeFailure
                | Alert::ProtocolVersion
                | Alert::BadCertificate
                | Alert::UnsupportedCertificate
                | Alert::CertificateUnknown
                | Alert::CertificateExpired
                | Alert::UnknownCA
                | Alert::InsufficientSecurity
                | Alert::UnrecognisedName
        ),
        _ => false,
    }
}
