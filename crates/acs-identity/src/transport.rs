//! The reqwest adapter: `http::Request<Vec<u8>>` in, `http::Response<Vec<u8>>` out. Nothing else.

use std::sync::Arc;
use std::time::Duration;

use acs_identity_core::Error;

/// Responses larger than this are cut off as transport errors: ACS answers are a few kilobytes.
const MAX_BODY: usize = 4 << 20;

/// A shared reqwest client with redirects off and the TLS backend the crate was built with.
#[derive(Clone)]
pub(crate) struct Transport {
    /// Building a client only fails when the TLS backend cannot initialise; the error is reported by the first
    /// call so that constructors stay infallible.
    client: Result<reqwest::Client, Arc<reqwest::Error>>,
}

impl Transport {
    pub(crate) fn new() -> Self {
        let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        #[cfg(feature = "native-tls")]
        let builder = builder.use_native_tls();
        #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
        let builder = builder.use_rustls_tls();
        Self {
            client: builder.build().map_err(Arc::new),
        }
    }

    /// Sends one request; `timeout` bounds the whole exchange, body included.
    pub(crate) async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Option<Duration>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| Error::transport(Arc::clone(e), false))?;
        let mut request =
            reqwest::Request::try_from(request).map_err(|e| Error::transport(e, false))?;
        *request.timeout_mut() = timeout;
        let classify = |error: reqwest::Error| classify(error, timeout);
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
}

/// Maps reqwest's failures onto the core's error kinds; only a failed connection surely sent nothing.
fn classify(error: reqwest::Error, timeout: Option<Duration>) -> Error {
    if error.is_timeout() {
        Error::timeout(timeout.unwrap_or_default())
    } else {
        let may_have_been_sent = !error.is_connect();
        Error::transport(error, may_have_been_sent)
    }
}
