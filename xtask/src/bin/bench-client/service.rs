//! `bench-client service`: a signed-in user asking `acs-token-service` for chat tokens, `concurrency` requests
//! in flight on one connection pool. The token service's own CPU is what `cargo xtask bench` reads; this
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
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let bearer = http
            .get(&sign_in)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("signing in: {e}"))?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        let url = format!("{service}/token");
        let deadline = Instant::now() + args.max_time;
        let phase = async |calls: usize| {
            let phase = Phase::new(calls, deadline);
            let workers: Vec<_> = (0..args.concurrency)
                .map(|_| {
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
        let (cpu, started) = (cpu_time(), Instant::now());
        let tally = phase(args.count).await?;
        Ok(report(tally, started.elapsed(), cpu))
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
