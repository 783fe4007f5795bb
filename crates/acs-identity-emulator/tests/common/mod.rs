//! A small HTTP/1.1 test client: real loopback connections, requests signed with `acs_auth::sign_request`.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use acs_auth::{AccessKey, sign_request};
use acs_identity_emulator::RunningEmulator;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// Every api-version the emulator serves.
pub const VERSIONS: [&str; 14] = [
    "2021-02-22-preview1",
    "2021-03-07",
    "2021-03-31-preview1",
    "2021-10-31-preview",
    "2021-11-01",
    "2022-06-01",
    "2022-09-01",
    "2022-10-01",
    "2023-08-01",
    "2023-10-01",
    "2025-03-02-preview",
    "2025-03-31-preview",
    "2025-06-30",
    "2026-09-23",
];

/// The `api-supported-versions` header: every version the emulator serves.
pub const SUPPORTED_VERSIONS: &str = "2021-02-22-preview1, 2021-03-07, 2021-03-31-preview1, \
    2021-10-31-preview, 2021-11-01, 2022-06-01, 2022-09-01, 2022-10-01, 2023-08-01, 2023-10-01, \
    2025-03-02-preview, 2025-03-31-preview, 2025-06-30, 2026-09-23";
pub const PREVIEW: &str = "2025-03-02-preview";
pub const STABLE: &str = "2025-06-30";

/// Whether `version` has `feature`, by the capability table the clients use.
pub fn supports(version: &str, feature: acs_identity_types::Feature) -> bool {
    version
        .parse::<acs_identity_types::ApiVersion>()
        .unwrap_or_else(|_| panic!("{version} is not an ApiVersion"))
        .supports(feature)
}

/// How long any single request may take before the test fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub struct Client {
    authority: String,
    key: AccessKey,
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// `(status, code, message, target)` of an ACS error.
    pub fn error(&self) -> (u16, String, String, Option<String>) {
        let json = self.json();
        let error = &json["error"];
        (
            self.status,
            error["code"]
                .as_str()
                .unwrap_or_else(|| panic!("no error code: {json}"))
                .to_owned(),
            error["message"].as_str().unwrap().to_owned(),
            error["target"].as_str().map(str::to_owned),
        )
    }
}

impl Client {
    pub fn new(emulator: &RunningEmulator) -> Self {
        let authority = emulator.local_addr().to_string();
        Self {
            authority,
            key: emulator.access_key().clone(),
            tls: None,
        }
    }

    /// A client that speaks TLS, trusting the emulator's self-signed certificate, naming it `server_name`.
    pub fn with_tls(emulator: &RunningEmulator, server_name: &str) -> Self {
        use rustls::pki_types::pem::PemObject as _;
        let pem = emulator.tls_certificate_pem().expect("TLS is on");
        let cert = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(server_name.to_owned()).unwrap();
        let mut client = Self::new(emulator);
        client.tls = Some((tokio_rustls::TlsConnector::from(Arc::new(config)), name));
        client
    }

    pub fn with_key(mut self, key: AccessKey) -> Self {
        self.key = key;
        self
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// An unsigned request with a `Host` header, JSON content type when there is a body.
    pub fn request(
        &self,
        method: &str,
        target: &str,
        body: impl Into<Vec<u8>>,
    ) -> Request<Vec<u8>> {
        let body = body.into();
        let mut builder = Request::builder()
            .method(method)
            .uri(target)
            .header("host", &self.authority);
        if !body.is_empty() {
            builder = builder.header("content-type", "application/json");
        }
        builder.body(body).unwrap()
    }

    /// A request signed now.
    pub fn signed(&self, method: &str, target: &str, body: impl Into<Vec<u8>>) -> Request<Vec<u8>> {
        let mut request = self.request(method, target, body);
        sign_request(&mut request, &self.key, SystemTime::now());
        request
    }

    /// A request with a bearer token.
    pub fn bearer(
        &self,
        method: &str,
        target: &str,
        body: impl Into<Vec<u8>>,
        token: &str,
    ) -> Request<Vec<u8>> {
        let mut request = self.request(method, target, body);
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    }

    /// Sends a signed request and reads the reply; panics on transport errors.
    pub async fn call(&self, method: &str, target: &str, body: impl Into<Vec<u8>>) -> Reply {
        self.send(self.signed(method, target, body))
            .await
            .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
    }

    /// `call` with a JSON body.
    pub async fn call_json(&self, method: &str, target: &str, body: &Value) -> Reply {
        self.call(method, target, serde_json::to_vec(body).unwrap())
            .await
    }

    /// Sends on a new connection.
    pub async fn send(&self, request: Request<Vec<u8>>) -> Result<Reply, hyper::Error> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.send_unbounded(request))
            .await
            .expect("request timed out")
    }

    async fn send_unbounded(&self, request: Request<Vec<u8>>) -> Result<Reply, hyper::Error> {
        let tcp = TcpStream::connect(&self.authority).await.expect("connect");
        let request = request.map(|b| Full::new(Bytes::from(b)));
        let response = match &self.tls {
            None => {
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
                tokio::spawn(connection);
                sender.send_request(request).await?
            }
            Some((connector, name)) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .expect("TLS handshake");
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
                tokio::spawn(connection);
                sender.send_request(request).await?
            }
        };
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes().to_vec();
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }
}

/// Path of an identity, percent-encoded like Python (sync) and JS send it.
pub fn encoded(id: &str) -> String {
    id.replace(':', "%3A")
}

/// Creates an identity and returns its id.
pub async fn create_identity(client: &Client, version: &str) -> String {
    let reply = client
        .call("POST", &format!("/identities?api-version={version}"), "")
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()["identity"]["id"].as_str().unwrap().to_owned()
}

/// Checks the headers every response carries.
pub fn assert_service_headers(reply: &Reply) {
    assert!(reply.header("date").is_some(), "Date");
    let ms_cv = reply.header("ms-cv").expect("MS-CV");
    assert_eq!(ms_cv.len(), 24, "{ms_cv}");
    assert!(ms_cv.ends_with(".0"));
    assert!(reply.header("strict-transport-security").is_some());
    let time = reply
        .header("x-processing-time")
        .expect("X-Processing-Time");
    assert!(
        time.ends_with("ms") && time.trim_end_matches("ms").parse::<u64>().is_ok(),
        "{time}"
    );
    assert_eq!(
        reply.header("api-supported-versions"),
        (reply.status < 400).then_some(SUPPORTED_VERSIONS),
        "on successes only"
    );
    for name in ["request-context", "x-cache", "x-azure-ref"] {
        assert!(reply.header(name).is_some(), "{name}");
    }
}

/// A client for an emulator known only by its connection string (the binary's).
#[derive(Clone)]
pub struct RemoteClient(Client);

impl RemoteClient {
    pub fn new(connection_string: &acs_auth::ConnectionString) -> Self {
        let endpoint = connection_string.endpoint();
        let authority = endpoint.host_header().to_owned();
        Self(Client {
            authority,
            key: connection_string.access_key().clone(),
            tls: None,
        })
    }

    pub async fn call(&self, method: &str, target: &str, body: impl Into<Vec<u8>>) -> Reply {
        self.0.call(method, target, body).await
    }

    pub async fn call_json(&self, method: &str, target: &str, body: &Value) -> Reply {
        self.0.call_json(method, target, body).await
    }
}
