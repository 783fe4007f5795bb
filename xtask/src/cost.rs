//! `cargo xtask cost`: what it costs an application to depend on each of our public crates.
//!
//! For each crate, a one-line program that depends on it (the emulator as a dev-dependency, the way tests use
//! it) is written under `<target>/cost/<crate>`, with the workspace's `Cargo.lock` so the versions are ours.
//! It prints the unique crates in its graph (normal and build dependencies, plus dev for the emulator; the
//! program itself not counted) and the time of a fresh debug build: wall clock and CPU (user + system of the
//! cargo and rustc processes, from `/proc`, Linux only), so a loaded machine shows in the gap between them.
//! It fails when a crate pulls more than its budget; CI runs `--count-only`.

use crate::interop::{cargo, target_dir, workspace_root};
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cargo xtask cost [--count-only]

  --count-only   count the crates in each graph, skip the builds (seconds instead of minutes)";

/// The crates an application depends on, how, and the most unique crates each may pull (issue 17's targets for
/// the clients; the others a little above what they pull today, so that growth is a decision).
const PROBES: [(&str, Use, usize); 6] = [
    ("acs-identity-types", Use::Normal, 20),
    ("acs-auth", Use::Normal, 35),
    ("acs-identity-blocking", Use::Normal, 80),
    ("acs-identity", Use::Normal, 115),
    ("acs-connection-guard", Use::Normal, 5),
    ("acs-identity-emulator", Use::Dev, 170),
];

#[derive(Clone, Copy, PartialEq)]
enum Use {
    Normal,
    Dev,
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let count_only = match args {
        [] => false,
        [flag] if flag == "--count-only" => true,
        _ => bail!("{USAGE}"),
    };
    let workspace = workspace_root()?;
    let root = target_dir(&workspace)?.join("cost");
    let lock =
        std::fs::read_to_string(workspace.join("Cargo.lock")).context("reading Cargo.lock")?;
    println!("| crate | unique crates | fresh debug build (wall) | CPU (user + sys) |");
    println!("|---|---|---|---|");
    let mut over = Vec::new();
    for (name, how, budget) in PROBES {
        let dir = root.join(name);
        write_probe(&dir, &workspace, name, how, &lock)?;
        let crates = count_crates(&dir, how)?;
        if crates > budget {
            over.push(format!("{name} pulls {crates} crates (budget {budget})"));
        }
        let (wall, cpu) = if count_only {
            ("-".to_owned(), "-".to_owned())
        } else {
            let (wall, cpu) = build(&dir, how)?;
            (
                format!("{:.1} s", wall.as_secs_f64()),
                cpu.map_or("-".to_owned(), |cpu| format!("{:.1} s", cpu.as_secs_f64())),
            )
        };
        let label = if how == Use::Dev {
            format!("{name} (dev-dependency)")
        } else {
            name.to_owned()
        };
        println!("| {label} | {crates} | {wall} | {cpu} |");
    }
    if !over.is_empty() {
        bail!("over the dependency budget:\n  {}", over.join("\n  "));
    }
    Ok(())
}

fn write_probe(dir: &Path, workspace: &Path, name: &str, how: Use, lock: &str) -> Result<()> {
    std::fs::create_dir_all(dir.join("src"))?;
    let path = workspace.join("crates").join(name);
    let section = match how {
        Use::Normal => "dependencies",
        Use::Dev => "dev-dependencies",
    };
    let manifest = format!(
        "[package]\nname = \"cost-probe\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [{section}]\n{name} = {{ path = {path:?} }}\n\n[workspace]\n"
    );
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    let crate_name = name.replace('-', "_");
    let main = match how {
        Use::Normal => format!("use {crate_name} as _;\n\nfn main() {{}}\n"),
        Use::Dev => {
            "fn main() {}\n\n#[cfg(test)]\nmod tests {\n    use acs_identity_emulator as _;\n}\n"
                .to_owned()
        }
    };
    std::fs::write(dir.join("src/main.rs"), main)?;
    // The workspace's lock: cargo drops what the probe does not use and keeps our versions of the rest.
    std::fs::write(dir.join("Cargo.lock"), lock)?;
    Ok(())
}

fn count_crates(dir: &Path, how: Use) -> Result<usize> {
    let edges = match how {
        Use::Normal => "normal,build",
        Use::Dev => "normal,build,dev",
    };
    let output = Command::new(cargo())
        .args(["tree", "--offline", "--prefix", "none", "-e", edges])
        .current_dir(dir)
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let unique: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some(format!("{} {}", words.next()?, words.next()?))
        })
        .filter(|crate_| !crate_.starts_with("cost-probe "))
        .collect();
    Ok(unique.len())
}

fn build(dir: &Path, how: Use) -> Result<(Duration, Option<Duration>)> {
    let target = dir.join("target");
    if target.exists() {
        std::fs::remove_dir_all(&target).context("removing the probe's old build")?;
    }
    let mut command = Command::new(cargo());
    command
        .args(["build", "--offline", "--quiet"])
        .current_dir(dir);
    if how == Use::Dev {
        command.arg("--tests");
    }
    let cpu_before = children_cpu();
    let started = Instant::now();
    let status = command.status().context("running cargo build")?;
    let wall = started.elapsed();
    if !status.success() {
        bail!("the probe in {} did not build", dir.display());
    }
    let cpu = cpu_before
        .zip(children_cpu())
        .map(|(before, after)| after.saturating_sub(before));
    // The probe's build is large (the emulator's is over 1 GB); only the numbers are kept.
    std::fs::remove_dir_all(&target).context("removing the probe's build")?;
    Ok((wall, cpu))
}

/// User + system time of this process's waited-for children (`cutime` + `cstime` of `/proc/self/stat`).
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; cutime and cstime are fields 16 and 17 (1-based).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux ABI cargo targets.
    Some(Duration::from_millis(ticks * 10))
}
