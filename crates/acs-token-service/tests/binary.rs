//! The `acs-token-service` binary: `--check-config`, `--dev` with the commands it prints, and SIGTERM in the
//! middle of a request.

mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use acs_identity_emulator::{Emulator, Fault, FaultRule, Operation, SignInUser};

const BINARY: &str = env!("CARGO_BIN_EXE_acs-token-service");

fn example_config() -> String {
    format!("{}/token-service.example.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_config_accepts_the_example_and_lists_every_problem_otherwise() {
    let output = Command::new(BINARY)
        .args(["--check-config", &example_config()])
        .env(
            "COMMUNICATION_SERVICES_CONNECTION_STRING",
            "endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0",
        )
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("valid (4 issuers"));

    let dir = std::env::temp_dir().join(format!("acs-token-service-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[issuers]]\nissuer = \"https://i.example.com\"\n[policy.default]\nscopes = [\"Voip\"]\n",
    )
    .unwrap();
    let output = Command::new(BINARY)
        .args(["--check-config", bad.to_str().unwrap()])
        .env_remove("COMMUNICATION_SERVICES_CONNECTION_STRING")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "3 problems",
        "acs: set acs.connection_string",
        "issuers[0].audiences",
        "did you mean \"voip\"?",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Lines of a child's stdout, as they come.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the service did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn dev_mode_prints_commands_that_work_as_printed() {
    let mut child = Command::new(BINARY)
        .args(["--dev", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let lines = lines(&mut child);
    let mut printed = Vec::new();
    while !printed
        .iter()
        .any(|line: &String| line.contains("Stop with Ctrl-C"))
    {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the instructions within 30 s");
        printed.push(line);
    }
    let commands: Vec<&str> = printed
        .iter()
        .map(|line| line.trim())
        .filter(|line| line.starts_with("TOKEN=") || line.starts_with("curl "))
        .collect();
    assert_eq!(commands.len(), 2, "{printed:#?}");
    let script = commands.join("\n");
    let output = Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh");
    let answer = String::from_utf8_lossy(&output.stdout).into_owned();
    let body: serde_json::Value =
        serde_json::from_str(&answer).unwrap_or_else(|_| panic!("{answer}"));
    assert_eq!(body["scopes"], serde_json::json!(["chat"]), "{body}");
    let acs_token = body["token"].as_str().expect("token").to_owned();
    assert!(body["customId"].as_str().unwrap().ends_with("|alice"));

    terminate(&child);
    let status = wait_exit(&mut child, Duration::from_secs(20));
    assert!(status.success(), "{status}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("acs-token-service listening"), "{stderr}");
    // Even at debug, the ACS token it issued is in no log line.
    assert!(!stderr.contains(&acs_token), "the ACS token was logged");
    assert!(!stderr.contains(&acs_token[..40]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_request_loses_no_response() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let dir =
        std::env::temp_dir().join(format!("acs-token-service-sigterm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let toml = common::config_toml(&emulator, "", "[server]\nlisten = \"127.0.0.1:0\"\n");
    std::fs::write(&config, toml).unwrap();
    let mut child = Command::new(BINARY)
        .args(["--config", config.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The address is in the log line `acs-token-service listening address=...`.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let address = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("listening within 30 s");
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let url = format!("http://{address}");

    // The next ACS call takes 1.5 s; SIGTERM arrives while the service waits for it.
    emulator.faults().push(
        FaultRule::next(1, Fault::Latency(Duration::from_millis(1500)))
            .only(Operation::CreateIdentity),
    );
    let token = emulator
        .sign_in(&SignInUser::with_subject("alice"))
        .unwrap()
        .secret()
        .to_owned();
    let http = common::http_client();
    let request = tokio::spawn({
        let http = http.clone();
        let url = url.clone();
        async move {
            http.post(format!("{url}/token"))
                .bearer_auth(token)
                .json(&serde_json::json!({"scopes": ["chat"]}))
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    terminate(&child);
    let response = request
        .await
        .unwrap()
        .expect("the in-flight request was answered");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["token"].is_string());
    let status =
        tokio::task::spawn_blocking(move || wait_exit(&mut child, Duration::from_secs(20)))
            .await
            .unwrap();
    assert!(status.success(), "{status}");
    // Once it stopped, nothing listens there any more.
    assert!(http.get(format!("{url}/healthz")).send().await.is_err());
    std::fs::remove_dir_all(&dir).ok();
}
