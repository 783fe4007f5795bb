//! Why a command failed, its exit code, and how it is reported on stderr.

use std::error::Error as _;
use std::io::Write;
use std::process::ExitCode;

use acs_identity_blocking::{Error, ErrorKind};
use serde_json::{Value, json};

use crate::args::Format;

/// The exit codes, as `--help` shows them.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other failure: an unexpected answer, the emulator could not start, output could not be written
  2  usage: the command line could not be parsed (unknown command or option, missing argument)
  3  service: the ACS Identity service answered with an error; its code and message are on stderr
  4  network: the service could not be reached, the connection broke, or the call timed out
  5  invalid input or configuration: no or a malformed connection string, an unknown api-version, an invalid
     custom id, lifetime or duration, an operation the api-version does not have

Text output prints one `name: value` line per field; `token issue` and `token teams-user` print the token
alone on the last line. JSON output prints one object. Errors go to stderr, as a line or as
{\"error\": {...}} with --output json. The access key is never printed (only `emulator` prints the
connection string of the local emulator it starts).";

/// What went wrong, sorted by exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A call of the service failed; the exit code follows the error's kind.
    Call(Error),
    /// A value or the configuration is invalid (exit code 5).
    Invalid(String),
    /// Anything else (exit code 1).
    Other(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Call(error)
    }
}

const OTHER: u8 = 1;
const SERVICE: u8 = 3;
const NETWORK: u8 = 4;
const INVALID: u8 = 5;

impl Failure {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Call(error) => match error.kind() {
                ErrorKind::Service => SERVICE,
                ErrorKind::Transport | ErrorKind::Timeout => NETWORK,
                ErrorKind::InvalidInput => INVALID,
                _ => OTHER,
            },
            Self::Invalid(_) => INVALID,
            Self::Other(_) => OTHER,
        }
    }

    fn kind(&self) -> &'static str {
        match self.exit_code() {
            SERVICE => "service",
            NETWORK => "network",
            INVALID => "invalid",
            _ => "other",
        }
    }

    /// The message: the error's own, followed by its causes (which never hold secrets).
    fn message(&self) -> String {
        match self {
            Self::Call(error) => {
                let mut message = error.to_string();
                let mut source = error.source();
                while let Some(cause) = source {
                    message.push_str(": ");
                    message.push_str(&cause.to_string());
                    source = cause.source();
                }
                message
            }
            Self::Invalid(message) | Self::Other(message) => message.clone(),
        }
    }

    fn to_json(&self) -> Value {
        let mut error = json!({ "kind": self.kind(), "message": self.message() });
        if let Self::Call(call) = self {
            if let Some(status) = call.status() {
                error["status"] = json!(status.as_u16());
            }
            if let Some(service) = call.service_error() {
                error["code"] = json!(service.code());
                error["serviceMessage"] = json!(service.message());
                error["target"] = json!(service.target());
                error["msCv"] = json!(service.ms_cv());
                error["clientRequestId"] = json!(service.client_request_id());
            }
        }
        json!({ "error": error })
    }

    /// Writes the failure on stderr and returns its exit code.
    pub(crate) fn report(&self, format: Format) -> ExitCode {
        let mut stderr = std::io::stderr().lock();
        // Nothing more can be done if stderr is gone; the exit code still tells.
        let _ = match format {
            Format::Text => writeln!(stderr, "acs-identity: error: {}", self.message()),
            Format::Json => writeln!(stderr, "{}", self.to_json()),
        };
        ExitCode::from(self.exit_code())
    }
}
