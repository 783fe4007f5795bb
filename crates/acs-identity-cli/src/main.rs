#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Feature badges on docs.rs (nightly, `--cfg docsrs`); stable builds never see the attribute.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod args;
mod commands;
mod duration;
mod emulator;
mod failure;
mod logging;
mod record;
mod validate;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command, TeamsExtensionCommand};
use crate::failure::Failure;

fn main() -> ExitCode {
    // Usage errors exit with 2 here, inside clap.
    let cli = Cli::parse();
    let format = cli.global.output;
    // The emulator's own log at info by default: above all why it refused a request (the missing header, the
    // date skew, the string-to-sign it expected), which no real service says.
    let emulator_filter = match &cli.command {
        Command::Emulator(args) => args
            .log_level
            .clone()
            .or_else(|| (!cli.global.quiet).then(|| "warn,acs_identity_emulator=info".to_owned())),
        _ => None,
    };
    logging::init(&cli.global, emulator_filter.as_deref());
    match run(cli) {
        Ok(code) => code,
        Err(failure) => failure.report(format),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let quiet = cli.global.quiet;
    let record = match cli.command {
        Command::Emulator(args) => return emulator::run(args, cli.global.output, quiet),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut stdout = std::io::stdout().lock();
            clap_complete::generate(shell, &mut command, "acs-identity", &mut stdout);
            return Ok(ExitCode::SUCCESS);
        }
        Command::User { client, command } => {
            commands::run_user(&commands::client(&client)?, command)?
        }
        Command::Token { client, command } => {
            commands::run_token(&commands::client(&client)?, command)?
        }
        Command::TeamsExtension {
            client,
            command: TeamsExtensionCommand::Assignment(command),
        } => commands::run_assignment(&commands::client(&client)?, command)?,
    };
    let mut stdout = std::io::stdout().lock();
    record
        .write(cli.global.output, &mut stdout)
        .map_err(|error| Failure::Other(format!("cannot write to stdout: {error}")))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Format;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn output_defaults_to_text() {
        let cli = Cli::try_parse_from(["acs-identity", "user", "show", "8:acs:r_u"]).unwrap();
        assert_eq!(cli.global.output, Format::Text);
    }

    #[test]
    fn connection_options_follow_the_client_commands_and_only_them() {
        let cli = Cli::try_parse_from([
            "acs-identity",
            "user",
            "--api-version",
            "2025-06-30",
            "show",
            "8:acs:r_u",
            "--max-retries",
            "1",
        ])
        .unwrap();
        let Command::User { client, .. } = cli.command else {
            panic!("user")
        };
        assert_eq!(client.api_version.as_deref(), Some("2025-06-30"));
        assert_eq!(client.max_retries, 1);
        assert!(Cli::try_parse_from(["acs-identity", "emulator", "--max-retries", "1"]).is_err());
    }
}
