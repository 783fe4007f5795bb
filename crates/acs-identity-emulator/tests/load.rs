//! Load: 64 concurrent keep-alive connections, each sending signed requests back to back for a bounded
//! time. Every request succeeds, no connection is dropped, and the process's resident memory does not grow
//! past a bound between the end of a warm-up and the end of the run.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use acs_auth::{AccessKey, sign_request};
use acs_identity_emulator::{Emulator, Operation};
use common::PREVIEW;
use http::Request;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

const CONNECTIONS: usize = 64;
const WARM_UP: Duration = Duration::from_secs(1);
const RUN: Duration = Duration::from_secs(3);
/// Growth of the resident set allowed between the end of the warm-up and the end of the run. The request
/// log is bounded (1024 records) and the load creates no rows, so what remains is allocator noise.
const RSS_GROWTH_BOUND: u64 = 8 * 1024 * 1024;

/// Resident set size of this process (emulator and load generator), from `/proc/self/statm`.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    failed: AtomicU64,
}

/// One keep-alive connection sending signed requests until `stop`; returns how many it sent.
async fn connection(
    authority: String,
    key: AccessKey,
    id: String,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) -> u64 {
    let tcp = TcpStream::connect(&authority).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    let mut sent = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let (method, target, body) = if sent.is_multiple_of(2) {
            (
                "POST",
                format!("/identities/{id}/:issueAccessToken?api-version={PREVIEW}"),
                br#"{"scopes":["chat"]}"#.to_vec(),
            )
        } else {
            (
                "GET",
                format!("/identities/{id}?api-version={PREVIEW}"),
                Vec::new(),
            )
        };
        let mut request = Request::builder()
            .method(method)
            .uri(target)
            .header("host", &authority)
            .body(body)
            .unwrap();
        sign_request(&mut request, &key, SystemTime::now());
        sent += 1;
        let reply = tokio::time::timeout(
            Duration::from_secs(20),
            sender.send_request(request.map(|b| Full::new(Bytes::from(b)))),
        )
        .await
        .expect("a request took over 20 s");
        let ok = match reply {
            Ok(response) => {
                let status = response.status();
                let body = response.into_body().collect().await;
                status.is_success() && body.is_ok()
            }
            Err(_) => false,
        };
        let counter = if ok { &counters.ok } else { &counters.failed };
        counter.fetch_add(1, Ordering::Relaxed);
        if !ok {
            break;
        }
    }
    drop(sender);
    let _ = driver.await;
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_keep_alive_connections_without_errors_or_growth() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = common::Client::new(&emulator);
    let id = common::create_identity(&client, PREVIEW).await;
    let identities = emulator.identity_count().unwrap();
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            tokio::spawn(connection(
                emulator.local_addr().to_string(),
                emulator.access_key().clone(),
                id.clone(),
                Arc::clone(&counters),
                Arc::clone(&stop),
            ))
        })
        .collect();

    tokio::time::sleep(WARM_UP).await;
    let rss_warm = rss_bytes();
    let warm_requests = counters.ok.load(Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(RUN).await;
    let measured = counters.ok.load(Ordering::Relaxed) - warm_requests;
    let elapsed = started.elapsed();
    let rss_end = rss_bytes();
    stop.store(true, Ordering::Relaxed);

    let mut per_connection = Vec::new();
    for task in tasks {
        per_connection.push(task.await.unwrap());
    }
    let failed = counters.failed.load(Ordering::Relaxed);
    let total = counters.ok.load(Ordering::Relaxed);
    let rate = measured as f64 / elapsed.as_secs_f64();
    eprintln!(
        "load: {CONNECTIONS} connections, {total} requests ({rate:.0}/s after warm-up), \
         RSS {} KiB -> {} KiB",
        rss_warm / 1024,
        rss_end / 1024
    );
    assert_eq!(failed, 0, "failed requests");
    assert!(
        per_connection.iter().all(|&n| n > 10),
        "every connection stayed open and busy: {per_connection:?}"
    );
    let counted = emulator.requests().count(Operation::IssueAccessToken)
        + emulator.requests().count(Operation::GetIdentity);
    assert_eq!(counted, total, "the emulator counted every request");
    assert!(
        rss_end <= rss_warm + RSS_GROWTH_BOUND,
        "resident memory grew from {rss_warm} to {rss_end} bytes"
    );
    assert_eq!(emulator.identity_count().unwrap(), identities);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_request_abandoned_during_latency_is_counted_and_logged() {
    use acs_identity_emulator::{Fault, FaultRule};
    use tokio::io::AsyncWriteExt as _;

    let emulator = Emulator::builder().start().await.unwrap();
    emulator.faults().push(FaultRule::next(
        1,
        Fault::Latency(Duration::from_millis(300)),
    ));
    let client = common::Client::new(&emulator);
    let request = client.signed("POST", "/identities?api-version=2023-10-01", "{}");
    let mut head = format!(
        "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-length: 2\r\n",
        request.uri(),
        emulator.local_addr()
    );
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    let mut tcp = TcpStream::connect(emulator.local_addr()).await.unwrap();
    tcp.write_all(format!("{head}\r\n{{}}").as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(tcp); // the client gives up during the latency
    tokio::time::sleep(Duration::from_millis(500)).await;

    let log = emulator.requests();
    assert_eq!(log.count(Operation::CreateIdentity), 1);
    let records = log.records_of(Operation::CreateIdentity);
    assert_eq!(records.len(), 1, "the counted request is in the log");
    assert_eq!(records[0].status, None, "{:?}", records[0]);
    assert!(!records[0].faulted, "latency alone answers nothing");
    emulator.shutdown().await;
}
