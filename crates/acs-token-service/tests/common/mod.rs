//! A token service on 127.0.0.1:0, trusting the issuer of an embedded emulator that also plays ACS.

#![allow(dead_code, unused_imports, unreachable_pub)] // each test file uses its own part

mod redis;
pub use self::redis::RedisServer;

use std::time::Duration;

use acs_identity_emulator::{Emulator, Operation, RunningEmulator, SignInUser};
use acs_token_service::{Config, TokenService};
use tokio::sync::oneshot;

pub struct Running {
    pub emulator: RunningEmulator,
    pub url: String,
    pub http: reqwest::Client,
    instance: Instance,
}

/// The configuration of a service trusting `emulator`'s issuer, with `extra` TOML appended (sections that
/// the base leaves out: `[rate_limits]`, `[[policy.rules]]`, `[teams]`, more `[server]` keys...).
pub fn config_toml(emulator: &RunningEmulator, issuer_extra: &str, extra: &str) -> String {
    let quote = |text: &str| toml::Value::String(text.to_owned()).to_string();
    // Fast key refreshes, unless the test is about them.
    let refresh = if issuer_extra.contains("jwks_min_refresh") {
        ""
    } else {
        "jwks_min_refresh = \"1s\"\n"
    };
    format!(
        "[acs]\nconnection_string = {cs}\ntimeout = \"5s\"\n\n[[issuers]]\nissuer = {iss}\naudiences = [{aud}]\n{refresh}{issuer_extra}\n\n{extra}\n",
        cs = quote(&emulator.connection_string()),
        iss = quote(emulator.oidc_issuer()),
        aud = quote(&emulator.entra_app().client_id().to_string()),
    )
}

pub async fn start(issuer_extra: &str, extra: &str) -> Running {
    let emulator = Emulator::builder().start().await.expect("emulator");
    start_with(emulator, issuer_extra, extra).await
}

pub async fn start_with(emulator: RunningEmulator, issuer_extra: &str, extra: &str) -> Running {
    let instance = Instance::serve(&config_toml(&emulator, issuer_extra, extra)).await;
    let http = http_builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client");
    Running {
        url: instance.url.clone(),
        emulator,
        http,
        instance,
    }
}

impl Running {
    pub fn sign_in(&self, subject: &str) -> String {
        self.sign_in_as(&SignInUser::with_subject(subject))
    }

    pub fn sign_in_as(&self, user: &SignInUser) -> String {
        self.emulator
            .sign_in(user)
            .expect("sign-in")
            .secret()
            .to_owned()
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token)
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .request(reqwest::Method::POST, path, token)
            .json(&body)
            .send()
            .await
            .expect("response");
        answer(response).await
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> (u16, serde_json::Value) {
        answer(
            self.request(method, path, token)
                .send()
                .await
                .expect("response"),
        )
        .await
    }

    /// The service's `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics body")
    }

    /// Requests that reached the emulator's ACS routes (not its issuer).
    pub fn acs_requests(&self) -> u64 {
        acs_calls(&self.emulator)
    }

    pub fn jwks_fetches(&self) -> u64 {
        self.emulator.requests().count(Operation::OidcKeys)
    }

    pub async fn stop(self) {
        self.instance.stop().await;
    }
}

pub async fn answer(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    };
    (status, body)
}

pub fn error_code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}

/// One more service instance on 127.0.0.1:0, trusting `emulator` (which it does not own): several of them
/// share one Redis.
pub struct Instance {
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Instance {
    pub async fn start(emulator: &RunningEmulator, extra: &str) -> Self {
        Self::serve(&config_toml(emulator, "", extra)).await
    }

    /// A service with this configuration, serving until [`stop`](Self::stop).
    async fn serve(toml: &str) -> Self {
        let config = Config::from_toml(toml, |_| None).expect("valid configuration");
        let service = TokenService::new(config).expect("service");
        // A backlog of 4096, as the binary's: the hostile-client tests open hundreds of connections at once.
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
        let listener = socket.listen(4096).expect("listen");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(acs_token_service::serve(service, listener, async {
            let _ = stopped.await;
        }));
        Self {
            url,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("the instance did not panic")
                .expect("served");
        }
    }
}

/// Requests that reached `emulator`'s ACS routes (not its issuer).
pub fn acs_calls(emulator: &RunningEmulator) -> u64 {
    emulator
        .requests()
        .counts()
        .into_iter()
        .filter(|(operation, _)| operation.is_acs())
        .map(|(_, count)| count)
        .sum()
}

pub fn sign_in(emulator: &RunningEmulator, subject: &str) -> String {
    emulator
        .sign_in(&SignInUser::with_subject(subject))
        .expect("sign-in")
        .secret()
        .to_owned()
}

/// A reqwest builder for the tests: reqwest 0.13 is built here without a default TLS provider (the service
/// hands it a ring configuration), so the tests' clients get ring too.
pub fn http_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A plain client for the tests (see [`http_builder`]).
pub fn http_client() -> reqwest::Client {
    http_builder().build().unwrap()
}
