//! The TLS of the service's own HTTP client (OpenID discovery and JWKS): rustls on the ring provider, which
//! needs no C toolchain (reqwest 0.13's default, aws-lc-rs, does), trusting the Mozilla roots.

use std::sync::Arc;

/// The rustls configuration handed to reqwest, or `None` when rustls refuses the protocol versions.
pub(crate) fn client_config() -> Option<rustls::ClientConfig> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Some(config)
}
