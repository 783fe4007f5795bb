//! The command line, as clap parses it. Values with rules of their own (durations, lifetimes, custom ids,
//! api-versions) are plain strings here and checked by the commands, so that a bad value is exit code 5
//! (invalid input) rather than clap's 2 (usage).

use acs_identity_emulator::cli::EmulatorArgs;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::failure::EXIT_CODES_HELP;

/// The environment variable the connection string is read from, as in the official quickstarts.
pub(crate) const CONNECTION_STRING_VAR: &str = "COMMUNICATION_SERVICES_CONNECTION_STRING";

/// Manage Azure Communication Services identities and access tokens, or run a local emulator of the service.
#[derive(Debug, Parser)]
#[command(name = "acs-identity", version, about, after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options of every command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct Global {
    /// How results are printed on stdout (errors go to stderr in the same format).
    #[arg(long, short, global = true, value_enum, default_value_t = Format::Text)]
    pub(crate) output: Format,
    /// Print nothing on stderr but errors (no progress or hints); stdout is unchanged.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Log what the client does on stderr: -v requests, responses and retries, -vv everything (secrets stay
    /// redacted). RUST_LOG, when set, takes precedence.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// How a command reaches the service: only the commands that call it take these.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection options")]
pub(crate) struct ClientArgs {
    /// The resource's connection string (`endpoint=https://...;accesskey=...`). Prefer the environment
    /// variable: a command line is visible to other users of the machine.
    #[arg(long, global = true, env = CONNECTION_STRING_VAR, hide_env_values = true, value_name = "CONNECTION_STRING")]
    pub(crate) connection_string: Option<String>,
    /// The service api-version, e.g. 2025-06-30. Default: 2025-03-02-preview, the one with custom ids and
    /// user details.
    #[arg(long, global = true, value_name = "VERSION")]
    pub(crate) api_version: Option<String>,
    /// Retries after a throttled or failed attempt.
    #[arg(long, global = true, default_value_t = 3, value_name = "N")]
    pub(crate) max_retries: u32,
    /// The limit on a whole call, retries included, e.g. 30s, 2m or 1m30s. Default: none (each attempt is
    /// limited to 30 seconds).
    #[arg(long, global = true, value_name = "DURATION")]
    pub(crate) timeout: Option<String>,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One `name: value` line per field; a token alone on the last line.
    Text,
    /// One JSON object (pretty-printed).
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create, show and delete users (communication identities).
    User {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Issue, revoke and exchange access tokens.
    Token {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Teams extension (Teams Phone) access.
    TeamsExtension {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: TeamsExtensionCommand,
    },
    /// Run a local ACS Identity service until Ctrl-C; prints its connection string first. The flags are the
    /// `acs-identity-emulator` binary's.
    Emulator(EmulatorArgs),
    /// Print a shell completion script: `acs-identity completions bash > ~/.local/share/bash-completion/completions/acs-identity`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user, optionally mapped to your own id: creating again with the same custom id returns the
    /// same user.
    Create {
        /// Your own id for the user, 1 to 256 characters (api-version 2025-03-02-preview).
        #[arg(long)]
        custom_id: Option<String>,
    },
    /// Show a user's custom id and when a token was last issued (api-version 2025-03-02-preview).
    Show {
        /// The user id, `8:acs:...`.
        id: String,
    },
    /// Delete a user and revoke their tokens.
    Delete {
        /// The user id, `8:acs:...`.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue an access token, for an existing user (--user) or a new one. Prints the token (the only
    /// command that does).
    Issue(IssueArgs),
    /// Revoke every token issued to a user so far.
    Revoke {
        /// The user id, `8:acs:...`.
        id: String,
    },
    /// Exchange a Teams user's Entra ID token for an ACS access token.
    TeamsUser {
        /// The Teams user's Entra ID access token (audience `https://auth.msft.communication.azure.com`).
        #[arg(long, env = "COMMUNICATION_TEAMS_USER_TOKEN", hide_env_values = true)]
        token: String,
        /// The Entra application (client) id the token was issued to.
        #[arg(long)]
        app_id: String,
        /// The Teams user's Entra object id.
        #[arg(long)]
        user_id: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// The user to issue the token for. Without it, a new user is created with the token, in one request.
    #[arg(long, value_name = "ID")]
    pub(crate) user: Option<String>,
    /// With no --user: the new user's custom id (an existing user with that custom id is reused).
    #[arg(long, conflicts_with = "user")]
    pub(crate) custom_id: Option<String>,
    /// A scope of the token: chat, voip, chat.join, chat.join.limited, voip.join. Repeat for several.
    #[arg(long = "scope", required = true, value_name = "SCOPE")]
    pub(crate) scopes: Vec<String>,
    /// Send a --scope this version does not know as is (for scopes the service adds later).
    #[arg(long)]
    pub(crate) allow_unknown_scope: bool,
    /// The token's lifetime: 60 to 1440 whole minutes, written like 1h, 90m, 1h30m or 3600s (a bare number
    /// is minutes). Default: 24 hours.
    #[arg(long, value_name = "DURATION")]
    pub(crate) expires_in: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TeamsExtensionCommand {
    /// Teams extension assignments: which users and resource accounts of a tenant may exchange tokens.
    #[command(subcommand)]
    Assignment(AssignmentCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum AssignmentCommand {
    /// Show an assignment.
    Show(AssignmentKey),
    /// Create or replace an assignment.
    Set {
        #[command(flatten)]
        key: AssignmentKey,
        /// What the object is: user or resourceAccount.
        #[arg(long, default_value = "user")]
        principal_type: String,
        /// An Entra application allowed to exchange tokens for it. Repeat for several.
        #[arg(long = "client-id", value_name = "CLIENT_ID")]
        client_ids: Vec<String>,
    },
    /// Delete an assignment.
    Delete(AssignmentKey),
}

#[derive(Debug, Args)]
pub(crate) struct AssignmentKey {
    /// The Entra tenant id.
    #[arg(long)]
    pub(crate) tenant_id: String,
    /// The Entra object id of the user or resource account.
    #[arg(long)]
    pub(crate) object_id: String,
}
