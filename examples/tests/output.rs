//! Every example, async and blocking, runs against the embedded emulator and prints what its README shows.

use acs_identity_emulator::{Emulator, RunningEmulator};
use acs_identity_examples::{
    BlockingResource, Resource, byodi, byodi_blocking, manage_tokens, manage_tokens_blocking,
    quickstart, quickstart_blocking, teams_user_from_emulator,
};

/// Checks `output` line by line against `expected`: a line ending in `*` must start with what precedes it,
/// any other must be equal.
fn assert_lines(output: &[u8], expected: &[&str]) {
    let output = String::from_utf8(output.to_vec()).expect("the output is UTF-8");
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), expected.len(), "line count differs:\n{output}");
    for (line, want) in lines.iter().zip(expected) {
        match want.strip_suffix('*') {
            Some(prefix) => assert!(
                line.starts_with(prefix),
                "{line:?} does not start with {prefix:?}\n{output}"
            ),
            None => assert_eq!(line, want, "\n{output}"),
        }
    }
}

/// The value after `label` on the line that starts with it.
fn value_after<'a>(output: &'a str, label: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in\n{output}"))
}

/// The quickstart's lines; `*` marks ids, tokens and times, which change on every run.
const QUICKSTART: &[&str] = &[
    quickstart::TITLE,
    "",
    "Created identity with ID: 8:acs:*",
    "Custom ID: alice@contoso.com",
    "",
    "Created identity with ID (second call): 8:acs:*",
    "Custom ID (second call): alice@contoso.com",
    "",
    "Validation successful: Both identities have the same ID as expected.",
    "",
    "Issued access token with 'chat' scope: eyJ*",
    "Token expires at: 20*",
    "",
    "User detail:",
    "Custom ID: alice@contoso.com",
    "Last token issued at: 20*",
    "",
    "Cleaning up: Deleting identities...",
    "",
    "Deleted identities.",
];

fn check_quickstart(output: &[u8], emulator: &RunningEmulator) {
    assert_lines(output, QUICKSTART);
    let text = String::from_utf8_lossy(output);
    let first = value_after(&text, "Created identity with ID: ");
    assert_eq!(
        first,
        value_after(&text, "Created identity with ID (second call): ")
    );
    assert!(value_after(&text, "Issued access token with 'chat' scope: ").ends_with("..."));
    assert_eq!(
        emulator.identity_count().expect("count"),
        0,
        "the quickstart deletes what it made"
    );
}

#[tokio::test]
async fn quickstart_async() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let mut resource_line = Vec::new();
    let resource = Resource::from_connection_string_or_emulator(
        Some(emulator.connection_string()),
        &mut resource_line,
    )
    .await
    .expect("resource");
    let line = String::from_utf8(resource_line).expect("UTF-8");
    let endpoint = emulator.endpoint().trim_end_matches('/');
    assert_eq!(
        line,
        format!(
            "Using the Communication Services resource at {endpoint} (from COMMUNICATION_SERVICES_CONNECTION_STRING).\n"
        )
    );
    assert!(
        !line.contains(&emulator.access_key().to_base64()),
        "the key is never printed"
    );

    let mut output = Vec::new();
    quickstart::run(&resource.client(), &mut output)
        .await
        .expect("quickstart");
    check_quickstart(&output, &emulator);
}

#[test]
fn quickstart_blocking_on_the_embedded_emulator() {
    let mut output = Vec::new();
    let resource =
        BlockingResource::from_connection_string_or_emulator(None, &mut output).expect("resource");
    let emulator = resource.emulator().expect("an embedded emulator");
    let line = format!(
        "COMMUNICATION_SERVICES_CONNECTION_STRING is not set: using the embedded ACS Identity emulator at {} (no Azure account needed).\n",
        emulator.endpoint()
    );
    assert_eq!(String::from_utf8_lossy(&output), line);

    let mut output = Vec::new();
    quickstart_blocking::run(&resource.client(), &mut output).expect("quickstart");
    check_quickstart(&output, emulator);
}

const BYODI: &[&str] = &[
    byodi::TITLE,
    "",
    "Created a standard identity with ID: 8:acs:*",
    "",
    "User ID: 8:acs:*",
    "Custom ID: alice@contoso.com",
    "",
    "User ID (second call): 8:acs:*",
    "Custom ID (second call): alice@contoso.com",
    "",
    "Validation successful: Both identities have the same ID as expected.",
    "",
    "Issued access token with 'chat' scope: eyJ*",
    "Token expires at: 20*",
    "",
    "Deleted identities.",
];

fn check_byodi(output: &[u8], emulator: &RunningEmulator) {
    assert_lines(output, BYODI);
    let text = String::from_utf8_lossy(output);
    let user = value_after(&text, "User ID: ");
    assert_eq!(user, value_after(&text, "User ID (second call): "));
    assert_ne!(
        user,
        value_after(&text, "Created a standard identity with ID: ")
    );
    assert_eq!(emulator.identity_count().expect("count"), 0);
}

#[tokio::test]
async fn byodi_async() {
    let resource = Resource::from_connection_string_or_emulator(None, &mut std::io::sink())
        .await
        .expect("resource");
    let mut output = Vec::new();
    byodi::run(&resource.client(), &mut output)
        .await
        .expect("byodi");
    check_byodi(&output, resource.emulator().expect("emulator"));
}

#[test]
fn byodi_blocking() {
    let resource = BlockingResource::from_connection_string_or_emulator(None, &mut std::io::sink())
        .expect("resource");
    let mut output = Vec::new();
    byodi_blocking::run(&resource.client(), &mut output).expect("byodi");
    check_byodi(&output, resource.emulator().expect("emulator"));
}

const MANAGE_TOKENS: &[&str] = &[
    manage_tokens::TITLE,
    "",
    "Created a user: 8:acs:*",
    "Issued a 'voip' token: eyJ*",
    "  expires at 20*",
    "Issued a 'chat' + 'voip' token valid for 1 hour: eyJ*",
    "  expires at 20*",
    "Created a user and a 'chat' token in one call: 8:acs:*",
    "  token eyJ*",
    "Revoked the tokens of 8:acs:*",
    "Deleted the user 8:acs:*",
    "Deleted the user 8:acs:*",
    "Exchanged a Teams user's Entra ID token for an ACS token: eyJ*",
    "  expires at 20*",
];

const SKIPPED_TEAMS: &str = "Skipped the Teams user token exchange: set COMMUNICATION_TEAMS_USER_TOKEN, \
                             COMMUNICATION_M365_APP_ID and COMMUNICATION_TEAMS_USER_OBJECT_ID to try it.";

/// The 1-hour token really lives one hour: its expiry is about an hour after the default one minus 23 hours.
fn check_lifetimes(output: &[u8]) {
    let text = String::from_utf8_lossy(output);
    let expiries: Vec<time::OffsetDateTime> = text
        .lines()
        .filter_map(|line| line.strip_prefix("  expires at "))
        .map(|rest| rest.split(' ').next().expect("a time"))
        .map(|at| {
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                .expect("RFC 3339")
        })
        .collect();
    let now = time::OffsetDateTime::now_utc();
    let hours = |at: time::OffsetDateTime| (at - now).whole_minutes() as f64 / 60.0;
    assert!(
        (hours(expiries[0]) - 24.0).abs() < 0.1,
        "default lifetime: {text}"
    );
    assert!(
        (hours(expiries[1]) - 1.0).abs() < 0.1,
        "1-hour lifetime: {text}"
    );
}

#[tokio::test]
async fn manage_tokens_async() {
    let resource = Resource::from_connection_string_or_emulator(None, &mut std::io::sink())
        .await
        .expect("resource");
    let emulator = resource.emulator().expect("emulator");
    let mut output = Vec::new();
    manage_tokens::run(
        &resource.client(),
        Some(teams_user_from_emulator(emulator)),
        &mut output,
    )
    .await
    .expect("manage_tokens");
    assert_lines(&output, MANAGE_TOKENS);
    check_lifetimes(&output);
    assert_eq!(emulator.identity_count().expect("count"), 0);
}

#[test]
fn manage_tokens_blocking_without_a_teams_user() {
    let resource = BlockingResource::from_connection_string_or_emulator(None, &mut std::io::sink())
        .expect("resource");
    let mut output = Vec::new();
    manage_tokens_blocking::run(&resource.client(), None, &mut output).expect("manage_tokens");
    let mut expected = MANAGE_TOKENS[..MANAGE_TOKENS.len() - 2].to_vec();
    expected.push(SKIPPED_TEAMS);
    assert_lines(&output, &expected);
    check_lifetimes(&output);
}

#[test]
fn manage_tokens_blocking_with_the_emulators_teams_user() {
    let resource = BlockingResource::from_connection_string_or_emulator(None, &mut std::io::sink())
        .expect("resource");
    let teams_user = teams_user_from_emulator(resource.emulator().expect("emulator"));
    let mut output = Vec::new();
    manage_tokens_blocking::run(&resource.client(), Some(teams_user), &mut output)
        .expect("manage_tokens");
    assert_lines(&output, MANAGE_TOKENS);
}

#[tokio::test]
async fn a_malformed_connection_string_names_the_variable_not_the_key() {
    let error = Resource::from_connection_string_or_emulator(
        Some("endpoint=not a url;accesskey=c2VjcmV0LWtleQ==".to_owned()),
        &mut std::io::sink(),
    )
    .await
    .expect_err("malformed");
    let message = error.to_string();
    assert!(
        message.starts_with(
            "COMMUNICATION_SERVICES_CONNECTION_STRING is not a valid connection string"
        )
    );
    assert!(!message.contains("c2VjcmV0LWtleQ"), "{message}");
}

/// The workspace README and this package's: their `text` blocks show what the examples print.
const READMES: &[(&str, &str)] = &[
    ("README.md", include_str!("../../README.md")),
    ("examples/README.md", include_str!("../README.md")),
];

/// The `text` blocks of `readme` whose second line (after the resource line) is an example's title, with
/// that title.
fn shown_outputs(readme: &str) -> Vec<(&str, Vec<&str>)> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line != "```text" {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|line| *line != "```").collect();
        if let Some(title) = block
            .get(1)
            .copied()
            .filter(|title| [quickstart::TITLE, byodi::TITLE, manage_tokens::TITLE].contains(title))
        {
            blocks.push((title, block));
        }
    }
    blocks
}

/// `line` with what changes on every run (ids, truncated tokens, the emulator's address, times) replaced by a
/// placeholder. Times must be RFC 3339 in UTC to the second (`2026-12-03T09:00:00Z`), in the README as in the
/// output, and tokens truncated: anything else stays as is and so must match exactly.
fn shape(line: &str) -> String {
    let is_uuid = |text: &str| uuid::Uuid::parse_str(text).is_ok();
    let is_time = |word: &str| {
        word.len() == "2026-12-03T09:00:00Z".len()
            && word.ends_with('Z')
            && time::OffsetDateTime::parse(word, &time::format_description::well_known::Rfc3339)
                .is_ok()
    };
    line.split(' ')
        .map(|word| {
            if word
                .strip_prefix("8:acs:")
                .and_then(|id| id.split_once('_'))
                .is_some_and(|(resource, user)| is_uuid(resource) && is_uuid(user))
            {
                "<id>"
            } else if word.starts_with("eyJ") && word.ends_with("...") && word.len() == 23 {
                "<token>"
            } else if word.starts_with("http://127.0.0.1:") && word.ends_with('/') {
                "<endpoint>"
            } else if is_time(word) {
                "<time>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks that `output` prints what `shown` shows, but for what changes on every run.
fn assert_shown(readme: &str, shown: &[&str], output: &[u8]) {
    let output = String::from_utf8_lossy(output);
    let printed: Vec<String> = output.lines().map(shape).collect();
    let shown: Vec<String> = shown.iter().copied().map(shape).collect();
    assert_eq!(
        shown, printed,
        "{readme} shows another output than the example prints:\n{output}"
    );
}

#[test]
fn the_readmes_show_every_example() {
    fn titles(readme: &str) -> Vec<&str> {
        shown_outputs(readme)
            .into_iter()
            .map(|(title, _)| title)
            .collect()
    }
    assert_eq!(titles(READMES[0].1), [quickstart::TITLE]);
    assert_eq!(
        titles(READMES[1].1),
        [quickstart::TITLE, byodi::TITLE, manage_tokens::TITLE]
    );
}

#[tokio::test]
async fn the_readmes_show_what_the_async_examples_print() {
    for (readme, text) in READMES {
        for (title, shown) in shown_outputs(text) {
            let mut output = Vec::new();
            let resource = Resource::from_connection_string_or_emulator(None, &mut output)
                .await
                .expect("resource");
            let client = resource.client();
            match title {
                quickstart::TITLE => quickstart::run(&client, &mut output).await,
                byodi::TITLE => byodi::run(&client, &mut output).await,
                _ => {
                    let teams_user =
                        teams_user_from_emulator(resource.emulator().expect("emulator"));
                    manage_tokens::run(&client, Some(teams_user), &mut output).await
                }
            }
            .expect("the example");
            assert_shown(readme, &shown, &output);
        }
    }
}

#[test]
fn the_readmes_show_what_the_blocking_examples_print() {
    for (readme, text) in READMES {
        for (title, shown) in shown_outputs(text) {
            let mut output = Vec::new();
            let resource = BlockingResource::from_connection_string_or_emulator(None, &mut output)
                .expect("resource");
            let client = resource.client();
            match title {
                quickstart::TITLE => quickstart_blocking::run(&client, &mut output),
                byodi::TITLE => byodi_blocking::run(&client, &mut output),
                _ => {
                    let teams_user =
                        teams_user_from_emulator(resource.emulator().expect("emulator"));
                    manage_tokens_blocking::run(&client, Some(teams_user), &mut output)
                }
            }
            .expect("the example");
            assert_shown(readme, &shown, &output);
        }
    }
}

#[test]
fn shape_keeps_what_must_match() {
    assert_eq!(
        shape("Token expires at: 2026-12-03T09:00:00Z"),
        "Token expires at: <time>"
    );
    assert_eq!(
        shape("Token expires at: 2026-12-03T09:00:00.8083676Z"),
        "Token expires at: 2026-12-03T09:00:00.8083676Z"
    );
    assert_eq!(
        shape("Issued access token with 'chat' scope:"),
        "Issued access token with 'chat' scope:"
    );
}
