//! `cargo xtask bench`: our clients and the official SDKs issuing access tokens against one emulator.
//!
//! Builds the emulator and `bench-client` (release), installs the official SDKs exactly as `cargo xtask
//! interop` does (same pins, same `<target>/interop`), starts one emulator on loopback and runs each mode in a
//! process of its own: the client makes its warm-up calls, then the measured ones, and prints one JSON line
//! (calls, errors, elapsed, its own CPU time during the measured calls, peak RSS, latency percentiles). The
//! emulator's CPU time is read from `/proc` around each run. `--micro` runs the criterion benches instead.

mod micro;
mod report;
mod service;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::interop::{self, Emulator, Transport};

const USAGE: &str = "usage: cargo xtask bench [--count N] [--warmup N] [--rounds N] [--max-seconds S] [--only TEXT] [--rs256-tokens] [--json]
       cargo xtask bench --micro [--json]

Side by side: starts ONE emulator (release build) on loopback and issues N access tokens (default 5000) per
mode, each client in its own process, after a warm-up (default 500 calls, not measured): our async client
(acs-identity) with 1 and 16 calls in flight, our blocking client (acs-identity-blocking) with 1 and 16
threads, the official Python SDK (sync, sync with 16 threads, async with 16 in flight) and the official JS
SDK (1 and 16 in flight), installed at the versions pinned in xtask/interop/ as `cargo xtask interop` does,
and `service-16`, `service-cache-16`, `service-redis-16`: tokens asked of acs-token-service (release, its
own process, trusting the emulator's OpenID issuer) without a token cache, with its in-memory cache and with
the cache in a redis-server it starts on loopback; the service's CPU per request (sign-in, policy, the ACS
call) is set beside our bare client's, and the cache modes report their hit ratio and the ACS calls saved.
Reports ops/s, client CPU per call (user + system of the client process, measured calls only), p50/p99
latency, peak RSS, the emulator's CPU per request, and the ratios ours/theirs. Every mode runs --rounds times
(default 3), the rounds one after the other, and each number is the median over the rounds. Each run stops
after --max-seconds (default 60) of calls. --only runs the modes whose key contains TEXT (e.g. `ours`, `js`;
several, comma-separated: `ours-async-16,service`). The emulator signs its tokens with HS256
(`--fast-tokens`), so that it is not the bottleneck; --rs256-tokens keeps the real RS256 tokens instead.

--micro runs the criterion benches of acs-identity-types, acs-auth and acs-identity-core (`cargo bench`,
shortened measurement) and summarises them. --json prints the results as JSON on stdout instead of tables.";

const DEFAULT_COUNT: usize = 5_000;
const DEFAULT_WARMUP: usize = 500;
const DEFAULT_MAX_SECONDS: u64 = 60;
const DEFAULT_ROUNDS: usize = 3;
/// Start-up, imports, user creation and the warm-up come on top of a mode's limit for its measured calls.
const STARTUP_ALLOWANCE: Duration = Duration::from_secs(60);
const BUILD_TIMEOUT: Duration = Duration::from_secs(1800);

/// The program that runs a mode.
#[derive(Clone, Copy)]
enum Runner {
    /// `bench-client <async|blocking>`.
    Ours(&'static str),
    /// `xtask/bench/bench_identity.py <sync|async>`.
    Python(&'static str),
    /// `xtask/bench/bench_identity.mjs`.
    Node,
    /// `bench-client raw`: no client, one pre-signed request replayed, to load the emulator alone.
    Raw,
    /// `bench-client service`: tokens from `acs-token-service` (which calls the emulator), with this cache.
    Service(service::Cache),
}

/// One client, driven one way.
pub(crate) struct Mode {
    /// Stable id, used in the JSON and by `--only`.
    pub(crate) key: &'static str,
    pub(crate) client: &'static str,
    pub(crate) how: &'static str,
    pub(crate) ours: bool,
    runner: Runner,
    concurrency: usize,
}

const fn mode(
    key: &'static str,
    client: &'static str,
    how: &'static str,
    runner: Runner,
    concurrency: usize,
) -> Mode {
    let ours = matches!(runner, Runner::Ours(_));
    Mode {
        key,
        client,
        how,
        ours,
        runner,
        concurrency,
    }
}

pub(crate) static MODES: [Mode; 13] = [
    mode(
        "ours-async-1",
        "acs-identity",
        "async, 1 in flight",
        Runner::Ours("async"),
        1,
    ),
    mode(
        "ours-async-16",
        "acs-identity",
        "async, 16 in flight",
        Runner::Ours("async"),
        16,
    ),
    mode(
        "ours-blocking-1",
        "acs-identity-blocking",
        "sequential",
        Runner::Ours("blocking"),
        1,
    ),
    mode(
        "ours-blocking-16",
        "acs-identity-blocking",
        "16 threads",
        Runner::Ours("blocking"),
        16,
    ),
    mode(
        "python-sync-1",
        "python (requests)",
        "sequential",
        Runner::Python("sync"),
        1,
    ),
    mode(
        "python-sync-16",
        "python (requests)",
        "16 threads",
        Runner::Python("sync"),
        16,
    ),
    mode(
        "python-async-16",
        "python (aiohttp)",
        "async, 16 in flight",
        Runner::Python("async"),
        16,
    ),
    mode("js-1", "js", "1 in flight", Runner::Node, 1),
    mode("js-16", "js", "16 in flight", Runner::Node, 16),
    mode(
        "emulator-16",
        "emulator alone",
        "16 connections replaying one signed request",
        Runner::Raw,
        16,
    ),
    mode(
        "service-16",
        "acs-token-service",
        "16 in flight: sign-in, policy, ACS call",
        Runner::Service(service::Cache::None),
        16,
    ),
    mode(
        "service-cache-16",
        "acs-token-service",
        "16 in flight, token cache in memory",
        Runner::Service(service::Cache::Memory),
        16,
    ),
    mode(
        "service-redis-16",
        "acs-token-service",
        "16 in flight, token cache in Redis",
        Runner::Service(service::Cache::Redis),
        16,
    ),
];

pub(crate) struct Options {
    pub(crate) count: usize,
    pub(crate) warmup: usize,
    pub(crate) rounds: usize,
    max_seconds: u64,
    only: Option<String>,
    json: bool,
    micro: bool,
    rs256_tokens: bool,
}

pub(crate) fn parse_options(args: &[String]) -> Result<Option<Options>> {
    let mut options = Options {
        count: DEFAULT_COUNT,
        warmup: DEFAULT_WARMUP,
        rounds: DEFAULT_ROUNDS,
        max_seconds: DEFAULT_MAX_SECONDS,
        only: None,
        json: false,
        micro: false,
        rs256_tokens: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .with_context(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--json" => options.json = true,
            "--micro" => options.micro = true,
            "--rs256-tokens" => options.rs256_tokens = true,
            "--count" => options.count = value("--count")?.parse().context("--count")?,
            "--warmup" => options.warmup = value("--warmup")?.parse().context("--warmup")?,
            "--rounds" => options.rounds = value("--rounds")?.parse().context("--rounds")?,
            "--max-seconds" => {
                options.max_seconds = value("--max-seconds")?.parse().context("--max-seconds")?;
            }
            "--only" => options.only = Some(value("--only")?.clone()),
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    if options.count == 0 || options.rounds == 0 || options.max_seconds == 0 {
        bail!("--count, --rounds and --max-seconds must be positive");
    }
    Ok(Some(options))
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let Some(options) = parse_options(args)? else {
        println!("{USAGE}");
        return Ok(());
    };
    let workspace = interop::workspace_root()?;
    if options.micro {
        return micro::run(&workspace, options.json);
    }
    let modes: Vec<&'static Mode> = MODES
        .iter()
        .filter(|m| {
            options
                .only
                .as_deref()
                .is_none_or(|only| only.split(',').any(|part| m.key.contains(part)))
        })
        .collect();
    if modes.is_empty() {
        bail!("--only matches no mode");
    }
    let target = interop::target_dir(&workspace)?;
    let interop_dir = target.join("interop");
    let dir = target.join("bench");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let scripts = workspace.join("xtask").join("interop");
    let drivers = workspace.join("xtask").join("bench");

    // Progress goes to stderr so that `--json` leaves stdout to the results.
    let needs = |f: fn(&Runner) -> bool| modes.iter().any(|m| f(&m.runner));
    let python = if needs(|r| matches!(r, Runner::Python(_))) {
        Some(interop::install_python(&scripts, &interop_dir.join("py"))?)
    } else {
        None
    };
    let js = if needs(|r| matches!(r, Runner::Node)) {
        let js = interop::install_js(&scripts, &interop_dir.join("js"))?;
        // ESM resolves packages next to the script.
        let copy = js.join("bench_identity.mjs");
        fs::copy(drivers.join("bench_identity.mjs"), &copy).context("copying the JS driver")?;
        Some(copy)
    } else {
        None
    };
    let binaries = build_release(&workspace, &target)?;
    // HS256 tokens: an RS256 signature costs the emulator ~0.7 ms of CPU, which would make it, not the
    // clients, what the bench measures (BENCHMARKS.md, "The emulator's tokens").
    let flags: &[&str] = if options.rs256_tokens {
        &[]
    } else {
        &["--fast-tokens"]
    };
    let server = Emulator::start_with(&binaries.emulator, Transport::Http, &dir, flags)?;
    let redis = if needs(|r| matches!(r, Runner::Service(service::Cache::Redis))) {
        Some(service::Redis::start(&dir)?)
    } else {
        None
    };
    // One service process per cache choice the selected modes need.
    let mut token_services = Vec::new();
    for mode in &modes {
        if let Runner::Service(cache) = mode.runner
            && !token_services.iter().any(|(c, _)| *c == cache)
        {
            let started = service::TokenService::start(
                &binaries.token_service,
                &server,
                &dir,
                cache,
                redis.as_ref(),
            )?;
            token_services.push((cache, started));
        }
    }
    let bench = Bench {
        server,
        token_services,
        _redis: redis,
        client: binaries.client,
        python,
        js,
        drivers,
        clock_ticks: clock_ticks_per_second(),
        options: &options,
    };
    let machine = report::Machine::read();

    // Round after round, so that a burst of other work on the machine hits one run of several modes.
    let mut runs: Vec<Vec<report::Measurement>> = modes.iter().map(|_| Vec::new()).collect();
    for round in 1..=options.rounds {
        for (mode, mode_runs) in modes.iter().zip(&mut runs) {
            eprintln!(
                "==> {} ({}), round {round}/{}",
                mode.key, mode.how, options.rounds
            );
            mode_runs.push(bench.run_once(mode)?);
        }
    }
    drop(bench);
    let measurements = runs
        .into_iter()
        .filter_map(report::Measurement::median)
        .collect();

    let results = report::Results::new(machine, &options, measurements);
    let saved = dir.join("results.json");
    fs::write(&saved, results.to_json()).with_context(|| format!("writing {}", saved.display()))?;
    eprintln!("==> results: {}", saved.display());
    if options.json {
        println!("{}", results.to_json());
    } else {
        println!("{}", results.table());
    }
    let failed = results.failures();
    if failed > 0 {
        bail!("{failed} bench runs failed (their output is above)");
    }
    Ok(())
}

/// What every run needs: the emulator, and how to start each client.
struct Bench<'a> {
    server: Emulator,
    token_services: Vec<(service::Cache, service::TokenService)>,
    /// Kept alive for the `service-redis-16` mode.
    _redis: Option<service::Redis>,
    client: PathBuf,
    python: Option<PathBuf>,
    /// The JS driver, copied next to the installed SDK.
    js: Option<PathBuf>,
    drivers: PathBuf,
    clock_ticks: f64,
    options: &'a Options,
}

impl Bench<'_> {
    fn token_service(&self, cache: service::Cache) -> Result<&service::TokenService> {
        self.token_services
            .iter()
            .find(|(c, _)| *c == cache)
            .map(|(_, service)| service)
            .context("no token service for this mode")
    }

    /// Runs `mode` once, in a process of its own, and reads what it measured.
    fn run_once(&self, mode: &'static Mode) -> Result<report::Measurement> {
        let mut command = match mode.runner {
            Runner::Ours(flavour) => {
                let mut command = Command::new(&self.client);
                command.arg(flavour);
                command
            }
            Runner::Raw => {
                let mut command = Command::new(&self.client);
                command.arg("raw");
                command
            }
            Runner::Service(cache) => {
                let service = self.token_service(cache)?;
                let mut command = Command::new(&self.client);
                command.arg("service");
                service.configure(&mut command);
                command
            }
            Runner::Python(flavour) => {
                let mut command = Command::new(self.python.as_deref().context("no python")?);
                command
                    .arg(self.drivers.join("bench_identity.py"))
                    .arg(flavour);
                command
            }
            Runner::Node => {
                let script = self.js.as_deref().context("no JS SDK")?;
                let mut command = Command::new("node");
                command
                    .arg(script)
                    .current_dir(script.parent().unwrap_or(Path::new(".")));
                command
            }
        };
        let options = self.options;
        command.args([
            mode.concurrency.to_string(),
            options.count.to_string(),
            options.warmup.to_string(),
            options.max_seconds.to_string(),
        ]);
        self.server.configure(&mut command);
        let load = report::load_average();
        let service_pid = match mode.runner {
            Runner::Service(cache) => Some(self.token_service(cache)?.id()),
            _ => None,
        };
        let service_before = service_pid.and_then(|pid| process_cpu(pid, self.clock_ticks));
        let emulator_before = process_cpu(self.server.id(), self.clock_ticks);
        let output = interop::run_bounded(
            &mut command,
            Duration::from_secs(options.max_seconds) + STARTUP_ALLOWANCE,
            None,
        )?;
        let emulator_cpu = process_cpu(self.server.id(), self.clock_ticks)
            .zip(emulator_before)
            .map(|(after, before)| after - before);
        let service_cpu = service_pid
            .and_then(|pid| process_cpu(pid, self.clock_ticks))
            .zip(service_before)
            .map(|(after, before)| after - before);
        let measurement =
            report::Measurement::new(mode, &output, [emulator_cpu, service_cpu], load, options);
        match &measurement.failure {
            Some(failure) => eprintln!("    FAILED: {failure}\n{}", output.stderr.trim_end()),
            None => eprintln!("    {}", measurement.summary()),
        }
        Ok(measurement)
    }
}

struct Binaries {
    emulator: PathBuf,
    client: PathBuf,
    token_service: PathBuf,
}

/// The emulator, the token service and our bench client, optimised, in one cargo invocation.
fn build_release(workspace: &Path, target: &Path) -> Result<Binaries> {
    let t = Instant::now();
    eprintln!("==> cargo build --release (emulator with mimalloc, token service, bench-client)");
    let mut command = interop::cargo_command();
    command
        .args([
            "build",
            "--release",
            "-p",
            "acs-identity-emulator",
            "--bin",
            "acs-identity-emulator",
            // The allocator the published numbers were measured with (off by default since 0.1: see
            // the emulator's README).
            "--features",
            "acs-identity-emulator/mimalloc",
            "-p",
            "acs-token-service",
            "--bin",
            "acs-token-service",
            "-p",
            "xtask",
            "--bin",
            "bench-client",
        ])
        .current_dir(workspace)
        .stdin(Stdio::null())
        // Cargo's progress on our stderr, never on stdout (where `--json` goes).
        .stdout(Stdio::null());
    let mut child = command.spawn().context("starting cargo build")?;
    let status =
        interop::wait_bounded(&mut child, BUILD_TIMEOUT)?.context("cargo build timed out")?;
    if !status.success() {
        bail!("cargo build --release failed ({status})");
    }
    let release = target.join("release");
    let exe = std::env::consts::EXE_SUFFIX;
    eprintln!("    built in {:.1}s", t.elapsed().as_secs_f64());
    Ok(Binaries {
        emulator: release.join(format!("acs-identity-emulator{exe}")),
        client: release.join(format!("bench-client{exe}")),
        token_service: release.join(format!("acs-token-service{exe}")),
    })
}

/// `getconf CLK_TCK`, the unit of `/proc/<pid>/stat` times (100 on every Linux we know).
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A live process's CPU time so far (user + system, all threads), from `/proc/<pid>/stat`; Linux only.
fn process_cpu(pid: u32, ticks_per_second: f64) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields that follow start after the last `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line; the first field after `)` is field 3.
    let ticks: f64 = [fields.get(11)?, fields.get(12)?]
        .iter()
        .map(|f| f.parse::<f64>().ok())
        .sum::<Option<f64>>()?;
    Some(ticks / ticks_per_second)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_have_defaults_and_reject_nonsense() {
        let options = parse_options(&[]).unwrap().unwrap();
        assert_eq!(
            (options.count, options.warmup),
            (DEFAULT_COUNT, DEFAULT_WARMUP)
        );
        let options = parse_options(&args("--count 10 --warmup 0 --only js --json"))
            .unwrap()
            .unwrap();
        assert_eq!((options.count, options.warmup), (10, 0));
        assert_eq!(options.only.as_deref(), Some("js"));
        assert!(options.json);
        assert!(parse_options(&args("--help")).unwrap().is_none());
        assert!(parse_options(&args("--count 0")).is_err());
        assert!(parse_options(&args("--count")).is_err());
        assert!(parse_options(&args("--frobnicate")).is_err());
    }

    #[test]
    fn mode_keys_are_unique() {
        let mut keys: Vec<_> = MODES.iter().map(|m| m.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), MODES.len());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_the_cpu_time_of_a_process() {
        let cpu = process_cpu(std::process::id(), clock_ticks_per_second());
        assert!(cpu.is_some_and(|s| s >= 0.0));
        assert!(process_cpu(u32::MAX, 100.0).is_none());
    }
}
