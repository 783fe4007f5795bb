//! Project tooling, run as `cargo xtask <command>`.
//!
//! - `fixtures --check | --bless`: verify or rewrite the protocol snapshots of `acs-identity-core`.
//! - `interop`: the official Python and JS SDKs against our emulator.
//! - `cost`: the crates and fresh build time each public crate costs an application.
//! - `msrv`: no dependency needs a newer Rust than the workspace's `rust-version`.

use std::process::ExitCode;

mod bench;
mod cost;
mod fixtures;
mod fuzz;
mod interop;
mod msrv;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  cost [--count-only] crates and fresh build time of depending on each public crate
  fixtures --check   verify the protocol fixtures (request and response snapshots)
  fixtures --bless   rewrite the protocol fixtures from the current code
  fuzz [--time N]    run every fuzz target for N seconds (or --runs N) each (see `cargo xtask fuzz --help`)
  interop            run the official Python and JS SDKs against the emulator
  bench [--micro]    benchmark our clients against the official SDKs (see `cargo xtask bench --help`)
  msrv               check that no dependency needs a newer Rust than our rust-version";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bench") => bench::run(&args[1..]),
        Some("cost") => cost::run(&args[1..]),
        Some("fixtures") => fixtures::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("interop") => interop::run(&args[1..]),
        Some("msrv") => msrv::run(&args[1..]),
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(anyhow::anyhow!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
