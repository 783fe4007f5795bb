//! `cargo xtask msrv`: no dependency may need a newer Rust than the workspace's `rust-version`.
//!
//! Only one toolchain can be installed on our machines, so instead of building with the MSRV compiler we check
//! the `rust-version` every package in the lock file declares.

use anyhow::{Context, bail};
use std::process::Command;

pub(crate) fn run(_args: &[String]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let packages = metadata["packages"]
        .as_array()
        .context("no packages in metadata")?;
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .context("no workspace members")?
        .iter()
        .filter_map(|id| id.as_str())
        .collect();
    let msrv = packages
        .iter()
        .find(|p| p["id"].as_str().is_some_and(|id| members.contains(&id)))
        .and_then(|p| p["rust_version"].as_str())
        .context("the workspace declares no rust-version")?;
    let ours = parse(msrv).context("unreadable workspace rust-version")?;
    let mut too_new = Vec::new();
    for package in packages {
        if let Some(version) = package["rust_version"].as_str()
            && parse(version).is_some_and(|v| v > ours)
        {
            too_new.push(format!(
                "{} {} needs Rust {version}",
                package["name"], package["version"]
            ));
        }
    }
    if too_new.is_empty() {
        println!(
            "msrv: all {} packages build with Rust {msrv}",
            packages.len()
        );
        Ok(())
    } else {
        bail!(
            "packages above the MSRV {msrv}:\n  {}",
            too_new.join("\n  ")
        )
    }
}

/// `1.88` or `1.88.0` as a comparable triple.
fn parse(version: &str) -> Option<(u32, u32, u32)> {
    let mut parts = version.split('.').map(str::parse::<u32>);
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}
