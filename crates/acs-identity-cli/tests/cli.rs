//! `acs-identity` end to end: the built binary against an emulator started by the test, every subcommand,
//! its output (JSON parsed), and its exit codes. Every child process is bounded in time.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use acs_identity_emulator::{BackgroundEmulator, Emulator, EntraUser, TokenStatus};
use serde_json::Value;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_acs-identity");
const LIMIT: Duration = Duration::from_secs(60);

/// The binary with `args`, the connection string `connection_string` in the environment (or none at all).
fn command(connection_string: Option<&str>, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("COMMUNICATION_SERVICES_CONNECTION_STRING");
    command
        .env_remove("COMMUNICATION_TEAMS_USER_TOKEN")
        .env_remove("ACS_IDENTITY_EMULATOR_ACCESS_KEY");
    if let Some(connection_string) = connection_string {
        command.env(
            "COMMUNICATION_SERVICES_CONNECTION_STRING",
            connection_string,
        );
    }
    command
}

/// Runs to completion within [`LIMIT`], or kills it and fails.
fn run(mut command: Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn acs-identity");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("acs-identity {command:?} did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

struct Session {
    emulator: BackgroundEmulator,
    connection_string: String,
}

impl Session {
    fn new() -> Self {
        let emulator = Emulator::builder().start_in_background().expect("emulator");
        let connection_string = emulator.connection_string();
        Self {
            emulator,
            connection_string,
        }
    }

    fn acs(&self, args: &[&str]) -> Output {
        run(command(Some(&self.connection_string), args))
    }

    /// Runs with `--output json`, expects success, and parses stdout.
    fn json(&self, args: &[&str]) -> Value {
        let output = self.acs(&[args, &["--output", "json"]].concat());
        assert_success(&output);
        serde_json::from_slice(&output.stdout).expect("stdout is JSON")
    }

    /// Runs and expects the exit code `code`; returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        expect_code(&self.acs(args), code)
    }
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn expect_code(output: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "stderr: {stderr}\nstdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        output.stdout.is_empty(),
        "a failure prints nothing on stdout"
    );
    stderr
}

fn stdout(output: &Output) -> String {
    assert_success(output);
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn minutes_until(value: &Value) -> i64 {
    let text = value.as_str().expect("a time");
    assert!(
        text.len() == "2026-12-03T09:00:00Z".len() && text.ends_with('Z'),
        "times are RFC 3339 in UTC to the second: {text}"
    );
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    (at - time::OffsetDateTime::now_utc()).whole_minutes()
}

#[test]
fn users_and_tokens_in_json() {
    let session = Session::new();
    let created = session.json(&["user", "create", "--custom-id", "alice@contoso.com"]);
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("8:acs:"), "{created}");
    assert_eq!(created["customId"], "alice@contoso.com");
    assert_eq!(
        session.json(&["user", "create", "--custom-id", "alice@contoso.com"])["id"],
        id.as_str()
    );

    let shown = session.json(&["user", "show", &id]);
    assert_eq!(
        shown,
        serde_json::json!({"id": id, "customId": "alice@contoso.com", "lastTokenIssuedAt": null})
    );

    let issued = session.json(&[
        "token",
        "issue",
        "--user",
        &id,
        "--scope",
        "chat",
        "--scope",
        "voip",
        "--expires-in",
        "1h",
    ]);
    assert_eq!(issued["userId"], id.as_str());
    assert_eq!(issued["scopes"], serde_json::json!(["chat", "voip"]));
    assert!(
        (58..=60).contains(&minutes_until(&issued["expiresOn"])),
        "{issued}"
    );
    let token = issued["token"].as_str().expect("token");
    let TokenStatus::Valid {
        identity, scopes, ..
    } = session.emulator.check_access_token(token)
    else {
        panic!("the emulator does not accept the token");
    };
    assert_eq!(
        (identity.as_str(), scopes),
        (id.as_str(), vec!["chat".to_owned(), "voip".to_owned()])
    );
    assert!(session.json(&["user", "show", &id])["lastTokenIssuedAt"].is_string());

    assert_eq!(
        session.json(&["token", "revoke", &id]),
        serde_json::json!({"userId": id, "revoked": true})
    );
    assert_eq!(
        session.emulator.check_access_token(token),
        TokenStatus::Revoked
    );

    assert_eq!(
        session.json(&["user", "delete", &id]),
        serde_json::json!({"id": id, "deleted": true})
    );
    assert_eq!(session.emulator.identity_count().expect("count"), 0);
    let stderr = session.fails(&["user", "show", &id], 3);
    assert!(stderr.contains("IdentityNotFound"), "{stderr}");
}

#[test]
fn a_new_user_with_its_token_in_one_call() {
    let session = Session::new();
    let issued = session.json(&[
        "token",
        "issue",
        "--scope",
        "chat",
        "--custom-id",
        "bob",
        "--expires-in",
        "90",
    ]);
    assert_eq!(issued["customId"], "bob");
    assert!(
        (88..=90).contains(&minutes_until(&issued["expiresOn"])),
        "{issued}"
    );
    assert_eq!(session.emulator.identity_count().expect("count"), 1);
    let again = session.json(&["token", "issue", "--scope", "voip", "--custom-id", "bob"]);
    assert_eq!(again["userId"], issued["userId"]);
    assert!(
        (1438..=1440).contains(&minutes_until(&again["expiresOn"])),
        "24 hours by default: {again}"
    );
}

#[test]
fn text_output_is_name_value_lines_and_the_token_last() {
    let session = Session::new();
    let created = stdout(&session.acs(&["user", "create"]));
    let lines: Vec<&str> = created.lines().collect();
    assert_eq!(lines.len(), 2, "{created}");
    let id = lines[0]
        .strip_prefix("id: 8:acs:")
        .map(|rest| format!("8:acs:{rest}"))
        .expect("id line");
    assert_eq!(lines[1], "custom id: (none)");

    let issued = stdout(&session.acs(&["token", "issue", "--user", &id, "--scope", "chat"]));
    let lines: Vec<&str> = issued.lines().collect();
    assert_eq!(lines.len(), 4, "{issued}");
    assert_eq!(lines[0], format!("user id: {id}"));
    assert_eq!(lines[1], "scopes: chat");
    assert!(lines[2].starts_with("expires on: 20"), "{issued}");
    assert!(
        matches!(
            session.emulator.check_access_token(lines[3]),
            TokenStatus::Valid { .. }
        ),
        "the last line is the token"
    );

    let shown = stdout(&session.acs(&["user", "show", &id]));
    assert!(
        shown.starts_with(&format!(
            "id: {id}\ncustom id: (none)\nlast token issued at: 20"
        )),
        "{shown}"
    );
    assert_eq!(
        stdout(&session.acs(&["token", "revoke", &id])),
        format!("user id: {id}\nrevoked: true\n")
    );
    assert_eq!(
        stdout(&session.acs(&["user", "delete", &id])),
        format!("id: {id}\ndeleted: true\n")
    );
}

#[test]
fn the_connection_string_option_overrides_the_environment() {
    let session = Session::new();
    let mut command = command(
        Some("endpoint=http://127.0.0.1:1/;accesskey=c2VjcmV0"),
        &["user", "create"],
    );
    command.args(["--connection-string", &session.connection_string]);
    assert!(stdout(&run(command)).starts_with("id: 8:acs:"));
}

#[test]
fn teams_user_token_exchange() {
    let session = Session::new();
    let teams_user = EntraUser::teams_user(Uuid::new_v4(), Uuid::new_v4());
    let entra = session.emulator.issue_entra_user_token(&teams_user);
    let (app_id, user_id) = (
        teams_user.app_id.to_string(),
        teams_user.object_id.to_string(),
    );
    let exchange = |app_id: &str, output: &str| {
        session.acs(&[
            "token",
            "teams-user",
            "--token",
            entra.secret(),
            "--app-id",
            app_id,
            "--user-id",
            &user_id,
            "-o",
            output,
        ])
    };

    let output = exchange(&app_id, "json");
    let exchanged: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let token = exchanged["token"].as_str().expect("token");
    assert!(matches!(
        session.emulator.check_access_token(token),
        TokenStatus::Valid { .. }
    ));
    assert!(
        minutes_until(&exchanged["expiresOn"]) <= 60,
        "expires with the Entra token: {exchanged}"
    );

    let text = stdout(&exchange(&app_id, "text"));
    assert_eq!(text.lines().count(), 2, "{text}");

    // The token from the environment variable, which keeps it off the command line.
    let mut command = command(
        Some(&session.connection_string),
        &[
            "token",
            "teams-user",
            "--app-id",
            &app_id,
            "--user-id",
            &user_id,
        ],
    );
    command.env("COMMUNICATION_TEAMS_USER_TOKEN", entra.secret());
    stdout(&run(command));

    let stderr = expect_code(&exchange(&Uuid::new_v4().to_string(), "text"), 3);
    assert!(
        stderr.contains("ValidationError: AAD application is not the expected one."),
        "{stderr}"
    );
}

fn args(strings: &[String]) -> Vec<&str> {
    strings.iter().map(String::as_str).collect()
}

#[test]
fn teams_extension_assignments() {
    let session = Session::new();
    let (tenant, object, client) = (
        Uuid::new_v4().to_string(),
        Uuid::new_v4().to_string(),
        Uuid::new_v4().to_string(),
    );
    let key = [
        "--tenant-id",
        tenant.as_str(),
        "--object-id",
        object.as_str(),
    ];
    let assignment = |verb: &str, extra: &[&str]| -> Vec<String> {
        ["teams-extension", "assignment", verb]
            .iter()
            .chain(&key)
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };

    let set = session.json(&args(&assignment("set", &["--client-id", &client])));
    assert_eq!(
        set,
        serde_json::json!({"tenantId": tenant, "objectId": object, "principalType": "user", "clientIds": [client], "created": true})
    );
    let replaced = session.json(&args(&assignment(
        "set",
        &["--principal-type", "resourceAccount"],
    )));
    assert_eq!(
        (&replaced["principalType"], &replaced["created"]),
        (&Value::from("resourceAccount"), &Value::from(false))
    );
    let shown = session.json(&args(&assignment("show", &[])));
    assert_eq!(shown["principalType"], "resourceAccount");

    let deleted = session.json(&args(&assignment("delete", &[])));
    assert_eq!(
        deleted,
        serde_json::json!({"tenantId": tenant, "objectId": object, "deleted": true})
    );
    let stderr = session.fails(&args(&assignment("show", &[])), 3);
    assert!(stderr.contains("AssignmentNotFound"), "{stderr}");
}

#[test]
fn service_errors_exit_3_with_the_acs_code_and_message() {
    let session = Session::new();
    // Shaped like an ACS id (so the local check passes) but of another resource.
    let stderr = session.fails(&["user", "delete", "8:acs:not-an-identity"], 3);
    assert!(
        stderr.starts_with("acs-identity: error: ACS Identity service error 4"),
        "{stderr}"
    );

    let output = session.acs(&[
        "user",
        "delete",
        "8:acs:unknown_identity",
        "--output",
        "json",
    ]);
    let error: Value =
        serde_json::from_str(&expect_code(&output, 3)).expect("a JSON error on stderr");
    assert_eq!(error["error"]["kind"], "service");
    assert!(
        error["error"]["status"]
            .as_u64()
            .is_some_and(|status| (400..500).contains(&status)),
        "{error}"
    );
    assert!(
        error["error"]["code"].is_string() && error["error"]["serviceMessage"].is_string(),
        "{error}"
    );

    // Through the escape hatch, the service (here the emulator) judges an unknown scope.
    let stderr = session.fails(
        &[
            "token",
            "issue",
            "--scope",
            "galactic",
            "--allow-unknown-scope",
        ],
        3,
    );
    assert!(stderr.contains("ValidationError"), "{stderr}");
}

#[test]
fn invalid_input_and_configuration_exit_5_before_any_request() {
    let session = Session::new();
    let key = session.emulator.access_key().to_base64();
    let cases: &[(&[&str], &str)] = &[
        (
            &["token", "issue", "--scope", "chat", "--expires-in", "59m"],
            "60 to 1440",
        ),
        (
            &["token", "issue", "--scope", "chat", "--expires-in", "25h"],
            "60 to 1440",
        ),
        (
            &["token", "issue", "--scope", "chat", "--expires-in", "90s"],
            "whole number of minutes",
        ),
        (
            &["token", "issue", "--scope", "chat", "--expires-in", "soon"],
            "not a duration",
        ),
        (&["user", "create", "--custom-id", ""], "--custom-id"),
        (
            &["user", "show", "8:acs:x", "--api-version", "2020-01-01"],
            "unknown api-version",
        ),
        (
            &["user", "show", "8:acs:x", "--api-version", "2025-06-30"],
            "2025-03-02-preview",
        ),
        (
            &["user", "show", "8:acs:x", "--timeout", "forever"],
            "--timeout",
        ),
    ];
    for (args, message) in cases {
        let stderr = session.fails(args, 5);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert_eq!(
        session.emulator.requests().records().len(),
        0,
        "nothing reached the service"
    );

    let stderr = expect_code(&run(command(None, &["user", "create"])), 5);
    assert!(
        stderr.contains("COMMUNICATION_SERVICES_CONNECTION_STRING"),
        "{stderr}"
    );

    let malformed = format!("endpoint=not a url;accesskey={key}");
    let output = run(command(Some(&malformed), &["user", "create", "-o", "json"]));
    let stderr = expect_code(&output, 5);
    assert!(!stderr.contains(&key), "the key is never printed: {stderr}");
    let error: Value = serde_json::from_str(&stderr).expect("JSON");
    assert_eq!(error["error"]["kind"], "invalid");
}

#[test]
fn an_unreachable_service_exits_4() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    let connection_string = format!("endpoint=http://127.0.0.1:{closed_port}/;accesskey=c2VjcmV0");
    let started = Instant::now();
    let output = run(command(
        Some(&connection_string),
        &["user", "create", "--max-retries", "0"],
    ));
    let stderr = expect_code(&output, 4);
    assert!(stderr.contains("could not send the request"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    for args in [
        &["user", "frobnicate"][..],
        &["token", "issue"],
        &[
            "token",
            "issue",
            "--user",
            "u",
            "--custom-id",
            "c",
            "--scope",
            "chat",
        ],
        &["--output", "yaml", "user", "show", "x"],
        &[],
    ] {
        let output = run(command(None, args));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let help_of: &[&[&str]] = &[
        &[],
        &["user"],
        &["user", "create"],
        &["user", "show"],
        &["user", "delete"],
        &["token"],
        &["token", "issue"],
        &["token", "revoke"],
        &["token", "teams-user"],
        &["teams-extension"],
        &["teams-extension", "assignment"],
        &["teams-extension", "assignment", "show"],
        &["teams-extension", "assignment", "set"],
        &["teams-extension", "assignment", "delete"],
        &["emulator"],
    ];
    for args in help_of {
        let output = stdout(&run(command(None, &[args, &["--help"][..]].concat())));
        assert!(output.contains("Usage: acs-identity"), "{args:?}: {output}");
    }
    let help = stdout(&run(command(None, &["--help"])));
    for code in ["3  service", "4  network", "5  invalid input"] {
        assert!(help.contains(code), "{help}");
    }
}

/// The emulator subcommand as a child process: its first stdout line, read within [`LIMIT`].
fn start_emulator(args: &[&str]) -> (Child, String) {
    let mut child = command(None, &[&["emulator"], args].concat())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    match receiver.recv_timeout(LIMIT) {
        Ok(line) => (child, line.trim_end().to_owned()),
        Err(_) => {
            let _ = child.kill();
            panic!("the emulator printed no connection string");
        }
    }
}

#[test]
fn the_emulator_subcommand_serves_until_interrupted() {
    let (mut child, line) = start_emulator(&["--port", "0"]);
    assert!(
        line.starts_with("endpoint=http://127.0.0.1:") && line.contains(";accesskey="),
        "{line}"
    );
    let created = stdout(&run(command(
        Some(&line),
        &["user", "create", "--custom-id", "carol"],
    )));
    assert!(created.starts_with("id: 8:acs:"), "{created}");

    #[cfg(unix)]
    {
        let interrupted = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(interrupted.success());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                started.elapsed() < LIMIT,
                "the emulator did not stop on Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(0));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_emulator_subcommand_in_json_with_a_given_key_and_data_dir() {
    let data_dir = std::env::temp_dir().join(format!("acs-identity-cli-test-{}", Uuid::new_v4()));
    let key = "c2VjcmV0LWtleS1mb3ItdGhlLWVtdWxhdG9y";
    let (mut child, line) = start_emulator(&[
        "--access-key",
        key,
        "--data-dir",
        data_dir.to_str().expect("UTF-8"),
        "-o",
        "json",
    ]);
    let announced: Value = serde_json::from_str(&line).expect("JSON");
    let connection_string = announced["connectionString"]
        .as_str()
        .expect("connectionString");
    assert!(
        connection_string.ends_with(&format!(";accesskey={key}")),
        "{connection_string}"
    );
    assert!(connection_string.contains(announced["endpoint"].as_str().expect("endpoint")));
    stdout(&run(command(Some(connection_string), &["user", "create"])));
    let _ = child.kill();
    let _ = child.wait();
    assert!(data_dir.join(acs_identity_emulator::DATABASE_FILE).exists());
    let _ = std::fs::remove_dir_all(&data_dir);

    let stderr = expect_code(&run(command(None, &["emulator", "--access-key", "%%%"])), 5);
    assert!(stderr.contains("--access-key"), "{stderr}");
}

/// Checked before any request (the endpoint is a closed loopback port): exit code 5 and a hint.
#[test]
fn scopes_and_user_ids_are_checked_locally() {
    let offline = "endpoint=http://127.0.0.1:9/;accesskey=cGFzc3dvcmQ=";
    let cases: [(&[&str], &str); 3] = [
        (
            &["token", "issue", "--scope", "Chat"],
            "did you mean `chat`?",
        ),
        (
            &["token", "issue", "--scope", "chats"],
            "--allow-unknown-scope",
        ),
        (&["user", "show", "alice"], "is not an ACS user id"),
    ];
    for (args, hint) in cases {
        let output = run(command(Some(offline), args));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(5), "{args:?}: {stderr}");
        assert!(stderr.contains(hint), "{args:?}: {stderr}");
    }
    // The escape hatch sends the scope: the closed port then fails with a network error (4).
    let output = run(command(
        Some(offline),
        &[
            "token",
            "issue",
            "--scope",
            "future.scope",
            "--allow-unknown-scope",
        ],
    ));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("at http://127.0.0.1:9 ("), "{stderr}");
}

#[test]
fn each_help_lists_only_the_options_that_apply() {
    let emulator = stdout(&run(command(None, &["emulator", "--help"])));
    for flag in [
        "--host",
        "--port",
        "--access-key",
        "--data-dir",
        "--resource-id",
        "--tls",
        "--tls-cert-out",
        "--entra-client-id",
        "--entra-client-secret",
        "--log-level",
        "--quiet",
    ] {
        assert!(emulator.contains(flag), "{flag} missing:\n{emulator}");
    }
    for flag in [
        "--connection-string",
        "--api-version",
        "--max-retries",
        "--timeout",
    ] {
        assert!(
            !emulator.contains(flag),
            "{flag} in emulator --help:\n{emulator}"
        );
    }
    let create = stdout(&run(command(None, &["user", "create", "--help"])));
    for flag in [
        "--connection-string",
        "--api-version",
        "--max-retries",
        "--timeout",
        "--custom-id",
    ] {
        assert!(create.contains(flag), "{flag} missing:\n{create}");
    }
    for flag in ["--data-dir", "--tls", "--scope"] {
        assert!(
            !create.contains(flag),
            "{flag} in user create --help:\n{create}"
        );
    }
    // The emulator's flags are checked like the binary's: --tls-cert-out needs --tls.
    let output = run(command(None, &["emulator", "--tls-cert-out", "/tmp/x.pem"]));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&run(command(None, &["completions", shell])));
        assert!(script.contains("acs-identity"), "{shell}");
        assert!(
            script.contains("emulator") && script.contains("expires-in"),
            "{shell}"
        );
    }
    let output = run(command(None, &["completions", "tcsh"]));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn compound_durations() {
    let session = Session::new();
    let issued = session.json(&["token", "issue", "--scope", "chat", "--expires-in", "1h30m"]);
    assert!(issued.is_object(), "{issued}");
    let created = session.json(&["user", "create", "--timeout", "1m 30s"]);
    assert!(created.is_object(), "{created}");
    let stderr = session.fails(
        &["token", "issue", "--scope", "chat", "--expires-in", "1h30s"],
        5,
    );
    assert!(stderr.contains("--expires-in 1h30s"), "{stderr}");
    let stderr = session.fails(&["user", "create", "--timeout", "soon"], 5);
    assert!(stderr.contains("1h30m"), "{stderr}");
}

#[test]
fn quiet_keeps_errors_only() {
    let session = Session::new();
    let output = session.acs(&["--quiet", "user", "create"]);
    assert_success(&output);
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = session.fails(&["-q", "user", "show", "not-an-id"], 5);
    assert!(!stderr.is_empty());
    let output = run(command(None, &["-q", "-v", "user", "create"]));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn verbose_logs_requests_and_retries_without_secrets() {
    // Nothing listens on port 1: the attempt fails, is retried once, and both are logged.
    let unreachable = "endpoint=http://127.0.0.1:1/;accesskey=c2VjcmV0c2VjcmV0";
    let mut unreachable_command = command(
        Some(unreachable),
        &["-v", "user", "show", "8:acs:r_u", "--max-retries", "1"],
    );
    unreachable_command.env_remove("RUST_LOG");
    let output = run(unreachable_command);
    let stderr = expect_code(&output, 4);
    assert!(stderr.contains("sending request"), "{stderr}");
    assert!(stderr.contains("retrying"), "{stderr}");
    assert!(!stderr.contains("Signature="), "{stderr}");
    assert!(!stderr.contains("c2VjcmV0c2VjcmV0"), "{stderr}");

    let session = Session::new();
    for verbosity in [&["-vv"][..], &[]] {
        let mut command = command(
            Some(&session.connection_string),
            &[
                verbosity,
                &["token", "issue", "--scope", "chat", "-o", "json"],
            ]
            .concat(),
        );
        if verbosity.is_empty() {
            command.env("RUST_LOG", "trace");
        } else {
            command.env_remove("RUST_LOG");
        }
        let output = run(command);
        assert_success(&output);
        let issued: Value = serde_json::from_slice(&output.stdout).unwrap();
        let token = issued["token"].as_str().expect("token");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("received response"), "{stderr}");
        // No hex dump of the wire (ureq_proto is capped at debug), so neither the token nor the signature.
        assert!(!stderr.contains(token), "the token was logged");
        assert!(!stderr.contains("Signature="), "{stderr}");
        let key = session
            .connection_string
            .split("accesskey=")
            .nth(1)
            .unwrap();
        assert!(
            !stderr.contains(key.trim_end_matches(';')),
            "the key was logged"
        );
    }
}
