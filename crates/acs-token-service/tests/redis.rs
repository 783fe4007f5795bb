//! Several instances sharing one real Redis (a `redis-server` each test starts on a loopback port): one
//! rate limit, one encrypted token cache, revocation everywhere, Redis killed, paused and restarted.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use acs_identity_emulator::Emulator;
use common::{Instance, RedisServer, acs_calls, answer, sign_in};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_acs-token-service");
/// 32 bytes, base64: the cache key every instance shares.
const CACHE_KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

fn shared_config(redis: &RedisServer, fail: &str, per_user: u32) -> String {
    format!(
        "[redis]\nurl = \"{url}\"\nrate_limit_fail = \"{fail}\"\ntimeout = \"300ms\"\n\n\
         [token_cache]\nmin_remaining = \"10m\"\n[[token_cache.keys]]\nid = \"k1\"\nkey = \"{CACHE_KEY}\"\n\n\
         [policy.default]\nscopes = [\"chat\", \"voip\"]\nmax_lifetime_minutes = 1440\n\n\
         [rate_limits]\nper_user = {{ requests = {per_user}, window = \"1m\" }}\n\
         per_ip = {{ requests = 1000000, window = \"1m\" }}\n",
        url = redis.url(),
    )
}

fn http() -> reqwest::Client {
    common::http_builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

async fn token(http: &reqwest::Client, url: &str, jwt: &str, body: Value) -> (u16, Value) {
    let response = http
        .post(format!("{url}/token"))
        .bearer_auth(jwt)
        .json(&body)
        .send()
        .await
        .expect("response");
    answer(response).await
}

async fn call(http: &reqwest::Client, method: reqwest::Method, url: &str, jwt: &str) -> u16 {
    http.request(method, url)
        .bearer_auth(jwt)
        .send()
        .await
        .expect("response")
        .status()
        .as_u16()
}

async fn readyz(http: &reqwest::Client, url: &str) -> (u16, Value) {
    answer(
        http.get(format!("{url}/readyz"))
            .send()
            .await
            .expect("readyz"),
    )
    .await
}

/// Statuses of `count` concurrent `POST /token` of `jwt`, spread over `urls` in turn.
async fn burst(urls: &[String], jwt: &str, count: usize) -> Vec<u16> {
    let http = http();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..count {
        let (http, url, jwt) = (
            http.clone(),
            urls[index % urls.len()].clone(),
            jwt.to_owned(),
        );
        tasks.spawn(async move {
            token(&http, &url, &jwt, json!({"scopes": ["chat"]}))
                .await
                .0
        });
    }
    tasks.join_all().await
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|&&s| s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_enforce_one_per_user_limit() {
    let redis = RedisServer::start();
    let emulator = Emulator::builder().start().await.expect("emulator");
    let config = shared_config(&redis, "closed", 10);
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(Instance::start(&emulator, &config).await);
    }
    let urls: Vec<String> = instances.iter().map(|i| i.url.clone()).collect();
    let alice = sign_in(&emulator, "alice");

    let statuses = burst(&urls, &alice, 36).await;
    assert_eq!(count(&statuses, 200), 10, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 26, "{statuses:?}");
    // Bob's limit is his own.
    let bob = sign_in(&emulator, "bob");
    assert_eq!(count(&burst(&urls, &bob, 3).await, 200), 3);
    for instance in instances {
        instance.stop().await;
    }
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary with `config`, and its address from its `listening address=` log line.
fn spawn_binary(config: &std::path::Path) -> (Process, String) {
    use std::io::BufRead as _;
    let mut child = Command::new(BINARY)
        .args(["--config", config.to_str().expect("path")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let process = Process(child);
    let address = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("listening within 30 s");
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().expect("address").to_owned();
        }
    };
    // Keep draining the log so that the process never blocks on it.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    (process, format!("http://{address}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_of_the_binary_share_the_limit_and_the_cache() {
    let redis = RedisServer::start();
    let emulator = Emulator::builder().start().await.expect("emulator");
    let dir = std::env::temp_dir().join(format!("acs-token-service-redis-bin-{}", redis.port));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("config.toml");
    let toml = common::config_toml(
        &emulator,
        "",
        &format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n\n{}",
            shared_config(&redis, "closed", 8)
        ),
    );
    std::fs::write(&config, toml).expect("config");
    let (_a, url_a) = spawn_binary(&config);
    let (_b, url_b) = spawn_binary(&config);
    let urls = [url_a.clone(), url_b.clone()];
    let http = http();

    let carol = sign_in(&emulator, "carol");
    let before = acs_calls(&emulator);
    let (status, first) = token(&http, &url_a, &carol, json!({"scopes": ["chat"]})).await;
    assert_eq!(status, 200, "{first}");
    let (status, second) = token(&http, &url_b, &carol, json!({"scopes": ["chat"]})).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(
        first["token"], second["token"],
        "process B served A's cached token"
    );
    assert_eq!(acs_calls(&emulator) - before, 1, "one ACS call for both");

    // 2 used; 6 left in this window, whichever process is asked.
    let statuses = burst(&urls, &carol, 20).await;
    assert_eq!(count(&statuses, 200), 6, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 14, "{statuses:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_cached_by_one_instance_is_served_by_another_until_revoked() {
    let redis = RedisServer::start();
    let emulator = Emulator::builder().start().await.expect("emulator");
    let config = shared_config(&redis, "closed", 1000);
    let a = Instance::start(&emulator, &config).await;
    let b = Instance::start(&emulator, &config).await;
    let http = http();
    let alice = sign_in(&emulator, "alice");
    let chat = json!({"scopes": ["chat"]});

    let before = acs_calls(&emulator);
    let (status, first) = token(&http, &a.url, &alice, chat.clone()).await;
    assert_eq!(status, 200, "{first}");
    let t1 = first["token"].as_str().expect("token").to_owned();
    let (_, from_b) = token(&http, &b.url, &alice, chat.clone()).await;
    assert_eq!(from_b["token"], t1.as_str());
    assert_eq!(from_b["expiresOn"], first["expiresOn"]);
    assert_eq!(acs_calls(&emulator) - before, 1);

    // The lifetime is part of the entry's place: 120 minutes is another token, cached on its own.
    let long = json!({"scopes": ["chat"], "expiresInMinutes": 120});
    let (_, t120) = token(&http, &b.url, &alice, long.clone()).await;
    assert_ne!(t120["token"], t1.as_str());
    let (_, t120_again) = token(&http, &a.url, &alice, long).await;
    assert_eq!(t120_again["token"], t120["token"]);
    // Scopes are a set: the order does not matter, another set is another token.
    let (_, both) = token(&http, &a.url, &alice, json!({"scopes": ["voip", "chat"]})).await;
    let (_, both_again) = token(&http, &b.url, &alice, json!({"scopes": ["chat", "voip"]})).await;
    assert_eq!(both["token"], both_again["token"]);
    assert_ne!(both["token"], t1.as_str());
    assert_eq!(acs_calls(&emulator) - before, 3);

    // Revoked through A: B no longer serves it.
    let revoke = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/token/revoke", a.url),
        &alice,
    )
    .await;
    assert_eq!(revoke, 204);
    assert_eq!(emulator.check_access_token(&t1).name(), "revoked");
    let (_, after) = token(&http, &b.url, &alice, chat.clone()).await;
    let t2 = after["token"].as_str().expect("token").to_owned();
    assert_ne!(t2, t1);
    assert!(emulator.check_access_token(&t2).is_valid());

    // Deleted through B: A issues for the new identity.
    let delete = call(
        &http,
        reqwest::Method::DELETE,
        &format!("{}/user", b.url),
        &alice,
    )
    .await;
    assert_eq!(delete, 204);
    let (_, recreated) = token(&http, &a.url, &alice, chat).await;
    assert_ne!(recreated["token"], t2.as_str());
    assert_ne!(recreated["userId"], first["userId"]);

    let custom_id = format!("{}|alice", emulator.oidc_issuer());
    let t3 = recreated["token"].as_str().expect("token");
    let keys = redis.assert_holds_none_of(&[&t1, &t2, t3, &custom_id, "alice", &t1[..24]]);
    assert!(keys >= 2, "rate counters and a token hash are there");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_the_service_degrades_then_recovers() {
    let mut redis = RedisServer::start();
    let emulator = Emulator::builder().start().await.expect("emulator");
    let closed = Instance::start(&emulator, &shared_config(&redis, "closed", 1000)).await;
    let local = Instance::start(&emulator, &shared_config(&redis, "local", 1000)).await;
    let http = http();
    let dave = sign_in(&emulator, "dave");
    let chat = json!({"scopes": ["chat"]});
    let (status, cached) = token(&http, &local.url, &dave, chat.clone()).await;
    assert_eq!(status, 200);
    let mut tokens = vec![cached["token"].as_str().expect("token").to_owned()];

    redis.kill();
    let started = Instant::now();
    let (status, refused) = token(&http, &closed.url, &dave, chat.clone()).await;
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["error"]["code"], "rate_limit_unavailable");
    let (status, degraded) = token(&http, &local.url, &dave, chat.clone()).await;
    assert_eq!(status, 200, "fail local keeps issuing: {degraded}");
    tokens.push(degraded["token"].as_str().expect("token").to_owned());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let (status, ready) = readyz(&http, &closed.url).await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["redis"]["ready"], false, "{ready}");
    let (status, ready) = readyz(&http, &local.url).await;
    assert_eq!(status, 200, "degraded but serving: {ready}");
    assert_eq!(ready["redis"]["ready"], false, "{ready}");

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = token(&http, &closed.url, &dave, chat.clone()).await;
        if status == 200 {
            tokens.push(body["token"].as_str().expect("token").to_owned());
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {status} {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Cached again, across both instances.
    let before = acs_calls(&emulator);
    let (_, again) = token(&http, &local.url, &dave, chat).await;
    assert_eq!(again["token"], tokens[2].as_str());
    assert_eq!(acs_calls(&emulator), before);
    loop {
        let (status, body) = readyz(&http, &closed.url).await;
        if status == 200 {
            assert_eq!(body["redis"]["ready"], true);
            break;
        }
        assert!(Instant::now() < deadline, "readyz did not recover: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let custom_id = format!("{}|dave", emulator.oidc_issuer());
    let mut secrets: Vec<&str> = tokens.iter().map(String::as_str).collect();
    secrets.extend([custom_id.as_str(), "dave"]);
    redis.assert_holds_none_of(&secrets);
    closed.stop().await;
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_redis_costs_a_deadline_and_a_revocation_waits_for_it() {
    let redis = RedisServer::start();
    let emulator = Emulator::builder().start().await.expect("emulator");
    let config = shared_config(&redis, "local", 1000);
    let a = Instance::start(&emulator, &config).await;
    let b = Instance::start(&emulator, &config).await;
    let http = http();
    let erin = sign_in(&emulator, "erin");
    let chat = json!({"scopes": ["chat"]});
    let (_, first) = token(&http, &a.url, &erin, chat.clone()).await;
    let t1 = first["token"].as_str().expect("token").to_owned();

    redis.pause();
    let started = Instant::now();
    let (status, body) = token(&http, &a.url, &erin, chat.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // ACS revoked, but the cache could not be cleared: the caller is told to try again.
    let revoke = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/token/revoke", a.url),
        &erin,
    )
    .await;
    assert_eq!(revoke, 503);
    assert_eq!(emulator.check_access_token(&t1).name(), "revoked");
    redis.resume();

    // A's next cache call does the pending revocation first; then B does not serve the old token either.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, from_a) = token(&http, &a.url, &erin, chat.clone()).await;
    assert_ne!(from_a["token"], t1.as_str());
    let (_, from_b) = token(&http, &b.url, &erin, chat).await;
    assert_ne!(from_b["token"], t1.as_str());
    assert!(
        emulator
            .check_access_token(from_b["token"].as_str().unwrap())
            .is_valid()
    );
    a.stop().await;
    b.stop().await;
}

async fn soak_caller(
    http: reqwest::Client,
    urls: Arc<Vec<String>>,
    jwts: Arc<Vec<String>>,
    done: Arc<AtomicUsize>,
    total: usize,
) -> Vec<u16> {
    let mut statuses = Vec::new();
    loop {
        let index = done.fetch_add(1, Ordering::Relaxed);
        if index >= total {
            return statuses;
        }
        let lifetime = if index.is_multiple_of(3) { 120 } else { 60 };
        let body = json!({"scopes": ["chat"], "expiresInMinutes": lifetime});
        let (status, _) = token(
            &http,
            &urls[index % urls.len()],
            &jwts[index % jwts.len()],
            body,
        )
        .await;
        statuses.push(status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_three_instances_eight_callers_and_a_redis_restart() {
    const TOTAL: usize = 3000;
    let redis = Arc::new(std::sync::Mutex::new(RedisServer::start()));
    let emulator = Emulator::builder().start().await.expect("emulator");
    let config = shared_config(&redis.lock().unwrap(), "local", 1_000_000);
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(Instance::start(&emulator, &config).await);
    }
    let urls = Arc::new(instances.iter().map(|i| i.url.clone()).collect::<Vec<_>>());
    let jwts = Arc::new(
        (0..6)
            .map(|i| sign_in(&emulator, &format!("soak-{i}")))
            .collect::<Vec<_>>(),
    );
    let done = Arc::new(AtomicUsize::new(0));
    let before = acs_calls(&emulator);
    let started = Instant::now();
    let http = http();
    let callers: Vec<_> = (0..8)
        .map(|_| {
            tokio::spawn(soak_caller(
                http.clone(),
                urls.clone(),
                jwts.clone(),
                done.clone(),
                TOTAL,
            ))
        })
        .collect();
    while done.load(Ordering::Relaxed) < TOTAL / 2 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "soak too slow"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Before the restart the shared cache holds: 6 users x 2 lifetimes, at most one flight per instance.
    let before_restart = acs_calls(&emulator) - before;
    assert!(
        before_restart <= 6 * 2 * 3,
        "{before_restart} ACS calls before the restart"
    );
    let restarted = redis.clone();
    tokio::task::spawn_blocking(move || restarted.lock().unwrap().restart())
        .await
        .expect("restart");
    let mut statuses = Vec::new();
    for caller in callers {
        statuses.extend(caller.await.expect("caller"));
    }
    let elapsed = started.elapsed();
    let acs = acs_calls(&emulator) - before;
    println!(
        "soak: {TOTAL} requests in {elapsed:?} ({:.0}/s), {acs} ACS calls, statuses 200={}",
        TOTAL as f64 / elapsed.as_secs_f64(),
        count(&statuses, 200)
    );
    assert_eq!(statuses.len(), TOTAL);
    assert_eq!(
        count(&statuses, 200),
        TOTAL,
        "every request served: {:?}",
        {
            let mut other: Vec<u16> = statuses.iter().copied().filter(|&s| s != 200).collect();
            other.dedup();
            other
        }
    );
    assert!(elapsed < Duration::from_secs(120), "{elapsed:?}");
    // While Redis was away (the restart and each instance's 1 s rest after it) the cache was skipped and
    // tokens came from ACS, one per identical flight: how many depends on how fast the callers go, but the
    // cache still saved calls overall.
    assert!(acs < TOTAL as u64, "{acs} ACS calls for {TOTAL} requests");
    for instance in &instances {
        let (status, _) = answer(
            http.get(format!("{}/healthz", instance.url))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
    }
    let subjects: Vec<String> = (0..6).map(|i| format!("soak-{i}")).collect();
    let secrets: Vec<&str> = subjects.iter().map(String::as_str).collect();
    redis.lock().unwrap().assert_holds_none_of(&secrets);
    for instance in instances {
        instance.stop().await;
    }
}
