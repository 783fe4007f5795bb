//! A self-signed certificate for `localhost`, `127.0.0.1` and `::1`, and the rustls acceptor serving it.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Names the certificate is valid for.
pub(crate) const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A certificate and its key, PEM-encoded.
pub(crate) struct TlsMaterial {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("TLS setup failed: {0}")]
pub struct TlsError(String);

pub(crate) fn self_signed() -> Result<TlsMaterial, TlsError> {
    let names = NAMES.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| TlsError(e.to_string()))?;
    Ok(TlsMaterial {
        cert_pem: certified.cert.pem(),
        key_pem: certified.key_pair.serialize_pem(),
    })
}

pub(crate) fn acceptor(material: &TlsMaterial) -> Result<TlsAcceptor, TlsError> {
    let cert = CertificateDer::from_pem_slice(material.cert_pem.as_bytes())
        .map_err(|e| TlsError(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(material.key_pem.as_bytes())
        .map_err(|e| TlsError(e.to_string()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| TlsError(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .map_err(|e| TlsError(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
