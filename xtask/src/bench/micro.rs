//! `cargo xtask bench --micro`: the criterion benches of the sans-IO crates, shortened, and their summary.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::json;

use crate::interop;

/// Each crate and its bench target.
const BENCHES: [(&str, &str); 3] = [
    ("acs-identity-types", "identifiers"),
    ("acs-auth", "hmac"),
    ("acs-identity-core", "operations"),
];
/// Criterion's defaults are 3 s of warm-up and 5 s of measurement per bench; this keeps ~60 benches short.
const CRITERION_ARGS: [&str; 4] = ["--warm-up-time", "1", "--measurement-time", "2"];
/// Building in release and running every bench.
const TIMEOUT: Duration = Duration::from_secs(1800);
/// The target for a whole issue-token call in the core: build, sign and parse.
const CORE_TARGET: (&str, f64) = ("issue_token/build_sign_parse", 3_000.0);

pub(crate) fn run(workspace: &Path, json: bool) -> Result<()> {
    let mut results = Vec::new();
    // Absolute: criterion writes its reports under `CARGO_TARGET_DIR` relative to the bench's own directory,
    // so a relative value from the caller's environment would scatter them into the crates.
    let target = interop::target_dir(workspace)?;
    for (package, bench) in BENCHES {
        eprintln!("==> cargo bench -p {package} --bench {bench}");
        let mut command = Command::new(interop::cargo());
        command
            .args(["bench", "-p", package, "--bench", bench, "--"])
            .args(CRITERION_ARGS)
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(workspace);
        // The progress echoes on stdout, unless stdout is for the JSON.
        let echo = (!json).then_some(bench);
        let output = interop::run_bounded(&mut command, TIMEOUT, echo)?;
        output.check(&format!("cargo bench -p {package}"))?;
        results.extend(
            parse_criterion(&output.stdout)
                .into_iter()
                .map(|(name, ns)| (package, name, ns)),
        );
    }
    if results.is_empty() {
        bail!("criterion printed no results");
    }
    let core = results
        .iter()
        .find(|(_, name, _)| name == CORE_TARGET.0)
        .map(|(_, _, ns)| *ns);
    if json {
        let benches: Vec<_> = results
            .iter()
            .map(|(package, name, ns)| json!({ "crate": package, "bench": name, "ns": ns }))
            .collect();
        let report = json!({
            "benches": benches,
            "target": {
                "goal": "issue_token build + sign + parse < 3 µs",
                "measured_ns": core,
                "met": core.map(|ns| ns < CORE_TARGET.1),
            },
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("\n| crate | bench | time |\n|---|---|--:|");
    for (package, name, ns) in &results {
        println!("| {package} | {name} | {} |", duration(*ns));
    }
    match core {
        Some(ns) => println!(
            "\nTarget: issue_token build + sign + parse < 3 µs: {} ({})",
            duration(ns),
            if ns < CORE_TARGET.1 { "met" } else { "NOT met" }
        ),
        None => println!("\nTarget: no `{}` result", CORE_TARGET.0),
    }
    Ok(())
}

/// The name and the middle estimate (ns) of each bench in criterion's report:
/// `<name>   time:   [<low> <unit> <estimate> <unit> <high> <unit>]`, the name alone on the line before when
/// it is long.
fn parse_criterion(stdout: &str) -> Vec<(String, f64)> {
    let mut results = Vec::new();
    let mut previous = "";
    for line in stdout.lines() {
        if let Some((name, rest)) = line.split_once("time:") {
            let name = match name.trim() {
                "" => previous.trim(),
                name => name,
            };
            let numbers: Vec<&str> = rest
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split_whitespace()
                .collect();
            if let [_, _, value, unit, _, _] = numbers.as_slice()
                && let (Ok(value), Some(scale)) = (value.parse::<f64>(), ns_per(unit))
                && !name.is_empty()
            {
                results.push((name.to_owned(), value * scale));
            }
        }
        if !line.trim().is_empty() {
            previous = line;
        }
    }
    results
}

fn ns_per(unit: &str) -> Option<f64> {
    match unit {
        "ps" => Some(1e-3),
        "ns" => Some(1.0),
        "µs" | "us" => Some(1e3),
        "ms" => Some(1e6),
        "s" => Some(1e9),
        _ => None,
    }
}

fn duration(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{:.2} µs", ns / 1_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_reports() {
        let stdout = "\
Benchmarking issue_token/build: Analyzing
issue_token/build       time:   [612.10 ns 615.20 ns 618.40 ns]
                        change: [-1.0% +0.2% +1.1%] (p = 0.70 > 0.05)
issue_token/build_sign_parse
                        time:   [1.2010 µs 1.2345 µs 1.2701 µs]
Found 3 outliers among 100 measurements (3.00%)
weird                   time:   [1 parsec 2 parsec 3 parsec]
";
        let results = parse_criterion(stdout);
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].0, "issue_token/build");
        assert!((results[0].1 - 615.2).abs() < 1e-9);
        assert_eq!(results[1].0, "issue_token/build_sign_parse");
        assert!((results[1].1 - 1_234.5).abs() < 1e-6);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(615.2), "615 ns");
        assert_eq!(duration(1_234.5), "1.23 µs");
    }
}
