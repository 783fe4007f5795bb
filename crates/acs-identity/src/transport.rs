//! The reqwest adapter: `http::Request<Vec<u8>>` in, `http::Response<Vec<u8>>` out. Nothing else.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use acs_identity_core::{ClientOptions, Error, NetworkOptions};

/// Responses larger than this are cut off as transport errors: ACS answers are a few kilobytes.
const MAX_BODY: usize = 4 << 20;

/// How many origins (`scheme://authority`) a transport remembers the parsed URL of: the resource's, and a few
/// for credentials (an Entra authority, a managed identity endpoint).
const MAX_ORIGINS: usize = 4;

/// A shared reqwest client with redirects off, the TLS backend the crate was built with and the user's
/// [`NetworkOptions`].
#[derive(Clone)]
pub(crate) struct Transport {
    /// Building a client fails when the TLS backend cannot initialise or a network option is invalid; the
    /// error is reported by every call so that constructors stay infallible.
    client: Result<reqwest::Client, SetupError>,
    /// The origins already seen, parsed once: a request then only parses its own path and query.
    origins: Arc<RwLock<Vec<Origin>>>,
}

/// Why the reqwest client could not be built.
#[derive(Debug, Clone)]
enum SetupError {
    /// A [`NetworkOptions`] value is wrong: an invalid-input error.
    Invalid(String),
    /// reqwest refused the configuration (the TLS backend did not initialise): a transport error.
    Build(Arc<reqwest::Error>),
}

/// A parsed `scheme://authority/`, keyed by the text of the `http::Uri` it came from.
struct Origin {
    scheme: String,
    authority: String,
    url: reqwest::Url,
}

impl Transport {
    pub(crate) fn new(options: &ClientOptions) -> Self {
        Self {
            client: build(&options.network),
            origins: Arc::default(),
        }
    }

    /// Sends one request; `timeout` bounds the whole exchange, body included.
    ///
    /// The bound is tokio's `timeout` around the exchange rather than reqwest's own: tokio's polls the exchange
    /// before the clock, so an answer that is already there when a busy runtime gets round to the task is
    /// taken, not thrown away as a timeout (reqwest checks its clock first). For a create, that is the
    /// difference between a user and an ambiguous timeout.
    pub(crate) async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Option<Duration>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let client = match &self.client {
            Ok(client) => client,
            Err(SetupError::Invalid(message)) => return Err(Error::invalid_input(message.clone())),
            Err(SetupError::Build(e)) => return Err(Error::transport(Arc::clone(e), false)),
        };
        let request = self.to_reqwest(request)?;
        match timeout {
            Some(timeout) => tokio::time::timeout(timeout, exchange(client, request))
                .await
                .map_err(|_| Error::timeout(timeout))?,
            None => exchange(client, request).await,
        }
    }
}

/// The reqwest client for `network`.
fn build(network: &NetworkOptions) -> Result<reqwest::Client, SetupError> {
    network.check().map_err(SetupError::Invalid)?;
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(proxy) = &network.proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str())
            .map_err(|_| SetupError::Invalid(network.invalid_proxy()))?;
        builder = builder.proxy(proxy);
    }
    if let Some(max) = network.max_idle_connections_per_host {
        builder = builder.pool_max_idle_per_host(max);
    }
    #[cfg(feature = "native-tls")]
    {
        let mut roots = Vec::with_capacity(network.root_certificates.len());
        for (i, der) in network.root_certificates.iter().enumerate() {
            roots.push(reqwest::Certificate::from_der(der).map_err(|_| invalid_root(i))?);
        }
        builder = builder.tls_backend_native();
        if !roots.is_empty() {
            builder = builder.tls_certs_merge(roots);
        }
    }
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    {
        builder = builder.tls_backend_preconfigured(rustls_config(&network.root_certificates)?);
    }
    builder.build().map_err(|e| SetupError::Build(Arc::new(e)))
}

/// The error for a root certificate that does not parse.
fn invalid_root(index: usize) -> SetupError {
    SetupError::Invalid(NetworkOptions::invalid_root_certificate(index))
}

/// rustls on the ring provider (no C toolchain, unlike reqwest's default aws-lc-rs), trusting the Mozilla
/// roots and `extra`, offering HTTP/2 (with the `http2` feature) and HTTP/1.1.
#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
fn rustls_config(extra: &[Vec<u8>]) -> Result<rustls::ClientConfig, SetupError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for (i, der) in extra.iter().enumerate() {
        roots
            .add(rustls::pki_types::CertificateDer::from(der.clone()))
            .map_err(|_| invalid_root(i))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError::Invalid(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Offer h2 only when reqwest can speak it: a server that picks it otherwise fails every call.
    if cfg!(feature = "http2") {
        config.alpn_protocols.push(b"h2".to_vec());
    }
    config.alpn_protocols.push(b"http/1.1".to_vec());
    Ok(config)
}

/// Sends `request` and reads the whole response.
async fn exchange(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> Result<http::Response<Vec<u8>>, Error> {
    let mut response = client.execute(request).await.map_err(classify)?;
    let mut out = http::Response::new(Vec::new());
    *out.status_mut() = response.status();
    *out.version_mut() = response.version();
    *out.headers_mut() = std::mem::take(response.headers_mut());
    let expected = response.content_length().unwrap_or(0).min(MAX_BODY as u64);
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > MAX_BODY {
            let too_large = std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the response body exceeds 4 MiB",
            );
            return Err(Error::transport(too_large, true));
        }
        body.extend_from_slice(&chunk);
    }
    *out.body_mut() = body;
    Ok(out)
}

impl Transport {
    /// The reqwest request for `request`, moving its headers and body. The URL is the one
    /// `reqwest::Request::try_from` would parse from the whole URI text, but only its path and query are parsed
    /// per call: the scheme and authority were parsed once, for the first request to the same origin.
    fn to_reqwest(&self, request: http::Request<Vec<u8>>) -> Result<reqwest::Request, Error> {
        let Some(url) = self.url(request.uri()) else {
            return reqwest::Request::try_from(request).map_err(|e| Error::transport(e, false));
        };
        // The extensions are dropped: ours never carry any, and reqwest only reads its own (the timeout is set
        // separately).
        let (parts, body) = request.into_parts();
        let mut out = reqwest::Request::new(parts.method, url);
        *out.headers_mut() = parts.headers;
        *out.version_mut() = parts.version;
        *out.body_mut() = Some(body.into());
        Ok(out)
    }

    /// The URL of `uri`, its path and query parsed relative to its origin's cached parse, or `None` to parse it
    /// whole (a URI without a scheme or authority, a target that is not a plain absolute path, an origin that
    /// does not parse, or too many origins).
    fn url(&self, uri: &http::Uri) -> Option<reqwest::Url> {
        let (scheme, authority) = (uri.scheme_str()?, uri.authority()?.as_str());
        let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
        // `//x` would be read as an authority; anything not starting with `/` is left to the whole parse too.
        if !target.starts_with('/') || target.starts_with("//") {
            return None;
        }
        // A path-absolute reference runs the same parser steps over the same text as a whole parse does after
        // the authority, so the URL is the same.
        let resolve = |base: &reqwest::Url| {
            reqwest::Url::options()
                .base_url(Some(base))
                .parse(target)
                .ok()
        };
        let same = |origin: &&Origin| origin.scheme == scheme && origin.authority == authority;
        if let Ok(origins) = self.origins.read()
            && let Some(origin) = origins.iter().find(same)
        {
            return resolve(&origin.url);
        }
        let base = reqwest::Url::parse(&format!("{scheme}://{authority}/")).ok()?;
        let url = resolve(&base);
        let mut origins = self.origins.write().ok()?;
        if origins.len() < MAX_ORIGINS && !origins.iter().any(|o| same(&o)) {
            origins.push(Origin {
                scheme: scheme.to_owned(),
                authority: authority.to_owned(),
                url: base,
            });
        }
        url
    }
}

/// Maps reqwest's failures onto the core's error kinds; only a failed connection surely sent nothing. (reqwest
/// has no timeout of its own to report: the bound is `send`'s.)
fn classify(error: reqwest::Error) -> Error {
    let may_have_been_sent = !error.is_connect();
    Error::transport(error, may_have_been_sent)
}
