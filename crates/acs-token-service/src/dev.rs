//! Development mode: one process plays ACS and the OpenID issuer (the embedded emulator), and the service
//! trusts it, so the whole flow runs on a laptop with no Azure account.

use std::net::SocketAddr;

use acs_identity_emulator::{Emulator, RunningEmulator, StartError};

use crate::{BuildError, Config, TokenService};

/// A running emulator and the configuration of a service that uses it as ACS and as its issuer.
#[derive(Debug)]
pub struct DevEnvironment {
    emulator: RunningEmulator,
    config: Config,
}

/// Why development mode could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevError {
    /// The emulator did not start.
    #[error("the emulator did not start: {0}")]
    Emulator(#[from] StartError),
    /// The generated configuration was refused (a bug: please report it).
    #[error("the development configuration is invalid: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// The service could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
}

impl DevEnvironment {
    /// Starts an in-memory emulator (open sign-in route included) and configures the service for it:
    /// users of the emulator's issuer get `chat` for up to an hour; those with the role `Calling` also get
    /// `voip` for up to four hours; Teams tokens of the emulator's app may be exchanged.
    pub async fn start(listen: Option<SocketAddr>) -> Result<Self, DevError> {
        let emulator = Emulator::builder().start().await?;
        let config = Config::from_toml(&Self::config_toml(&emulator, listen), |_| None)?;
        Ok(Self { emulator, config })
    }

    /// The configuration of [`start`](Self::start), as a TOML document.
    fn config_toml(emulator: &RunningEmulator, listen: Option<SocketAddr>) -> String {
        let quote = |text: &str| toml::Value::String(text.to_owned()).to_string();
        let listen = listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let client_id = emulator.entra_app().client_id().to_string();
        format!(
            r#"[server]
listen = {listen}
allowed_origins = ["http://localhost:3000"]

[acs]
connection_string = {connection_string}

[[issuers]]
issuer = {issuer}
audiences = [{client_id}]

[[policy.rules]]
roles = ["Calling"]
scopes = ["voip"]
max_lifetime_minutes = 240

[teams]
client_id = {client_id}
"#,
            listen = quote(&listen.to_string()),
            connection_string = quote(&emulator.connection_string()),
            issuer = quote(emulator.oidc_issuer()),
            client_id = quote(&client_id),
        )
    }

    /// The emulator (ACS and the issuer).
    pub fn emulator(&self) -> &RunningEmulator {
        &self.emulator
    }

    /// The configuration of the service.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The service, ready to [`serve`](crate::serve).
    pub fn service(&self) -> Result<TokenService, BuildError> {
        TokenService::new(self.config.clone())
    }

    /// What to print once the service listens on `address`: how to sign in and get a token, as commands
    /// that work when pasted into a shell.
    pub fn instructions(&self, address: SocketAddr) -> String {
        let service = format!("http://{address}");
        let emulator = self.emulator.endpoint().trim_end_matches('/');
        format!(
            "acs-token-service (development mode) listening on {service}\n\
             \x20 ACS and the OpenID issuer: the embedded emulator at {emulator}\n\
             \x20 issuer {issuer}, audience {audience}\n\
             \n\
             Sign in as alice and get a chat token:\n\
             \n\
             \x20 TOKEN=$(curl -s '{emulator}/_emulator/sign-in?sub=alice&format=text')\n\
             \x20 curl -s -X POST -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -d '{{\"scopes\":[\"chat\"]}}' {service}/token\n\
             \n\
             A caller with the role Calling may also ask for voip (add &roles=Calling to the sign-in URL).\n\
             Stop with Ctrl-C.",
            issuer = self.emulator.oidc_issuer(),
            audience = self.emulator.entra_app().client_id(),
        )
    }
}
