//! `bench-client service`: `concurrency` signed-in users, one request in flight each, asking
//! `acs-token-service` for chat tokens on one connection pool (distinct users: no two requests in flight are
//! the same, so the service's single flight never merges them). The token service's own CPU is what `cargo xtask bench` reads; this
//! process is only the load.

use std::time::Instant;

use super::{Args, Phase, Tally, cpu_time, report};

pub(crate) fn run(args: &Args) -> Result<String, String> {
    let service =
        std::env::var("ACS_TOKEN_SERVICE_URL").map_err(|_| "ACS_TOKEN_SERVICE_URL is not set")?;
    let sign_in = std::env::var("ACS_SIGN_IN_URL").map_err(|_| "ACS_SIGN_IN_URL is not set")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // Plain http on loopback, but reqwest wants a TLS provider to build a client at all.
    let _ = rustls::crypto::ring::default_provider().install_default();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut bearers = Vec::with_capacity(args.concurrency);
        for worker in 0..args.concurrency {
            let bearer = http
                .get(format!("{sign_in}&sub=bench-{worker}"))
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| format!("signing in: {e}"))?
                .text()
                .await
                .map_err(|e| e.to_string())?;
            bearers.push(bearer);
        }
        let url = format!("{service}/token");
        let deadline = Instant::now() + args.max_time;
        let phase = async |calls: usize| {
            let phase = Phase::new(calls, deadline);
            let workers: Vec<_> = bearers
                .iter()
                .map(|bearer| {
                    let (http, url, bearer, phase) =
                        (http.clone(), url.clone(), bearer.clone(), phase.clone());
                    tokio::spawn(async move {
                        let mut tally = Tally::default();
                        while phase.claim() {
                            let started = Instant::now();
                            let result = ask(&http, &url, &bearer).await;
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
        let before = cache_counts(&http, &service).await;
        let (cpu, started) = (cpu_time(), Instant::now());
        let tally = phase(args.count).await?;
        let elapsed = started.elapsed();
        let after = cache_counts(&http, &service).await;
        let mut line: serde_json::Value =
            serde_json::from_str(&report(tally, elapsed, cpu)).map_err(|e| e.to_string())?;
        // What the service's token cache and single flight did during the measured calls.
        line["token_cache"] = serde_json::json!(
            OUTCOMES
                .iter()
                .zip(after.iter().zip(before.iter()))
                .map(|(outcome, (a, b))| ((*outcome).to_owned(), serde_json::json!(a - b)))
                .collect::<serde_json::Map<_, _>>()
        );
        Ok(line.to_string())
    })
}

async fn ask(http: &reqwest::Client, url: &str, bearer: &str) -> Result<(), String> {
    let response = http
        .post(url)
        .bearer_auth(bearer)
        .header("content-type", "application/json")
        .body(r#"{"scopes":["chat"]}"#)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))
    }
}

/// The outcomes of `acs_token_service_token_cache_total`: `miss` and `unavailable` called ACS.
const OUTCOMES: [&str; 4] = ["hit", "shared_flight", "miss", "unavailable"];

/// The service's token cache counters, from its `/metrics` (zeros if it has none).
async fn cache_counts(http: &reqwest::Client, service: &str) -> [f64; 4] {
    let text = match http.get(format!("{service}/metrics")).send().await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    OUTCOMES.map(|outcome| {
        let prefix = format!("acs_token_service_token_cache_total{{outcome=\"{outcome}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0.0)
    })
}
