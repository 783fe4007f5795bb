//! Where the examples send their requests: the resource named by `COMMUNICATION_SERVICES_CONNECTION_STRING`,
//! or else an emulator started in-process, so that they run on a fresh clone with no Azure account.

use std::io::Write;

use acs_identity::{ClientOptions, CommunicationIdentityClient, ConnectionString, Endpoint};
use acs_identity_emulator::{BackgroundEmulator, Emulator, RunningEmulator};

use crate::BoxError;

/// The environment variable the official quickstarts read the connection string from.
pub const CONNECTION_STRING_VAR: &str = "COMMUNICATION_SERVICES_CONNECTION_STRING";

/// The connection string in [`CONNECTION_STRING_VAR`], if it is set and not blank.
pub fn connection_string_from_env() -> Option<String> {
    std::env::var(CONNECTION_STRING_VAR)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// The ACS resource of an async example: yours, or the embedded emulator (on the current tokio runtime).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), acs_identity_examples::BoxError> {
/// use acs_identity_examples::Resource;
///
/// let mut out = Vec::new();
/// let resource = Resource::from_connection_string_or_emulator(None, &mut out).await?;
/// assert!(resource.emulator().is_some());
/// assert!(String::from_utf8(out)?.starts_with("COMMUNICATION_SERVICES_CONNECTION_STRING is not set"));
/// let user = resource.client().create_user().await?;
/// # let _ = user;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Resource {
    connection_string: ConnectionString,
    emulator: Option<RunningEmulator>,
}

impl Resource {
    /// The resource of [`CONNECTION_STRING_VAR`], else a new emulator; says which in one line on `out`.
    pub async fn from_env_or_emulator(out: &mut impl Write) -> Result<Self, BoxError> {
        Self::from_connection_string_or_emulator(connection_string_from_env(), out).await
    }

    /// The resource of `connection_string`, or a new emulator when it is `None`; says which in one line.
    pub async fn from_connection_string_or_emulator(
        connection_string: Option<String>,
        out: &mut impl Write,
    ) -> Result<Self, BoxError> {
        if let Some(connection_string) = connection_string {
            let connection_string = parse_from_env(&connection_string)?;
            writeln!(out, "{}", resource_line(connection_string.endpoint()))?;
            return Ok(Self {
                connection_string,
                emulator: None,
            });
        }
        let emulator = Emulator::builder().start().await?;
        let connection_string = ConnectionString::parse(&emulator.connection_string())?;
        writeln!(out, "{}", emulator_line(emulator.endpoint()))?;
        Ok(Self {
            connection_string,
            emulator: Some(emulator),
        })
    }

    /// A client of the resource.
    pub fn client(&self) -> CommunicationIdentityClient {
        CommunicationIdentityClient::new(self.connection_string.clone(), ClientOptions::default())
    }

    /// The emulator, when the examples run against one.
    pub fn emulator(&self) -> Option<&RunningEmulator> {
        self.emulator.as_ref()
    }
}

/// The ACS resource of a blocking example: yours, or the embedded emulator on a background thread.
///
/// ```
/// use acs_identity_examples::BlockingResource;
///
/// let resource = BlockingResource::from_connection_string_or_emulator(None, &mut std::io::sink())?;
/// let user = resource.client().create_user()?;
/// # let _ = user;
/// # Ok::<(), acs_identity_examples::BoxError>(())
/// ```
#[derive(Debug)]
pub struct BlockingResource {
    connection_string: ConnectionString,
    emulator: Option<BackgroundEmulator>,
}

impl BlockingResource {
    /// The resource of [`CONNECTION_STRING_VAR`], else a new emulator; says which in one line on `out`.
    pub fn from_env_or_emulator(out: &mut impl Write) -> Result<Self, BoxError> {
        Self::from_connection_string_or_emulator(connection_string_from_env(), out)
    }

    /// The resource of `connection_string`, or a new emulator when it is `None`; says which in one line.
    pub fn from_connection_string_or_emulator(
        connection_string: Option<String>,
        out: &mut impl Write,
    ) -> Result<Self, BoxError> {
        if let Some(connection_string) = connection_string {
            let connection_string = parse_from_env(&connection_string)?;
            writeln!(out, "{}", resource_line(connection_string.endpoint()))?;
            return Ok(Self {
                connection_string,
                emulator: None,
            });
        }
        let emulator = Emulator::builder().start_in_background()?;
        let connection_string = ConnectionString::parse(&emulator.connection_string())?;
        writeln!(out, "{}", emulator_line(emulator.endpoint()))?;
        Ok(Self {
            connection_string,
            emulator: Some(emulator),
        })
    }

    /// A client of the resource.
    pub fn client(&self) -> acs_identity_blocking::CommunicationIdentityClient {
        acs_identity_blocking::CommunicationIdentityClient::new(
            self.connection_string.clone(),
            acs_identity_blocking::ClientOptions::default(),
        )
    }

    /// The emulator, when the examples run against one.
    pub fn emulator(&self) -> Option<&RunningEmulator> {
        self.emulator.as_deref()
    }
}

/// Parses the variable's value; the error names the variable and never echoes the key.
fn parse_from_env(connection_string: &str) -> Result<ConnectionString, BoxError> {
    ConnectionString::parse(connection_string).map_err(|error| {
        format!("{CONNECTION_STRING_VAR} is not a valid connection string: {error}").into()
    })
}

fn resource_line(endpoint: &Endpoint) -> String {
    format!(
        "Using the Communication Services resource at {} (from {CONNECTION_STRING_VAR}).",
        endpoint.as_str()
    )
}

fn emulator_line(endpoint: &str) -> String {
    format!(
        "{CONNECTION_STRING_VAR} is not set: using the embedded ACS Identity emulator at {endpoint} (no Azure account needed)."
    )
}
