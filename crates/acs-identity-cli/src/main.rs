#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
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
mod record;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command, TeamsExtensionCommand};
use crate::failure::Failure;

fn main() -> ExitCode {
    // Usage errors exit with 2 here, inside clap.
    let cli = Cli::parse();
    let format = cli.global.output;
    match run(cli) {
        Ok(code) => code,
        Err(failure) => failure.report(format),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let record = match cli.command {
        Command::Emulator(args) => return emulator::run(args, cli.global.output),
        Command::User(command) => commands::run_user(&commands::client(&cli.global)?, command)?,
        Command::Token(command) => commands::run_token(&commands::client(&cli.global)?, command)?,
        Command::TeamsExtension(TeamsExtensionCommand::Assignment(command)) => {
            commands::run_assignment(&commands::client(&cli.global)?, command)?
        }
    };
    let mut stdout = std::io::stdout().lock();
    record
        .write(cli.global.output, &mut stdout)
        .map_err(|error| Failure::Other(format!("cannot write to stdout: {error}")))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

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
}
