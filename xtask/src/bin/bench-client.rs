//! `bench-client`: our clients issuing tokens against the emulator, one process per run, for `cargo xtask bench`.
//!
//! `bench-client <async|blocking|raw> <concurrency> <count> <warmup> <max_seconds>` with `ACS_CONNECTION_STRING`
//! set. `async` is `acs-identity` on a default multi-thread tokio runtime with `concurrency` tasks sharing one
//! client; `blocking` is `acs-identity-blocking` with `concurrency` threads sharing one client; `raw` is no
//! client at all but one pre-signed request replayed on `concurrency` connections, to measure the emulator
//! alone (see `bench-client/raw.rs`); `service` asks `acs-token-service` for tokens over HTTP as a signed-in
//! user (see `bench-client/service.rs`). It creates one
//! user, makes `warmup` calls, then `count` measured calls (fewer if `max_seconds` runs out), and prints one JSON
//! line, the shape every bench client prints (see `xtask/bench/`):
//! `{"calls", "errors", "elapsed_s", "cpu_s", "max_rss_kb", "latency_us": {"p50", "p99", "max"}}`.
//! `cpu_s` is the process's CPU time (user + system, all threads) during the measured calls only.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use acs_identity::{CommunicationUserIdentifier, TokenOptions, TokenScope};

#[path = "bench-client/raw.rs"]
mod raw;
#[path = "bench-client/service.rs"]
mod service;

const USAGE: &str =
    "usage: bench-client <async|blocking|raw|service> <concurrency> <count> <warmup> <max_seconds>
(ACS_CONNECTION_STRING must be set; service also needs ACS_TOKEN_SERVICE_URL and ACS_SIGN_IN_URL)";
const SCOPES: [TokenScope; 1] = [TokenScope::Chat];

#[derive(Clone, Copy)]
enum Mode {
    Async,
    Blocking,
    Raw,
    Service,
}

struct Args {
    mode: Mode,
    concurrency: usize,
    count: usize,
    warmup: usize,
    max_time: Duration,
}

fn parse_args(args: &[String]) -> Option<Args> {
    let [mode, concurrency, count, warmup, max_seconds] = args else {
        return None;
    };
    let mode = match mode.as_str() {
        "async" => Mode::Async,
        "blocking" => Mode::Blocking,
        "raw" => Mode::Raw,
        "service" => Mode::Service,
        _ => return None,
    };
    Some(Args {
        mode,
        concurrency: concurrency.parse().ok().filter(|&n| n > 0)?,
        count: count.parse().ok()?,
        warmup: warmup.parse().ok()?,
        max_time: Duration::try_from_secs_f64(max_seconds.parse().ok()?).ok()?,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(args) = parse_args(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Ok(connection_string) = std::env::var("ACS_CONNECTION_STRING") else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match args.mode {
        Mode::Async => run_async(&args, &connection_string),
        Mode::Blocking => run_blocking(&args, &connection_string),
        Mode::Raw => raw::run(&args, &connection_string),
        Mode::Service => service::run(&args),
    };
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bench-client: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The calls one phase may still make, shared by its workers, and when it must stop.
struct Phase {
    remaining: AtomicUsize,
    deadline: Instant,
}

impl Phase {
    fn new(calls: usize, deadline: Instant) -> Arc<Self> {
        Arc::new(Self {
            remaining: AtomicUsize::new(calls),
            deadline,
        })
    }

    /// Takes one call, if any is left and there is time.
    fn claim(&self) -> bool {
        Instant::now() < self.deadline
            && self
                .remaining
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
    }
}

/// What the workers of a phase measured: the latency of each successful call, and the failures.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: usize,
}

impl Tally {
    fn record<E: std::fmt::Display>(&mut self, started: Instant, result: Result<impl Sized, E>) {
        match result {
            Ok(_) => self.latencies.push(started.elapsed()),
            Err(error) => {
                static FIRST: Once = Once::new();
                FIRST.call_once(|| eprintln!("bench-client: a call failed: {error}"));
                self.errors += 1;
            }
        }
    }

    fn merge(&mut self, other: Self) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
    }
}

fn run_async(args: &Args, connection_string: &str) -> Result<String, String> {
    // What `#[tokio::main]` builds: one worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client =
            acs_identity::CommunicationIdentityClient::from_connection_string(connection_string)
                .map_err(|e| e.to_string())?;
        let user = client.create_user().await.map_err(|e| e.to_string())?;
        let deadline = Instant::now() + args.max_time;

        let phase = async |calls: usize| {
            let phase = Phase::new(calls, deadline);
            let workers: Vec<_> = (0..args.concurrency)
                .map(|_| {
                    let (client, user, phase) = (client.clone(), user.clone(), phase.clone());
                    tokio::spawn(async move {
                        let mut tally = Tally::default();
                        while phase.claim() {
                            let started = Instant::now();
                            let result = client
                                .get_token(&user, &SCOPES, TokenOptions::default())
                                .await;
                            tally.record(started, result);
                        }
                        tally
                    })
                })
                .collect();
            let mut tally = Tally::default();
            for worker in workers {
                tally.merge(worker.await.map_err(|e| e.to_string())?);
            }
            Ok::<_, String>(tally)
        };

        phase(args.warmup).await?;
        let (cpu, started) = (cpu_time(), Instant::now());
        let tally = phase(args.count).await?;
        Ok(report(tally, started.elapsed(), cpu))
    })
}

fn run_blocking(args: &Args, connection_string: &str) -> Result<String, String> {
    let client = acs_identity_blocking::CommunicationIdentityClient::from_connection_string(
        connection_string,
    )
    .map_err(|e| e.to_string())?;
    let user: CommunicationUserIdentifier = client.create_user().map_err(|e| e.to_string())?;
    let deadline = Instant::now() + args.max_time;

    let worker = |phase: &Phase| {
        let mut tally = Tally::default();
        while phase.claim() {
            let started = Instant::now();
            let result = client.get_token(&user, &SCOPES, TokenOptions::default());
            tally.record(started, result);
        }
        tally
    };
    let phase = |calls: usize| {
        let phase = Phase::new(calls, deadline);
        if args.concurrency == 1 {
            return worker(&phase);
        }
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..args.concurrency)
                .map(|_| scope.spawn(|| worker(&phase)))
                .collect();
            let mut tally = Tally::default();
            for handle in workers {
                // A panicking worker has already printed why; its calls are simply missing.
                if let Ok(worker_tally) = handle.join() {
                    tally.merge(worker_tally);
                }
            }
            tally
        })
    };

    phase(args.warmup);
    let (cpu, started) = (cpu_time(), Instant::now());
    let tally = phase(args.count);
    Ok(report(tally, started.elapsed(), cpu))
}

/// The JSON line every bench client prints.
fn report(mut tally: Tally, elapsed: Duration, cpu_before: Option<Duration>) -> String {
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before).as_secs_f64());
    tally.latencies.sort_unstable();
    let percentile = |p: usize| {
        let n = tally.latencies.len();
        // Nearest rank.
        let rank = (n * p).div_ceil(100).max(1);
        tally
            .latencies
            .get(rank - 1)
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    serde_json::json!({
        "calls": tally.latencies.len(),
        "errors": tally.errors,
        "elapsed_s": elapsed.as_secs_f64(),
        "cpu_s": cpu,
        "max_rss_kb": max_rss_kb(),
        "latency_us": { "p50": percentile(50), "p99": percentile(99), "max": percentile(100) },
    })
    .to_string()
}

/// CPU time of the whole process (every thread, user + system), to the nanosecond.
#[cfg(unix)]
fn cpu_time() -> Option<Duration> {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Some(Duration::new(
        u64::try_from(now.tv_sec).ok()?,
        u32::try_from(now.tv_nsec).ok()?,
    ))
}

#[cfg(not(unix))]
fn cpu_time() -> Option<Duration> {
    None
}

/// Peak resident set size, from `/proc/self/status` (Linux only).
fn max_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn arguments_are_checked() {
        let parsed = parse_args(&args("blocking 16 100 10 2.5")).unwrap();
        assert!(matches!(parsed.mode, Mode::Blocking));
        assert_eq!(
            (parsed.concurrency, parsed.count, parsed.warmup),
            (16, 100, 10)
        );
        assert_eq!(parsed.max_time, Duration::from_millis(2500));
        assert!(parse_args(&args("async 0 100 10 1")).is_none());
        assert!(parse_args(&args("fast 1 100 10 1")).is_none());
        assert!(parse_args(&args("async 1 100 10")).is_none());
        assert!(parse_args(&args("async 1 100 10 -1")).is_none());
    }

    #[test]
    fn phases_stop_at_their_count_or_deadline() {
        let phase = Phase::new(2, Instant::now() + Duration::from_secs(60));
        assert!(phase.claim() && phase.claim());
        assert!(!phase.claim());
        let late = Phase::new(5, Instant::now());
        assert!(!late.claim());
    }

    #[test]
    fn the_report_has_nearest_rank_percentiles() {
        let tally = Tally {
            latencies: (1..=100).rev().map(Duration::from_micros).collect(),
            errors: 1,
        };
        let report: serde_json::Value =
            serde_json::from_str(&report(tally, Duration::from_secs(2), None)).unwrap();
        assert_eq!(report["calls"], 100);
        assert_eq!(report["errors"], 1);
        assert_eq!(report["latency_us"]["p50"], 50.0);
        assert_eq!(report["latency_us"]["p99"], 99.0);
        assert_eq!(report["latency_us"]["max"], 100.0);
        assert!(report["cpu_s"].is_null());
    }
}
