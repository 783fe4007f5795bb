//! Measures issue-token throughput: an in-process emulator and keep-alive clients that sign every request.
//!
//! `cargo run --release -p acs-identity-emulator --example load -- [seconds] [connections] [data-dir]`
//!
//! The clients share the machine's cores with the emulator, so the rate understates the server alone; the
//! example also reports the CPU time of the emulator's own threads (Linux), hence its cost per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use acs_auth::sign_request;
use acs_identity_emulator::Emulator;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);
    let connections: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(32);
    let builder = Emulator::builder();
    let builder = match args.next() {
        Some(dir) => builder.data_dir(dir),
        None => builder,
    };
    // The emulator runs on its own runtime, whose threads are told apart by name below.
    let emulator = tokio::task::spawn_blocking(move || builder.start_in_background()).await??;
    let address = emulator.local_addr();
    let key = emulator.access_key().clone();

    // One identity per connection.
    let mut targets = Vec::new();
    for _ in 0..connections {
        let stream = tokio::net::TcpStream::connect(address).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let mut request = http::Request::post("/identities?api-version=2023-10-01")
            .header("host", address.to_string())
            .body(Vec::new())?;
        sign_request(&mut request, &key, SystemTime::now());
        let response = sender
            .send_request(request.map(|b| Full::new(Bytes::from(b))))
            .await?;
        let body = response.into_body().collect().await?.to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body)?;
        let id = json["identity"]["id"]
            .as_str()
            .ok_or("no id")?
            .replace(':', "%3A");
        targets.push(format!(
            "/identities/{id}/:issueAccessToken?api-version=2023-10-01"
        ));
    }

    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for target in targets {
        let (key, done, failed) = (key.clone(), Arc::clone(&done), Arc::clone(&failed));
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(address).await?;
            stream.set_nodelay(true)?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            while Instant::now() < deadline {
                let mut request = http::Request::post(target.as_str())
                    .header("host", address.to_string())
                    .header("content-type", "application/json")
                    .body(br#"{"scopes":["chat","voip"]}"#.to_vec())?;
                sign_request(&mut request, &key, SystemTime::now());
                let response = sender
                    .send_request(request.map(|b| Full::new(Bytes::from(b))))
                    .await?;
                let ok = response.status() == 200;
                response.into_body().collect().await?;
                if ok { &done } else { &failed }.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    let started = Instant::now();
    let cpu_before = emulator_cpu_seconds();
    for task in tasks {
        task.await?.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = emulator_cpu_seconds() - cpu_before;
    let done = done.load(Ordering::Relaxed);
    println!(
        "{done} tokens in {elapsed:.1} s over {connections} connections: {:.0}/s ({} failed)",
        done as f64 / elapsed,
        failed.load(Ordering::Relaxed)
    );
    if cpu > 0.0 {
        let per_second = done as f64 / cpu;
        println!(
            "emulator CPU {cpu:.2} s: {:.1} us per token, {per_second:.0} tokens per CPU-second ({:.0}/s on 2 cores)",
            1e6 / per_second,
            2.0 * per_second
        );
    }
    tokio::task::spawn_blocking(move || emulator.shutdown()).await?;
    Ok(())
}

/// User + system CPU time of the emulator's threads (named after it), from `/proc`; 0 elsewhere.
fn emulator_cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut ticks = 0u64;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ...`: comm may contain spaces, so split after the closing parenthesis.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !stat[open + 1..close].starts_with("acs-identity") {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the comm.
        ticks += fields
            .get(11)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0);
        ticks += fields
            .get(12)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0);
    }
    ticks as f64 / 100.0
}
