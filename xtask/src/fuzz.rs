//! `cargo xtask fuzz`: runs every cargo-fuzz target under `fuzz/`, one after the other, and prints the
//! figures RELIABILITY.md records.
//!
//! cargo-fuzz passes nightly-only flags (`-Z sanitizer`, sanitizer coverage) to rustc. Our machines have one
//! stable toolchain, so the runs set `RUSTC_BOOTSTRAP=1`, which lets stable rustc accept them. cargo-fuzz
//! itself is installed from crates.io (`cargo install cargo-fuzz --locked`) when missing.
//!
//! libFuzzer adds what it finds to the first corpus directory it is given: that is a scratch directory under
//! `target/fuzz/corpus/<target>`, so that the committed seeds in `fuzz/corpus/<target>` stay as they are.
//! A crash stops the run; its input is kept in `fuzz/artifacts/<target>/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask fuzz [--time SECONDS | --runs N] [--target NAME]... [--max-len BYTES]
                        [--sanitizer none|address]

Runs each fuzz target (all of them unless --target is given) for SECONDS (default 60) or N executions,
one at a time, and prints executions, executions per second, time, corpus size and coverage.
Inputs are at most BYTES long (default 1024: every seed is under 600 bytes, and longer inputs only
slow the search down).
The default sanitizer is none: our crates forbid unsafe code, and without AddressSanitizer libFuzzer
runs about six times faster; --sanitizer address checks our dependencies' unsafe code too.";

/// How long or how many executions each target gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    Seconds(u64),
    Runs(u64),
}

#[derive(Debug, PartialEq, Eq)]
struct Options {
    budget: Budget,
    targets: Vec<String>,
    max_len: u64,
    sanitizer: String,
}

/// What libFuzzer reported for one target.
#[derive(Debug, Default, PartialEq)]
struct Figures {
    executions: u64,
    per_second: u64,
    seconds: f64,
    corpus_units: u64,
    corpus_bytes: String,
    coverage: u64,
    features: u64,
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let options = parse_args(args)?;
    let root = workspace_root()?;
    let fuzz_dir = root.join("fuzz");
    ensure_cargo_fuzz()?;
    let targets = if options.targets.is_empty() {
        list_targets(&fuzz_dir)?
    } else {
        options.targets.clone()
    };
    let target_dir = root.join("target").join("fuzz");
    let mut rows = Vec::new();
    for target in &targets {
        eprintln!("== fuzzing {target} ({:?})", options.budget);
        let figures = run_target(&fuzz_dir, &target_dir, target, &options)?;
        rows.push((target.clone(), figures));
    }
    println!("| target | executions | exec/s | time | corpus | coverage (edges / features) |");
    println!("|---|---|---|---|---|---|");
    for (target, f) in &rows {
        println!(
            "| `{target}` | {} | {} | {:.0} s | {} units, {} | {} / {} |",
            f.executions,
            f.per_second,
            f.seconds,
            f.corpus_units,
            f.corpus_bytes,
            f.coverage,
            f.features
        );
    }
    Ok(())
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut options = Options {
        budget: Budget::Seconds(60),
        targets: Vec::new(),
        max_len: 1024,
        sanitizer: "none".to_owned(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .with_context(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--time" => options.budget = Budget::Seconds(number(&value("--time")?)?),
            "--runs" => options.budget = Budget::Runs(number(&value("--runs")?)?),
            "--target" => options.targets.push(value("--target")?),
            "--max-len" => options.max_len = number(&value("--max-len")?)?,
            "--sanitizer" => options.sanitizer = value("--sanitizer")?,
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    Ok(options)
}

fn number(text: &str) -> Result<u64> {
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("`{text}` is not a positive number"),
    }
}

fn workspace_root() -> Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    // cargo-fuzz's rustc flags are nightly-only; this lets the stable toolchain take them.
    command.env("RUSTC_BOOTSTRAP", "1");
    command
}

fn ensure_cargo_fuzz() -> Result<()> {
    let installed = cargo()
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if installed {
        return Ok(());
    }
    eprintln!("== installing cargo-fuzz from crates.io");
    let status = cargo()
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .context("running cargo install cargo-fuzz")?;
    if !status.success() {
        bail!("cargo install cargo-fuzz --locked failed");
    }
    Ok(())
}

fn list_targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let output = cargo()
        .current_dir(fuzz_dir)
        .args(["fuzz", "list"])
        .output()
        .context("running cargo fuzz list")?;
    if !output.status.success() {
        bail!(
            "cargo fuzz list failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let targets: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if targets.is_empty() {
        bail!("cargo fuzz list found no targets");
    }
    Ok(targets)
}

fn run_target(
    fuzz_dir: &Path,
    target_dir: &Path,
    target: &str,
    options: &Options,
) -> Result<Figures> {
    let scratch = target_dir.join("corpus").join(target);
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let seeds = fuzz_dir.join("corpus").join(target);
    let budget = match options.budget {
        Budget::Seconds(s) => format!("-max_total_time={s}"),
        Budget::Runs(n) => format!("-runs={n}"),
    };
    // libFuzzer reports on stderr: kept in a file, to follow with `tail -f` and to read the figures from.
    let logs = target_dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let log_path = logs.join(format!("{target}.log"));
    let log_file = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    eprintln!("   progress: {}", log_path.display());
    let started = Instant::now();
    let status = cargo()
        .current_dir(fuzz_dir)
        .args([
            "fuzz",
            "run",
            "--sanitizer",
            &options.sanitizer,
            "--target-dir",
        ])
        .arg(target_dir)
        .arg(target)
        .arg(&scratch)
        .arg(&seeds)
        .args(["--", &budget, &format!("-max_len={}", options.max_len)])
        .arg("-print_final_stats=1")
        .stdout(Stdio::inherit())
        .stderr(log_file)
        .status()
        .with_context(|| format!("running cargo fuzz run {target}"))?;
    let log = std::fs::read_to_string(&log_path)
        .with_context(|| format!("reading {}", log_path.display()))?;
    if !status.success() {
        // The crash report is at the end; the whole log is in the file.
        let lines: Vec<&str> = log.lines().collect();
        eprintln!("{}", lines[lines.len().saturating_sub(80)..].join("\n"));
        bail!(
            "fuzz target `{target}` failed; its input is in {}",
            fuzz_dir.join("artifacts").join(target).display()
        );
    }
    let mut figures = parse_figures(&log);
    if figures.seconds == 0.0 {
        figures.seconds = started.elapsed().as_secs_f64();
    }
    Ok(figures)
}

/// Reads libFuzzer's last status line and its final stats (`-print_final_stats=1`).
fn parse_figures(log: &str) -> Figures {
    let mut figures = Figures::default();
    let field = |line: &str, name: &str| -> Option<String> {
        let mut words = line.split_whitespace();
        words.find(|w| *w == name)?;
        words.next().map(str::to_owned)
    };
    for line in log.lines() {
        if let Some(value) = line.strip_prefix("stat::number_of_executed_units:") {
            figures.executions = value.trim().parse().unwrap_or_default();
        } else if let Some(value) = line.strip_prefix("stat::average_exec_per_sec:") {
            figures.per_second = value.trim().parse().unwrap_or_default();
        } else if let Some(rest) = line.strip_prefix("Done ") {
            // `Done 10000000 runs in 412 second(s)`
            figures.seconds = rest
                .split_whitespace()
                .nth(3)
                .and_then(|s| s.parse().ok())
                .unwrap_or_default();
        } else if line.starts_with('#') && line.contains(" cov: ") {
            figures.coverage = field(line, "cov:")
                .and_then(|v| v.parse().ok())
                .unwrap_or(figures.coverage);
            figures.features = field(line, "ft:")
                .and_then(|v| v.parse().ok())
                .unwrap_or(figures.features);
            if let Some((units, bytes)) = field(line, "corp:")
                .as_deref()
                .and_then(|c| c.split_once('/'))
            {
                figures.corpus_units = units.parse().unwrap_or_default();
                figures.corpus_bytes = bytes.to_owned();
            }
        }
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzer_figures() {
        let log = "INFO: Seed: 1\n\
            #2097152\tpulse  cov: 5150 ft: 12514 corp: 3671/516Kb lim: 454 exec/s: 26214 rss: 39Mb\n\
            #10000000\tDONE   cov: 5161 ft: 12600 corp: 3702/520Kb lim: 4096 exec/s: 24271 rss: 41Mb\n\
            Done 10000000 runs in 412 second(s)\n\
            stat::number_of_executed_units: 10000000\n\
            stat::average_exec_per_sec:     24271\n";
        assert_eq!(
            parse_figures(log),
            Figures {
                executions: 10_000_000,
                per_second: 24_271,
                seconds: 412.0,
                corpus_units: 3702,
                corpus_bytes: "520Kb".to_owned(),
                coverage: 5161,
                features: 12600,
            }
        );
    }

    #[test]
    fn parses_arguments() {
        let args = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let options = parse_args(&args(&["--runs", "10000000", "--target", "raw_id"])).unwrap();
        assert_eq!(options.budget, Budget::Runs(10_000_000));
        assert_eq!(options.targets, ["raw_id"]);
        assert_eq!(options.sanitizer, "none");
        assert_eq!(options.max_len, 1024);
        assert_eq!(parse_args(&[]).unwrap().budget, Budget::Seconds(60));
        assert!(parse_args(&args(&["--time", "0"])).is_err());
        assert!(parse_args(&args(&["--time"])).is_err());
        assert!(parse_args(&args(&["--fast"])).is_err());
    }
}
