//! What `cargo xtask bench` measured: one row per mode, the ratios ours/theirs and the targets, as tables or
//! JSON.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Mode, Options};
use crate::interop::Output;

/// Our mode and the official SDK's mode it is compared with.
const PAIRS: [(&str, &str); 5] = [
    ("ours-blocking-1", "python-sync-1"),
    ("ours-blocking-16", "python-sync-16"),
    ("ours-async-16", "python-async-16"),
    ("ours-async-1", "js-1"),
    ("ours-async-16", "js-16"),
];

/// The targets: our CPU per call at most this many µs, and this many times below each SDK's.
const MAX_CPU_PER_CALL_US: f64 = 25.0;
const CPU_FACTOR_JS: f64 = 15.0;
const CPU_FACTOR_PYTHON: f64 = 40.0;
const EMULATOR_MIN_OPS: f64 = 30_000.0;
const THROUGHPUT_FACTOR_JS: f64 = 10.0;
const SERVICE_CPU_FACTOR: f64 = 1.5;

/// The machine the numbers come from.
pub(crate) struct Machine {
    cpus: usize,
    model: String,
    load_before: Option<f64>,
}

impl Machine {
    pub(crate) fn read() -> Self {
        let model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
                    .map(|(_, model)| model.trim().to_owned())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
        Self {
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            model,
            load_before: load_average(),
        }
    }
}

/// The 1-minute load average (Linux): how busy the machine was with other work too.
pub(crate) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One mode's numbers: from one run (the client's JSON line and the emulator's CPU time around it), or the
/// median of several runs.
pub(crate) struct Measurement {
    mode: &'static Mode,
    runs: usize,
    /// Measured calls that succeeded (per run).
    calls: f64,
    /// Failed calls, all runs together.
    errors: f64,
    ops_per_s: Option<f64>,
    cpu_us_per_call: Option<f64>,
    p50_us: Option<f64>,
    p99_us: Option<f64>,
    max_us: Option<f64>,
    max_rss_kb: Option<f64>,
    /// Over the whole run (start-up, user creation and warm-up included) per request served.
    emulator_us_per_request: Option<f64>,
    /// The token service's CPU per request it served, the same way (its own mode only).
    service_us_per_request: Option<f64>,
    /// The token service's cache hits (and shared flights) per measured request, and its ACS calls per
    /// measured request (its own modes only).
    cache_hit_ratio: Option<f64>,
    acs_calls_per_request: Option<f64>,
    load: Option<f64>,
    /// Why a run does not count; its numbers, if any, are still shown.
    pub(crate) failure: Option<String>,
}

impl Measurement {
    pub(crate) fn new(
        mode: &'static Mode,
        output: &Output,
        [emulator_cpu_s, service_cpu_s]: [Option<f64>; 2],
        load: Option<f64>,
        options: &Options,
    ) -> Self {
        let line = output
            .stdout
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'));
        let report: Value = line
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or(Value::Null);
        let number = |pointer: &str| report.pointer(pointer).and_then(Value::as_f64);
        let calls = number("/calls").unwrap_or(0.0);
        let errors = number("/errors").unwrap_or(0.0);
        let failure = match output.status {
            None => Some("timed out".to_owned()),
            Some(status) if !status.success() => Some(format!("exited with {status}")),
            Some(_) if report.is_null() => Some("printed no JSON report".to_owned()),
            Some(_) if errors > 0.0 => Some(format!("{errors} calls failed")),
            Some(_) if calls < options.count as f64 => Some(format!(
                "made {calls} of {} calls before its time limit",
                options.count
            )),
            Some(_) => None,
        };
        let per_call = |total: Option<f64>| total.filter(|_| calls > 0.0).map(|t| t / calls);
        // Approximately: the warm-up and the user creation are assumed to have gone through.
        let requests = calls + errors + options.warmup as f64 + 1.0;
        Self {
            mode,
            runs: 1,
            calls,
            errors,
            ops_per_s: number("/elapsed_s")
                .filter(|&e| e > 0.0 && calls > 0.0)
                .map(|e| calls / e),
            cpu_us_per_call: per_call(number("/cpu_s").map(|s| s * 1e6)),
            p50_us: number("/latency_us/p50"),
            p99_us: number("/latency_us/p99"),
            max_us: number("/latency_us/max"),
            max_rss_kb: number("/max_rss_kb"),
            emulator_us_per_request: emulator_cpu_s.map(|s| s * 1e6 / requests),
            service_us_per_request: service_cpu_s.map(|s| s * 1e6 / requests),
            cache_hit_ratio: cache_share(&report, calls),
            // Every other request called ACS (without a cache the service counts no misses).
            acs_calls_per_request: cache_share(&report, calls).map(|saved| 1.0 - saved),
            load,
            failure,
        }
    }

    /// The median of each number over the runs of one mode (a shared machine only ever adds noise to one
    /// run or another); errors add up and the first failure is kept.
    pub(crate) fn median(runs: Vec<Self>) -> Option<Self> {
        let first = runs.first()?;
        let median = |field: fn(&Self) -> Option<f64>| {
            let mut values: Vec<f64> = runs.iter().filter_map(field).collect();
            values.sort_by(f64::total_cmp);
            values.get(values.len() / 2).copied()
        };
        Some(Self {
            mode: first.mode,
            runs: runs.len(),
            calls: median(|m| Some(m.calls)).unwrap_or(0.0),
            errors: runs.iter().map(|m| m.errors).sum(),
            ops_per_s: median(|m| m.ops_per_s),
            cpu_us_per_call: median(|m| m.cpu_us_per_call),
            p50_us: median(|m| m.p50_us),
            p99_us: median(|m| m.p99_us),
            max_us: median(|m| m.max_us),
            max_rss_kb: median(|m| m.max_rss_kb),
            emulator_us_per_request: median(|m| m.emulator_us_per_request),
            service_us_per_request: median(|m| m.service_us_per_request),
            cache_hit_ratio: median(|m| m.cache_hit_ratio),
            acs_calls_per_request: median(|m| m.acs_calls_per_request),
            load: median(|m| m.load),
            failure: runs.iter().find_map(|m| m.failure.clone()),
        })
    }

    /// One line for the progress log.
    pub(crate) fn summary(&self) -> String {
        let service = self
            .service_us_per_request
            .map(|us| {
                format!(
                    ", token service {} CPU/request, cache hits {}, ACS calls/request {}",
                    micros(Some(us)),
                    self.cache_hit_ratio
                        .map_or("?".to_owned(), |r| format!("{:.1}%", r * 100.0)),
                    self.acs_calls_per_request
                        .map_or("?".to_owned(), |r| format!("{r:.3}")),
                )
            })
            .unwrap_or_default();
        format!(
            "{} ops/s, {} CPU/call, p50 {}, p99 {}{service}",
            ops(self.ops_per_s),
            micros(self.cpu_us_per_call),
            latency(self.p50_us),
            latency(self.p99_us)
        )
    }

    fn to_json(&self) -> Value {
        json!({
            "key": self.mode.key,
            "client": self.mode.client,
            "mode": self.mode.how,
            "ours": self.mode.ours,
            "runs": self.runs,
            "calls": self.calls,
            "errors": self.errors,
            "ops_per_s": self.ops_per_s,
            "cpu_us_per_call": self.cpu_us_per_call,
            "latency_us": { "p50": self.p50_us, "p99": self.p99_us, "max": self.max_us },
            "max_rss_kb": self.max_rss_kb,
            "emulator_cpu_us_per_request": self.emulator_us_per_request,
            "service_cpu_us_per_request": self.service_us_per_request,
            "service_cache_hit_ratio": self.cache_hit_ratio,
            "service_acs_calls_per_request": self.acs_calls_per_request,
            "load_average_1m": self.load,
            "failure": self.failure,
        })
    }
}

/// The share of a service mode's measured calls answered without an ACS call: cache hits and shared flights.
fn cache_share(report: &Value, calls: f64) -> Option<f64> {
    let saved: Option<f64> = ["/token_cache/hit", "/token_cache/shared_flight"]
        .iter()
        .map(|pointer| report.pointer(pointer).and_then(Value::as_f64))
        .sum();
    saved
        .filter(|_| calls > 0.0)
        .map(|saved| (saved / calls).min(1.0))
}

/// Our mode against theirs: each factor says how many times better ours is (higher is better).
struct Comparison<'a> {
    ours: &'a Measurement,
    theirs: &'a Measurement,
}

impl Comparison<'_> {
    fn throughput(&self) -> Option<f64> {
        ratio(self.ours.ops_per_s, self.theirs.ops_per_s)
    }

    fn cpu(&self) -> Option<f64> {
        ratio(self.theirs.cpu_us_per_call, self.ours.cpu_us_per_call)
    }

    fn p50(&self) -> Option<f64> {
        ratio(self.theirs.p50_us, self.ours.p50_us)
    }

    fn rss(&self) -> Option<f64> {
        ratio(self.theirs.max_rss_kb, self.ours.max_rss_kb)
    }

    fn name(&self) -> String {
        format!(
            "{} {} vs {} {}",
            self.ours.mode.client,
            self.ours.mode.how,
            self.theirs.mode.client,
            self.theirs.mode.how
        )
    }
}

fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    let (n, d) = (numerator?, denominator?);
    (n > 0.0 && d > 0.0).then_some(n / d)
}

/// One of the targets, and whether this run met it.
struct Target {
    goal: String,
    measured: String,
    met: Option<bool>,
}

/// Everything one `cargo xtask bench` run found.
pub(crate) struct Results {
    machine: Machine,
    count: usize,
    warmup: usize,
    rounds: usize,
    date: String,
    measurements: Vec<Measurement>,
}

impl Results {
    pub(crate) fn new(machine: Machine, options: &Options, measurements: Vec<Measurement>) -> Self {
        Self {
            machine,
            count: options.count,
            warmup: options.warmup,
            rounds: options.rounds,
            date: now_utc(),
            measurements,
        }
    }

    pub(crate) fn failures(&self) -> usize {
        self.measurements
            .iter()
            .filter(|m| m.failure.is_some())
            .count()
    }

    fn get(&self, key: &str) -> Option<&Measurement> {
        self.measurements.iter().find(|m| m.mode.key == key)
    }

    fn comparisons(&self) -> Vec<Comparison<'_>> {
        PAIRS
            .iter()
            .filter_map(|(ours, theirs)| {
                Some(Comparison {
                    ours: self.get(ours)?,
                    theirs: self.get(theirs)?,
                })
            })
            .collect()
    }

    fn targets(&self) -> Vec<Target> {
        let mut targets = Vec::new();
        for m in self.measurements.iter().filter(|m| m.mode.ours) {
            let cpu = m.cpu_us_per_call;
            targets.push(Target {
                goal: format!(
                    "CPU/call <= {MAX_CPU_PER_CALL_US} µs: {} {}",
                    m.mode.client, m.mode.how
                ),
                measured: micros(cpu),
                met: cpu.map(|c| c <= MAX_CPU_PER_CALL_US),
            });
        }
        for c in self.comparisons() {
            let factor = if c.theirs.mode.key.starts_with("js") {
                CPU_FACTOR_JS
            } else {
                CPU_FACTOR_PYTHON
            };
            targets.push(Target {
                goal: format!("CPU/call <= 1/{factor} of theirs: {}", c.name()),
                measured: times(c.cpu()),
                met: c.cpu().map(|r| r >= factor),
            });
        }
        // The emulator alone (a replaying load generator of a few µs per call), else behind our async client,
        // which shares the cores with it.
        if let Some(m) = self
            .get("emulator-16")
            .or_else(|| self.get("ours-async-16"))
        {
            targets.push(Target {
                goal: format!(
                    "emulator >= {} issue-token/s at concurrency 16 ({})",
                    ops(Some(EMULATOR_MIN_OPS)),
                    m.mode.key
                ),
                measured: ops(m.ops_per_s),
                met: m.ops_per_s.map(|o| o >= EMULATOR_MIN_OPS),
            });
            // What the emulator could serve with all the cores to itself.
            let capacity = m
                .emulator_us_per_request
                .map(|us| self.machine.cpus as f64 * 1e6 / us);
            targets.push(Target {
                goal: format!(
                    "emulator capacity >= {} issue-token/s ({} CPUs / its CPU per request, {})",
                    ops(Some(EMULATOR_MIN_OPS)),
                    self.machine.cpus,
                    m.mode.key
                ),
                measured: ops(capacity),
                met: capacity.map(|c| c >= EMULATOR_MIN_OPS),
            });
        }
        // The token service does a bare client's work plus sign-in and policy: at most half again its CPU.
        if let (Some(service), Some(bare)) = (self.get("service-16"), self.get("ours-async-16")) {
            let factor = ratio(service.service_us_per_request, bare.cpu_us_per_call);
            targets.push(Target {
                goal: format!(
                    "token service CPU/request <= {SERVICE_CPU_FACTOR}x the bare async client's CPU/call (service-16 vs ours-async-16)"
                ),
                measured: format!(
                    "{} vs {} ({})",
                    micros(service.service_us_per_request),
                    micros(bare.cpu_us_per_call),
                    times(factor)
                ),
                met: factor.map(|f| f <= SERVICE_CPU_FACTOR),
            });
        }
        if let Some(c) = self
            .comparisons()
            .into_iter()
            .find(|c| c.ours.mode.key == "ours-async-16" && c.theirs.mode.key == "js-16")
        {
            targets.push(Target {
                goal: format!(
                    "throughput >= {THROUGHPUT_FACTOR_JS}x the JS SDK's: {}",
                    c.name()
                ),
                measured: times(c.throughput()),
                met: c.throughput().map(|r| r >= THROUGHPUT_FACTOR_JS),
            });
        }
        targets
    }

    pub(crate) fn to_json(&self) -> String {
        let comparisons: Vec<Value> = self
            .comparisons()
            .iter()
            .map(|c| {
                json!({
                    "ours": c.ours.mode.key,
                    "theirs": c.theirs.mode.key,
                    "throughput_ratio": c.throughput(),
                    "cpu_per_call_ratio": c.cpu(),
                    "p50_ratio": c.p50(),
                    "rss_ratio": c.rss(),
                })
            })
            .collect();
        let targets: Vec<Value> = self
            .targets()
            .iter()
            .map(|t| json!({ "goal": t.goal, "measured": t.measured, "met": t.met }))
            .collect();
        let report = json!({
            "date": self.date,
            "machine": {
                "cpus": self.machine.cpus,
                "model": self.machine.model,
                "load_average_1m_before": self.machine.load_before,
            },
            "count": self.count,
            "warmup": self.warmup,
            "rounds": self.rounds,
            "modes": self.measurements.iter().map(Measurement::to_json).collect::<Vec<_>>(),
            "comparisons": comparisons,
            "targets": targets,
        });
        serde_json::to_string_pretty(&report).unwrap_or_default()
    }

    /// The results as Markdown tables, ready for BENCHMARKS.md.
    pub(crate) fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{}: issue-token, {} measured calls per run after {} warm-up calls, median of {} runs per mode, \
             one emulator on 127.0.0.1 (http). {} CPUs ({}), 1-minute load average {} before the first run.\n",
            self.date,
            self.count,
            self.warmup,
            self.rounds,
            self.machine.cpus,
            self.machine.model,
            self.machine
                .load_before
                .map_or("?".to_owned(), |l| format!("{l:.2}"))
        );
        let _ = writeln!(
            out,
            "| client | mode | ops/s | CPU/call | p50 | p99 | peak RSS | emulator CPU/req | load |\n\
             |---|---|--:|--:|--:|--:|--:|--:|--:|"
        );
        for m in &self.measurements {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |{}",
                m.mode.client,
                m.mode.how,
                ops(m.ops_per_s),
                micros(m.cpu_us_per_call),
                latency(m.p50_us),
                latency(m.p99_us),
                m.max_rss_kb
                    .map_or("?".to_owned(), |kb| format!("{:.1} MB", kb / 1024.0)),
                micros(m.emulator_us_per_request),
                m.load.map_or("?".to_owned(), |l| format!("{l:.1}")),
                m.failure
                    .as_deref()
                    .map_or(String::new(), |f| format!(" FAILED: {f}")),
            );
        }
        let _ = writeln!(
            out,
            "\nOurs vs theirs (how many times better ours is):\n\n\
             | comparison | throughput | CPU/call | p50 | peak RSS |\n|---|--:|--:|--:|--:|"
        );
        for c in self.comparisons() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                c.name(),
                times(c.throughput()),
                times(c.cpu()),
                times(c.p50()),
                times(c.rss())
            );
        }
        let _ = writeln!(
            out,
            "\nTargets:\n\n| target | measured | met |\n|---|--:|---|"
        );
        for t in self.targets() {
            let met = match t.met {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "?",
            };
            let _ = writeln!(out, "| {} | {} | {met} |", t.goal, t.measured);
        }
        out
    }
}

fn ops(value: Option<f64>) -> String {
    let Some(value) = value else {
        return "?".to_owned();
    };
    let digits = format!("{value:.0}");
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn micros(value: Option<f64>) -> String {
    value.map_or("?".to_owned(), |v| format!("{v:.1} µs"))
}

fn latency(us: Option<f64>) -> String {
    let Some(us) = us else {
        return "?".to_owned();
    };
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

fn times(value: Option<f64>) -> String {
    value.map_or("?".to_owned(), |v| format!("{v:.1}x"))
}

/// `YYYY-MM-DD HH:MM UTC`.
fn now_utc() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::MODES;

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(ops(Some(1_234_567.4)), "1,234,567");
        assert_eq!(ops(Some(999.0)), "999");
        assert_eq!(ops(None), "?");
        assert_eq!(micros(Some(12.345)), "12.3 µs");
        assert_eq!(latency(Some(250.4)), "250 µs");
        assert_eq!(latency(Some(1_500.0)), "1.50 ms");
        assert_eq!(latency(None), "?");
        assert_eq!(times(Some(15.04)), "15.0x");
    }

    #[test]
    fn every_pair_names_known_modes() {
        for (ours, theirs) in PAIRS {
            assert!(MODES.iter().any(|m| m.key == ours && m.ours));
            assert!(MODES.iter().any(|m| m.key == theirs && !m.ours));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_mode_reports_the_median_of_its_runs() {
        use std::os::unix::process::ExitStatusExt as _;

        let options = crate::bench::parse_options(&["--count".to_owned(), "100".to_owned()])
            .unwrap()
            .unwrap();
        let mode = &MODES[0];
        let run = |elapsed: f64, cpu: f64, status: i32| {
            let output = Output {
                status: Some(std::process::ExitStatus::from_raw(status)),
                stdout: format!(
                    "noise\n{{\"calls\":100,\"errors\":0,\"elapsed_s\":{elapsed},\"cpu_s\":{cpu},\
                     \"max_rss_kb\":2048,\"latency_us\":{{\"p50\":10,\"p99\":20,\"max\":30}}}}\n"
                ),
                stderr: String::new(),
            };
            Measurement::new(mode, &output, [Some(0.0), None], None, &options)
        };
        let single = run(0.5, 0.002, 0);
        assert_eq!(single.failure, None);
        assert_eq!(single.ops_per_s, Some(200.0));
        assert!((single.cpu_us_per_call.unwrap() - 20.0).abs() < 1e-9);

        let median = Measurement::median(vec![
            run(1.0, 0.001, 0),
            run(0.1, 0.009, 0),
            run(0.5, 0.003, 0),
        ])
        .unwrap();
        assert_eq!(median.runs, 3);
        assert_eq!(median.ops_per_s, Some(200.0));
        assert!((median.cpu_us_per_call.unwrap() - 30.0).abs() < 1e-9);
        assert_eq!(median.p99_us, Some(20.0));

        // Exit status 1 (wait status 256): the run's numbers stay, the failure too.
        let failed = Measurement::median(vec![run(0.5, 0.002, 0), run(0.5, 0.002, 256)]).unwrap();
        assert!(failed.failure.unwrap().starts_with("exited with"));
        assert!(Measurement::median(Vec::new()).is_none());
    }

    #[test]
    fn ratios_need_two_positive_numbers() {
        assert_eq!(ratio(Some(30.0), Some(2.0)), Some(15.0));
        assert_eq!(ratio(Some(30.0), Some(0.0)), None);
        assert_eq!(ratio(None, Some(2.0)), None);
    }
}
