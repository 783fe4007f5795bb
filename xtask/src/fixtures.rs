//! `cargo xtask fixtures`: the protocol snapshots of `acs-identity-core`.
//!
//! - `--check` runs the fixture tests with `INSTA_UPDATE=no`: any snapshot difference, missing
//!   snapshot or stale snapshot file fails.
//! - `--bless` rewrites every snapshot from the current code, removes the snapshot files no test
//!   refers to, then checks.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

const PACKAGE: &str = "acs-identity-core";
/// The test target holding every fixture test (`tests/fixtures/main.rs`).
const TEST_TARGET: &str = "fixtures";
/// The test that fails on unreferenced snapshots; skipped while blessing, which removes them.
const STALE_TEST: &str = "stale::no_stale_snapshots";

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    match args {
        [flag] if flag == "--check" => check(),
        [flag] if flag == "--bless" => bless(),
        _ => bail!("usage: cargo xtask fixtures --check | --bless"),
    }
}

fn check() -> anyhow::Result<()> {
    println!("fixtures: checking the snapshots of {PACKAGE} (INSTA_UPDATE=no)");
    let mut test = cargo_test();
    test.env("INSTA_UPDATE", "no")
        .env_remove("INSTA_FORCE_PASS");
    run_command(test).context(
        "the fixtures differ from their snapshots (review, then `cargo xtask fixtures --bless`)",
    )?;
    println!("fixtures: every snapshot matches and none is stale");
    Ok(())
}

fn bless() -> anyhow::Result<()> {
    let references = target_dir()
        .join("xtask")
        .join("fixture-snapshot-references.txt");
    fs::create_dir_all(references.parent().unwrap_or(Path::new(".")))?;
    if references.exists() {
        fs::remove_file(&references)?;
    }
    println!("fixtures: rewriting the snapshots of {PACKAGE} (INSTA_UPDATE=always)");
    let mut test = cargo_test();
    test.env("INSTA_UPDATE", "always")
        .env("INSTA_FORCE_PASS", "1")
        .env("INSTA_SNAPSHOT_REFERENCES_FILE", &references)
        .args(["--", "--skip", STALE_TEST]);
    run_command(test).context("the fixture tests failed while blessing")?;

    let referenced: BTreeSet<PathBuf> = fs::read_to_string(&references)
        .with_context(|| format!("reading {}", references.display()))?
        .lines()
        .map(|line| canonical(Path::new(line)))
        .collect();
    let mut removed = 0;
    for file in files_below(&snapshots_dir())? {
        let name = file.to_string_lossy();
        let leftover = name.ends_with(".snap.new") || name.ends_with(".pending-snap");
        if leftover || (name.ends_with(".snap") && !referenced.contains(&canonical(&file))) {
            fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
            println!(
                "fixtures: removed {}",
                file.strip_prefix(workspace_root())
                    .unwrap_or(&file)
                    .display()
            );
            removed += 1;
        }
    }
    println!(
        "fixtures: {} snapshots referenced, {removed} files removed",
        referenced.len()
    );
    check()
}

fn cargo_test() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root()).args([
        "test",
        "--package",
        PACKAGE,
        "--test",
        TEST_TARGET,
    ]);
    command
}

fn run_command(mut command: Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} exited with {status}");
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

fn snapshots_dir() -> PathBuf {
    workspace_root()
        .join("crates")
        .join(PACKAGE)
        .join("tests")
        .join(TEST_TARGET)
        .join("snapshots")
}

fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The files below `root`, recursively (the snapshot folders are two levels deep).
fn files_below(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if !dir.exists() {
            continue;
        }
        for entry in fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path)
            } else {
                files.push(path)
            }
        }
    }
    files.sort();
    Ok(files)
}
