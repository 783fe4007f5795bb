//! `cargo xtask interop`: the official SDKs against the emulator.
//!
//! Installs the pinned official SDKs into `<target>/interop` (reused while the pins are unchanged): the Python
//! one from `xtask/interop/requirements.txt` into a venv, the JS one with `npm ci` from
//! `xtask/interop/js/package-lock.json`. Builds the emulator, starts it twice (plain http, then https with a
//! self-signed certificate) and runs each script of `xtask/interop/` against it; a script drives its SDK at the
//! SDK's default api-version and at every api-version it accepts (`xtask/interop/README.md` lists them). A
//! script prints `plan N`, one `ok <check>` line per check and stops at its first `FAIL <check>: <why>`. Every
//! child process is bounded in time, the emulator is killed whatever happens, and the command fails if any script
//! did.
//!
//! `cargo xtask bench` reuses the installs, the emulator launcher and the bounded child processes.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead as _, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

const USAGE: &str = "usage: cargo xtask interop

Installs the official Python (azure-communication-identity) and JS (@azure/communication-identity) SDKs at
the versions pinned in xtask/interop/ into <target>/interop, starts the emulator over http and over https, and
runs every operation of each SDK against it, at the SDK's default api-version and at every one it accepts. Needs python3 (with venv) and node + npm, and PyPI and npm for the
first install.";

const VENV_TIMEOUT: Duration = Duration::from_secs(120);
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);
const BUILD_TIMEOUT: Duration = Duration::from_secs(1800);
const EMULATOR_START_TIMEOUT: Duration = Duration::from_secs(30);
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
/// How long output still drains after a child ended (a grandchild may hold its pipes).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The emulator's TLS certificate, as written by `--tls-cert-out`.
const CERT_FILE: &str = "emulator-cert.pem";

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Transport {
    Http,
    Https,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// One SDK flavour and the script that drives it.
struct Sdk {
    name: &'static str,
    script: &'static str,
    runtime: Runtime,
}

#[derive(Clone, Copy)]
enum Runtime {
    Python,
    Node,
}

const SDKS: [Sdk; 3] = [
    Sdk {
        name: "python sync",
        script: "identity_sync.py",
        runtime: Runtime::Python,
    },
    Sdk {
        name: "python async",
        script: "identity_async.py",
        runtime: Runtime::Python,
    },
    Sdk {
        name: "js",
        script: "identity.mjs",
        runtime: Runtime::Node,
    },
];

/// What one script run achieved, for the summary table.
struct RunResult {
    sdk: &'static str,
    transport: Transport,
    passed: usize,
    planned: Option<usize>,
    failure: Option<String>,
    elapsed: Duration,
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return Ok(());
        }
        Some(other) => bail!("unknown argument `{other}`\n\n{USAGE}"),
    }
    let started = Instant::now();
    let workspace = workspace_root()?;
    let target = target_dir(&workspace)?;
    let dir = target.join("interop");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let scripts = workspace.join("xtask").join("interop");

    let python = install_python(&scripts, &dir.join("py"))?;
    let js = install_js(&scripts, &dir.join("js"))?;
    let emulator = build_emulator(&workspace, &target)?;

    let mut results = Vec::new();
    for transport in [Transport::Http, Transport::Https] {
        let server = Emulator::start(&emulator, transport, &dir)?;
        for sdk in &SDKS {
            let mut command = match sdk.runtime {
                Runtime::Python => {
                    let mut command = Command::new(&python);
                    command.arg(scripts.join(sdk.script));
                    command
                }
                Runtime::Node => {
                    // ESM resolves packages next to the script, so it runs beside the installed node_modules.
                    let copy = js.join(sdk.script);
                    fs::copy(scripts.join(sdk.script), &copy).context("copying the JS script")?;
                    let mut command = Command::new("node");
                    command.arg(copy).current_dir(&js);
                    command
                }
            };
            server.configure(&mut command);
            results.push(run_script(sdk.name, transport, &mut command)?);
        }
    }
    print_summary(&results, started.elapsed());
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    if failed > 0 {
        bail!(
            "{failed} of {} interop runs failed (their output is above)",
            results.len()
        );
    }
    Ok(())
}

pub(crate) fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

/// The workspace's target dir as cargo sees it (so `CARGO_TARGET_DIR` and config are respected).
pub(crate) fn target_dir(workspace: &Path) -> Result<PathBuf> {
    let mut command = cargo_command();
    command
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace);
    let output = run_bounded(&mut command, Duration::from_secs(60), None)?;
    output.check("cargo metadata")?;
    let metadata: serde_json::Value =
        serde_json::from_str(&output.stdout).context("parsing `cargo metadata`")?;
    let target = metadata["target_directory"]
        .as_str()
        .context("`cargo metadata` has no target_directory")?;
    Ok(PathBuf::from(target))
}

pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// `cargo` for a nested invocation, without the variables `cargo run` (how `cargo xtask` starts) set for
/// xtask itself: `CARGO_MANIFEST_DIR`, `CARGO_PKG_*` and the like. A build script that declares
/// `rerun-if-env-changed` on one of them (ring does, on `CARGO_MANIFEST_DIR`) would otherwise be rerun, and its
/// crate and all that depend on it rebuilt, by every nested build and again by the next plain `cargo build`.
pub(crate) fn cargo_command() -> Command {
    let mut command = Command::new(cargo());
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let set_by_cargo_run = name.starts_with("CARGO_PKG_")
            || matches!(
                name,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            );
        if set_by_cargo_run {
            command.env_remove(name);
        }
    }
    command
}

/// A venv with the pinned requirements; reused while its stamp (a copy of the requirements) matches.
pub(crate) fn install_python(scripts: &Path, venv: &Path) -> Result<PathBuf> {
    let t = Instant::now();
    let requirements = scripts.join("requirements.txt");
    let pins =
        fs::read_to_string(&requirements).context("reading xtask/interop/requirements.txt")?;
    let python = venv.join(if cfg!(windows) {
        "Scripts/python.exe"
    } else {
        "bin/python"
    });
    let stamp = venv.join("interop-requirements.txt");
    let versions = format!(
        "azure-communication-identity {}",
        pinned_python(&pins, "azure-communication-identity")
    );
    if python.exists() && fs::read_to_string(&stamp).is_ok_and(|s| s == pins) {
        eprintln!("==> python SDK: reusing {} ({versions})", venv.display());
        return Ok(python);
    }
    eprintln!(
        "==> python SDK: installing {versions} into {} (from PyPI)",
        venv.display()
    );
    if venv.exists() {
        fs::remove_dir_all(venv)
            .with_context(|| format!("removing the stale {}", venv.display()))?;
    }
    let system_python = if cfg!(windows) { "python" } else { "python3" };
    let mut command = Command::new(system_python);
    command.args(["-m", "venv"]).arg(venv);
    run_bounded(&mut command, VENV_TIMEOUT, None)?.check("python3 -m venv")?;
    let mut command = Command::new(&python);
    command
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "-q",
            "-r",
        ])
        .arg(&requirements);
    run_bounded(&mut command, INSTALL_TIMEOUT, None)?.check("pip install")?;
    fs::write(&stamp, pins).context("writing the venv stamp")?;
    eprintln!("    installed in {:.1}s", t.elapsed().as_secs_f64());
    Ok(python)
}

fn pinned_python(pins: &str, package: &str) -> String {
    pins.lines()
        .find_map(|line| line.strip_prefix(package)?.strip_prefix("=="))
        .unwrap_or("?")
        .to_owned()
}

/// `npm ci` from the committed lock file; reused while its stamp (a copy of the lock) matches.
pub(crate) fn install_js(scripts: &Path, dir: &Path) -> Result<PathBuf> {
    let t = Instant::now();
    let source = scripts.join("js");
    let lock =
        fs::read_to_string(source.join("package-lock.json")).context("reading the JS lock file")?;
    let stamp = dir.join("node_modules").join(".interop-package-lock.json");
    let versions = pinned_js(&lock)?;
    if fs::read_to_string(&stamp).is_ok_and(|s| s == lock) {
        eprintln!("==> JS SDK: reusing {} ({versions})", dir.display());
        return Ok(dir.to_path_buf());
    }
    eprintln!(
        "==> JS SDK: installing {versions} into {} (npm ci)",
        dir.display()
    );
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for file in ["package.json", "package-lock.json"] {
        fs::copy(source.join(file), dir.join(file)).with_context(|| format!("copying {file}"))?;
    }
    let mut command = Command::new("npm");
    command
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .current_dir(dir);
    run_bounded(&mut command, INSTALL_TIMEOUT, None)?.check("npm ci")?;
    fs::write(&stamp, lock).context("writing the node_modules stamp")?;
    eprintln!("    installed in {:.1}s", t.elapsed().as_secs_f64());
    Ok(dir.to_path_buf())
}

fn pinned_js(lock: &str) -> Result<String> {
    let lock: serde_json::Value = serde_json::from_str(lock).context("parsing the JS lock file")?;
    let version = |name: &str| {
        lock["packages"][format!("node_modules/{name}")]["version"]
            .as_str()
            .unwrap_or("?")
            .to_owned()
    };
    Ok(format!(
        "@azure/communication-identity {}, @azure/core-rest-pipeline {}",
        version("@azure/communication-identity"),
        version("@azure/core-rest-pipeline")
    ))
}

fn build_emulator(workspace: &Path, target: &Path) -> Result<PathBuf> {
    let t = Instant::now();
    println!("==> emulator: cargo build -p acs-identity-emulator");
    let mut command = cargo_command();
    command
        .args([
            "build",
            "-p",
            "acs-identity-emulator",
            "--bin",
            "acs-identity-emulator",
        ])
        .current_dir(workspace)
        .stdin(Stdio::null());
    // Cargo's own progress goes straight to the terminal.
    let mut child = command.spawn().context("starting cargo build")?;
    let status = wait_bounded(&mut child, BUILD_TIMEOUT)?.context("cargo build timed out")?;
    if !status.success() {
        bail!("cargo build -p acs-identity-emulator failed ({status})");
    }
    let binary = target.join("debug").join(format!(
        "acs-identity-emulator{}",
        std::env::consts::EXE_SUFFIX
    ));
    println!(
        "    built in {:.1}s: {}",
        t.elapsed().as_secs_f64(),
        binary.display()
    );
    Ok(binary)
}

/// A running emulator; dropping it kills the process.
pub(crate) struct Emulator {
    child: Child,
    transport: Transport,
    connection_string: String,
    cert: Option<PathBuf>,
    /// Its stderr: what it says about itself (issuer, client id) and its log.
    log: PathBuf,
}

impl Emulator {
    /// Starts the emulator as users get it: RS256 tokens of the real shape (interop).
    pub(crate) fn start(binary: &Path, transport: Transport, dir: &Path) -> Result<Self> {
        Self::start_with(binary, transport, dir, &[])
    }

    /// Starts the emulator with extra flags (the bench's `--fast-tokens`).
    pub(crate) fn start_with(
        binary: &Path,
        transport: Transport,
        dir: &Path,
        flags: &[&str],
    ) -> Result<Self> {
        let name = transport.name();
        let stdout_path = dir.join(format!("emulator-{name}.stdout"));
        let log_path = dir.join(format!("emulator-{name}.log"));
        let mut command = Command::new(binary);
        command
            .args(["--port", "0"])
            .args(flags)
            .stdin(Stdio::null());
        let cert = (transport == Transport::Https).then(|| dir.join(CERT_FILE));
        if let Some(cert) = &cert {
            let _ = fs::remove_file(cert);
            command.arg("--tls").arg("--tls-cert-out").arg(cert);
        }
        // Output goes to files: nothing can block on a full pipe, and the log stays for a post-mortem.
        command
            .stdout(fs::File::create(&stdout_path)?)
            .stderr(fs::File::create(&log_path)?);
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Self {
            child,
            transport,
            connection_string: String::new(),
            cert,
            log: log_path.clone(),
        };
        server.connection_string = server.first_line(&stdout_path, &log_path)?;
        if let Some(cert) = &server.cert
            && !cert.exists()
        {
            bail!(
                "the emulator started with --tls but wrote no certificate to {}",
                cert.display()
            );
        }
        let endpoint = server
            .connection_string
            .split(';')
            .next()
            .unwrap_or_default();
        eprintln!(
            "==> emulator over {name}: {endpoint} (log: {})",
            log_path.display()
        );
        Ok(server)
    }

    /// The connection string: the first stdout line.
    fn first_line(&mut self, stdout_path: &Path, log_path: &Path) -> Result<String> {
        let deadline = Instant::now() + EMULATOR_START_TIMEOUT;
        loop {
            let text = fs::read_to_string(stdout_path).unwrap_or_default();
            if let Some((line, _)) = text.split_once('\n') {
                let line = line.trim();
                let scheme = format!("endpoint={}://", self.transport.name());
                if !line.to_ascii_lowercase().starts_with(&scheme)
                    || !line.to_ascii_lowercase().contains("accesskey=")
                {
                    bail!(
                        "the emulator's first line is not a connection string `{scheme}...;accesskey=...`: {line:?}"
                    );
                }
                return Ok(line.to_owned());
            }
            if let Some(status) = self.child.try_wait()? {
                let log = fs::read_to_string(log_path).unwrap_or_default();
                bail!(
                    "the emulator exited ({status}) before printing its connection string:\n{log}"
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "the emulator printed no connection string within {EMULATOR_START_TIMEOUT:?}"
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The value of the `<label> <value>` word on the emulator's stderr (e.g. `oidc issuer:`), as it
    /// describes itself at start.
    pub(crate) fn described(&self, label: &str) -> Result<String> {
        let log = fs::read_to_string(&self.log)
            .with_context(|| format!("reading {}", self.log.display()))?;
        log.lines()
            .find_map(|line| line.split_once(label))
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .map(str::to_owned)
            .with_context(|| format!("the emulator's log has no `{label}`"))
    }

    /// The connection string it printed.
    pub(crate) fn connection_string(&self) -> &str {
        &self.connection_string
    }

    /// The emulator's process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// The environment a script needs to reach this emulator.
    pub(crate) fn configure(&self, command: &mut Command) {
        command
            .env("ACS_CONNECTION_STRING", &self.connection_string)
            .env("INTEROP_TRANSPORT", self.transport.name())
            // The emulator is on loopback: never through a proxy.
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            // Keep __pycache__ out of the source tree.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONUNBUFFERED", "1");
        if let Some(cert) = &self.cert {
            // requests (sync), ssl's default context (aiohttp) and Node each read their own variable.
            command
                .env("REQUESTS_CA_BUNDLE", cert)
                .env("SSL_CERT_FILE", cert)
                .env("NODE_EXTRA_CA_CERTS", cert);
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_script(sdk: &'static str, transport: Transport, command: &mut Command) -> Result<RunResult> {
    let label = format!("{sdk} {}", transport.name());
    println!("==> {label}");
    let started = Instant::now();
    let output = run_bounded(command, SCRIPT_TIMEOUT, Some(&label))?;
    let elapsed = started.elapsed();
    let planned = output
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("plan ")?.trim().parse().ok());
    let passed = output
        .stdout
        .lines()
        .filter(|l| l.starts_with("ok "))
        .count();
    let first_fail = output
        .stdout
        .lines()
        .find(|l| l.starts_with("FAIL "))
        .map(str::to_owned);
    let failure = match output.status {
        None => Some(format!("timed out after {SCRIPT_TIMEOUT:?}")),
        Some(status) if !status.success() => {
            Some(first_fail.unwrap_or_else(|| format!("exited with {status}")))
        }
        Some(_) if planned != Some(passed) => {
            Some(format!("passed {passed} checks of {planned:?}"))
        }
        Some(_) => None,
    };
    Ok(RunResult {
        sdk,
        transport,
        passed,
        planned,
        failure,
        elapsed,
    })
}

fn print_summary(results: &[RunResult], elapsed: Duration) {
    let mut table = String::from("\nSDK            transport  checks  time    result\n");
    for r in results {
        let checks = format!(
            "{}/{}",
            r.passed,
            r.planned.map_or("?".to_owned(), |n| n.to_string())
        );
        let result = r.failure.as_deref().unwrap_or("ok");
        let time = format!("{:.1}s", r.elapsed.as_secs_f64());
        let _ = writeln!(
            table,
            "{:<14} {:<10} {:<7} {time:<7} {result}",
            r.sdk,
            r.transport.name(),
            checks
        );
    }
    let _ = write!(table, "({:.1}s in all)", elapsed.as_secs_f64());
    println!("{table}");
}

/// A finished (or timed-out, `status: None`) child's output.
pub(crate) struct Output {
    pub(crate) status: Option<ExitStatus>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    pub(crate) fn check(&self, what: &str) -> Result<()> {
        match self.status {
            Some(status) if status.success() => Ok(()),
            Some(status) => bail!("{what} failed ({status}):\n{}{}", self.stdout, self.stderr),
            None => bail!("{what} timed out:\n{}{}", self.stdout, self.stderr),
        }
    }
}

/// Runs a child with a deadline, capturing its output; with `echo`, each line is also printed as it comes.
pub(crate) fn run_bounded(
    command: &mut Command,
    timeout: Duration,
    echo: Option<&str>,
) -> Result<Output> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
    let (sender, lines) = mpsc::channel();
    for (is_err, pipe) in [
        (
            false,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            true,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ] {
        let (Some(pipe), sender) = (pipe, sender.clone()) else {
            continue;
        };
        thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let _ = sender.send((is_err, String::from_utf8_lossy(&line).into_owned()));
                line.clear();
            }
        });
    }
    drop(sender);
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let deadline = Instant::now() + timeout;
    let mut status = None;
    let mut drain_until = None;
    loop {
        match lines.recv_timeout(Duration::from_millis(50)) {
            Ok((is_err, line)) => {
                if let Some(label) = echo {
                    print!("  [{label}] {line}");
                    if !line.ends_with('\n') {
                        println!();
                    }
                }
                if is_err { &mut stderr } else { &mut stdout }.push_str(&line);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) if status.is_some() => break,
            // Both pipes closed but the child still runs: poll without spinning.
            Err(mpsc::RecvTimeoutError::Disconnected) => thread::sleep(Duration::from_millis(50)),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if status.is_none() {
            if let Some(exit) = child.try_wait()? {
                status = Some(exit);
                drain_until = Some(Instant::now() + DRAIN_GRACE);
            } else if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(Output {
                    status: None,
                    stdout,
                    stderr,
                });
            }
        } else if drain_until.is_some_and(|t| Instant::now() > t) {
            break;
        }
    }
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Waits for a child whose output is not captured; kills it at the deadline (`Ok(None)`).
pub(crate) fn wait_bounded(child: &mut Child, timeout: Duration) -> Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn run_bounded_captures_both_streams_and_the_status() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo out; echo err >&2; exit 3"]);
        let output = run_bounded(&mut command, Duration::from_secs(20), None).unwrap();
        assert_eq!(output.status.and_then(|s| s.code()), Some(3));
        assert_eq!(output.stdout, "out\n");
        assert_eq!(output.stderr, "err\n");
        assert!(output.check("sh").is_err());
    }

    #[test]
    fn run_bounded_kills_a_child_past_its_deadline() {
        let started = Instant::now();
        let mut command = Command::new("sh");
        command.args(["-c", "echo started; exec sleep 30"]);
        let output = run_bounded(&mut command, Duration::from_millis(500), None).unwrap();
        assert!(output.status.is_none());
        assert_eq!(output.stdout, "started\n");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn nested_cargo_runs_without_the_variables_cargo_run_set_for_xtask() {
        // `cargo test` sets them for this test binary as `cargo run` does for xtask.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        let command = cargo_command();
        let removed: Vec<_> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .filter_map(|(name, _)| name.to_str())
            .collect();
        assert!(removed.contains(&"CARGO_MANIFEST_DIR"), "{removed:?}");
        assert!(removed.contains(&"CARGO_PKG_NAME"), "{removed:?}");
        assert!(!removed.iter().any(|name| name.starts_with("CARGO_HOME")));
    }

    #[test]
    fn pins_are_read_from_the_committed_files() {
        let scripts = workspace_root().unwrap().join("xtask").join("interop");
        let pins = fs::read_to_string(scripts.join("requirements.txt")).unwrap();
        assert_eq!(
            pinned_python(&pins, "azure-communication-identity"),
            "1.5.0"
        );
        let lock = fs::read_to_string(scripts.join("js").join("package-lock.json")).unwrap();
        assert!(
            pinned_js(&lock)
                .unwrap()
                .starts_with("@azure/communication-identity 1.3.1,")
        );
    }
}
