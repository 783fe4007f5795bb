//! The commands that call the service, with the blocking client.

use std::time::Duration;

use acs_identity_blocking::{
    ApiVersion, ClientOptions, CommunicationIdentityClient, ConnectionString,
    CreateUserAndTokenOptions, CreateUserOptions, CustomId, ExchangeTeamsUserToken, RetryOptions,
    TeamsExtensionAssignment, TeamsExtensionPrincipalType, TokenOptions, TokenScope,
    UpsertTeamsExtensionAssignment,
};

use crate::args::{
    AssignmentCommand, CONNECTION_STRING_VAR, ClientArgs, IssueArgs, TokenCommand, UserCommand,
};
use crate::duration::{parse_duration, parse_lifetime};
use crate::failure::Failure;
use crate::record::Record;

/// A client from the connection options.
pub(crate) fn client(global: &ClientArgs) -> Result<CommunicationIdentityClient, Failure> {
    let Some(connection_string) = &global.connection_string else {
        return Err(Failure::Invalid(format!(
            "no connection string: set {CONNECTION_STRING_VAR} or pass --connection-string \
             (`acs-identity emulator` runs a local service and prints one)"
        )));
    };
    // The error never contains the key.
    let connection_string = ConnectionString::parse(connection_string)
        .map_err(|error| Failure::Invalid(format!("invalid connection string: {error}")))?;
    let api_version = match &global.api_version {
        Some(version) => version.parse::<ApiVersion>().map_err(|_| {
            let known: Vec<&str> = ApiVersion::ALL
                .iter()
                .map(|version| version.as_str())
                .collect();
            Failure::Invalid(format!(
                "unknown api-version {version:?}; known: {}",
                known.join(", ")
            ))
        })?,
        None => ApiVersion::default(),
    };
    let timeout = global
        .timeout
        .as_deref()
        .map(|timeout| {
            parse_duration(timeout, None)
                .map_err(|error| Failure::Invalid(format!("--timeout: {error}")))
        })
        .transpose()?;
    let options = ClientOptions::default()
        .api_version(api_version)
        .retry(RetryOptions::default().max_retries(global.max_retries))
        .timeout(timeout)
        .attempt_timeout(timeout.map_or(ATTEMPT_TIMEOUT, |timeout| timeout.min(ATTEMPT_TIMEOUT)));
    Ok(CommunicationIdentityClient::new(connection_string, options))
}

const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

fn custom_id(custom_id: &str) -> Result<CustomId, Failure> {
    CustomId::new(custom_id).map_err(|error| Failure::Invalid(format!("--custom-id: {error}")))
}

fn user(id: &str) -> Result<acs_identity_blocking::CommunicationUserIdentifier, Failure> {
    crate::validate::user(id)
}

pub(crate) fn run_user(
    client: &CommunicationIdentityClient,
    command: UserCommand,
) -> Result<Record, Failure> {
    match command {
        UserCommand::Create { custom_id: id } => {
            let custom_id = id.as_deref().map(custom_id).transpose()?;
            let created = client.create_user_with_options({
                let mut options = CreateUserOptions::default();
                options.custom_id = custom_id;
                options
            })?;
            Ok(Record::default()
                .field("id", created.id())
                .field("customId", id))
        }
        UserCommand::Show { id } => {
            let detail = client.get_user_detail(&user(&id)?)?;
            Ok(Record::default()
                .field("id", detail.user.id())
                .field("customId", detail.custom_id)
                .time("lastTokenIssuedAt", detail.last_token_issued_at))
        }
        UserCommand::Delete { id } => {
            client.delete_user(&user(&id)?)?;
            Ok(Record::default().field("id", id).field("deleted", true))
        }
    }
}

pub(crate) fn run_token(
    client: &CommunicationIdentityClient,
    command: TokenCommand,
) -> Result<Record, Failure> {
    match command {
        TokenCommand::Issue(args) => issue(client, args),
        TokenCommand::Revoke { id } => {
            client.revoke_tokens(&user(&id)?)?;
            Ok(Record::default().field("userId", id).field("revoked", true))
        }
        TokenCommand::TeamsUser {
            token,
            app_id,
            user_id,
        } => {
            let token = client
                .get_token_for_teams_user(ExchangeTeamsUserToken::new(token, app_id, user_id))?;
            Ok(Record::default()
                .time("expiresOn", Some(token.expires_on()))
                .token(token.into_token()))
        }
    }
}

fn issue(client: &CommunicationIdentityClient, args: IssueArgs) -> Result<Record, Failure> {
    let lifetime = args
        .expires_in
        .as_deref()
        .map(parse_lifetime)
        .transpose()
        .map_err(Failure::Invalid)?;
    let scopes = args
        .scopes
        .iter()
        .map(|scope| crate::validate::scope(scope, args.allow_unknown_scope))
        .collect::<Result<Vec<TokenScope>, _>>()?;
    let scope_names: Vec<String> = scopes.iter().map(ToString::to_string).collect();
    match args.user {
        Some(id) => {
            let token = client.get_token(&user(&id)?, &scopes, {
                let mut options = TokenOptions::default();
                options.lifetime = lifetime;
                options
            })?;
            Ok(Record::default()
                .field("userId", id)
                .field("scopes", scope_names)
                .time("expiresOn", Some(token.expires_on()))
                .token(token.into_token()))
        }
        None => {
            let custom_id = args.custom_id.as_deref().map(custom_id).transpose()?;
            let created = client.create_user_and_token(&scopes, {
                let mut options = CreateUserAndTokenOptions::default();
                options.lifetime = lifetime;
                options.custom_id = custom_id;
                options
            })?;
            Ok(Record::default()
                .field("userId", created.user.id())
                .field("customId", created.custom_id.or(args.custom_id))
                .field("scopes", scope_names)
                .time("expiresOn", Some(created.access_token.expires_on()))
                .token(created.access_token.into_token()))
        }
    }
}

pub(crate) fn run_assignment(
    client: &CommunicationIdentityClient,
    command: AssignmentCommand,
) -> Result<Record, Failure> {
    match command {
        AssignmentCommand::Show(key) => {
            let assignment =
                client.get_teams_extension_assignment(&key.tenant_id, &key.object_id)?;
            Ok(assignment_record(assignment))
        }
        AssignmentCommand::Set {
            key,
            principal_type,
            client_ids,
        } => {
            let principal_type = TeamsExtensionPrincipalType::from(principal_type);
            let mut upsert =
                UpsertTeamsExtensionAssignment::new(key.tenant_id, key.object_id, principal_type);
            upsert.client_ids = client_ids;
            let upserted = client.upsert_teams_extension_assignment(upsert)?;
            Ok(assignment_record(upserted.assignment).field("created", upserted.created))
        }
        AssignmentCommand::Delete(key) => {
            client.delete_teams_extension_assignment(&key.tenant_id, &key.object_id)?;
            Ok(Record::default()
                .field("tenantId", key.tenant_id)
                .field("objectId", key.object_id)
                .field("deleted", true))
        }
    }
}

fn assignment_record(assignment: TeamsExtensionAssignment) -> Record {
    Record::default()
        .field("tenantId", assignment.tenant_id)
        .field("objectId", assignment.object_id)
        .field("principalType", assignment.principal_type.as_str())
        .field("clientIds", assignment.client_ids)
}
