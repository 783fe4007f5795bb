//! The fault soak both clients run against the embedded emulator, and the reading of the emulator's request
//! log against the retry policy.
//!
//! Included by `acs-identity/tests/soak.rs` and `acs-identity-blocking/tests/soak.rs`, whose `tests/support`
//! defines the seam (`sdk`, `aw!`, `suite_fn!`, `FRONTEND`), and which run the calls concurrently, on tasks or
//! threads: that is all they do. Everything below is written once.
//!
//! Timing on a loaded machine is the enemy of a soak that must never fail by chance. Each check below says
//! how it stays exact: where a slow machine can blur what the client saw (an answer that arrives after the
//! attempt timeout), the check accounts for it and bounds how often it happens instead of assuming it never
//! does.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use acs_identity_emulator::{
    BackgroundEmulator, Emulator, Fault, FaultConfig, FaultRule, Operation, RequestLog,
    RequestRecord, RetryAfter, RunningEmulator,
};
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

use crate::proxy::Proxy;
use crate::sdk::{
    ApiVersion, ClientOptions, CommunicationIdentityClient, CommunicationUserIdentifier,
    CreateUserAndTokenOptions, CreateUserOptions, CustomId, Endpoint, Error, ErrorKind,
    RetryOptions, TokenOptions, TokenScope,
};
use crate::support::FRONTEND;

/// Calls per client: the two clients make 10,000 between them.
pub(crate) const CALLS: u64 = 5_000;
const USERS: usize = 16;
const CUSTOM_IDS: u64 = 64;
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(250);
/// Longer than the attempt timeout: the client gives up on the attempt.
pub(crate) const LATENCY: Duration = Duration::from_millis(400);
/// The whole soak's bound; it takes a few seconds on an idle machine.
pub(crate) const SOAK_BOUND: Duration = Duration::from_secs(120);

pub(crate) fn retry_options() -> RetryOptions {
    RetryOptions::default()
        .max_retries(3)
        .initial_delay(Duration::from_millis(2))
        .max_delay(Duration::from_millis(8))
        // Never the limit here: attempts are.
        .max_total(Duration::from_secs(10))
}

/// About 30% of ACS requests meet a fault. Rules draw in order and the first outcome wins; latency comes
/// last so that it only slows requests that no other rule answered.
pub(crate) fn faults(seed: u64) -> FaultConfig {
    let status = |status, retry_after| Fault::Status {
        status,
        retry_after,
    };
    FaultConfig::default().seed(seed).rules([
        // `Retry-After: 1` (a second): the client caps it at `max_delay`.
        FaultRule::with_probability(0.06, status(429, Some(RetryAfter::Seconds(1)))),
        FaultRule::with_probability(0.05, status(429, None)),
        FaultRule::with_probability(0.05, status(503, Some(RetryAfter::Milliseconds(3)))),
        FaultRule::with_probability(0.04, status(503, None)),
        FaultRule::with_probability(0.03, status(503, Some(RetryAfter::Seconds(1)))),
        FaultRule::with_probability(0.07, Fault::DropConnection),
        FaultRule::with_probability(0.05, Fault::Latency(LATENCY)),
    ])
}

/// A client of the emulator with the soak's retry options and attempt timeout.
pub(crate) fn client(
    endpoint: &str,
    key: &crate::sdk::AccessKey,
    api_version: ApiVersion,
) -> CommunicationIdentityClient {
    let options = ClientOptions::default()
        .api_version(api_version)
        .retry(retry_options())
        .attempt_timeout(ATTEMPT_TIMEOUT);
    CommunicationIdentityClient::with_access_key(
        Endpoint::parse(endpoint).unwrap(),
        key.clone(),
        options,
    )
}

/// One call of the soak's seeded mix: every kind of call, idempotent or not.
enum Call<'a> {
    /// Not idempotent: sent with the stable api-version, which tells these calls apart in the log.
    CreateUser,
    /// Not idempotent, like `CreateUser`.
    CreateUserAndToken,
    /// Idempotent: the same custom id always gives the same identity.
    CreateUserWithCustomId(CustomId),
    GetToken(&'a CommunicationUserIdentifier),
    GetUserDetail(&'a CommunicationUserIdentifier),
    RevokeTokens(&'a CommunicationUserIdentifier),
}

impl<'a> Call<'a> {
    fn draw(rng: &mut StdRng, users: &'a [CommunicationUserIdentifier]) -> Self {
        let user = &users[rng.random_range(0..users.len())];
        match rng.random_range(0..6) {
            0 => Self::CreateUser,
            1 => Self::CreateUserAndToken,
            2 => {
                let custom_id = format!("soak-{}", rng.random_range(0..CUSTOM_IDS));
                Self::CreateUserWithCustomId(CustomId::new(custom_id).unwrap())
            }
            3 => Self::GetToken(user),
            4 => Self::GetUserDetail(user),
            _ => Self::RevokeTokens(user),
        }
    }
}

/// The soak's emulator: on a runtime of its own, as a service would be in a process of its own (client tasks
/// then cannot starve it), its log long enough for every request.
pub(crate) fn emulator() -> BackgroundEmulator {
    Emulator::builder()
        .request_log_capacity(50_000)
        .start_in_background()
        .unwrap()
}

suite_fn! {
    /// The soak's two clients of `emulator` (the preview api-version and the stable one) and its users; then
    /// the emulator's log is cleared and its faults are set, seeded with `seed`.
    pub(crate) fn prepare(
        emulator: &RunningEmulator,
        seed: u64,
    ) -> (CommunicationIdentityClient, CommunicationIdentityClient, Vec<CommunicationUserIdentifier>) {
        let of_version =
            |api_version| client(emulator.endpoint(), emulator.access_key(), api_version);
        let (preview, stable) = (of_version(ApiVersion::default()), of_version(ApiVersion::LATEST_STABLE));
        let mut users = Vec::new();
        for _ in 0..USERS {
            users.push(aw!(preview.create_user()).unwrap());
        }
        emulator.requests().reset();
        emulator.faults().set(faults(seed));
        (preview, stable, users)
    }
}

suite_fn! {
    /// `count` calls of the mix drawn with `seed`, each recorded in `results`: one task's (thread's) share.
    pub(crate) fn calls(
        preview: &CommunicationIdentityClient,
        stable: &CommunicationIdentityClient,
        users: &[CommunicationUserIdentifier],
        results: &Results,
        seed: u64,
        count: u64,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..count {
            match Call::draw(&mut rng, users) {
                Call::CreateUser => results.record(&aw!(stable.create_user())),
                Call::CreateUserAndToken => {
                    let options = CreateUserAndTokenOptions::default();
                    results.record(&aw!(stable.create_user_and_token(&[TokenScope::Voip], options)));
                }
                Call::CreateUserWithCustomId(custom_id) => {
                    let options = CreateUserOptions::default().custom_id(custom_id.clone());
                    let created = aw!(preview.create_user_with_options(options));
                    if let Ok(user) = &created {
                        results.map_custom_id(&custom_id, user);
                    }
                    results.record(&created);
                }
                Call::GetToken(user) => {
                    let options = TokenOptions::default();
                    results.record(&aw!(preview.get_token(user, &[TokenScope::Chat], options)));
                }
                Call::GetUserDetail(user) => results.record(&aw!(preview.get_user_detail(user))),
                Call::RevokeTokens(user) => results.record(&aw!(preview.revoke_tokens(user))),
            }
        }
    }
}

suite_fn! {
    /// Without faults (clear them first), every custom id still gives the identity the soak saw, and that
    /// identity knows it.
    pub(crate) fn assert_custom_ids_kept(preview: &CommunicationIdentityClient, results: &Results) {
        for (custom_id, id) in results.custom_ids() {
            let options =
                CreateUserOptions::default().custom_id(CustomId::new(custom_id.clone()).unwrap());
            let user = aw!(preview.create_user_with_options(options)).unwrap();
            assert_eq!(user.id(), id, "custom id {custom_id} moved");
            let detail = aw!(preview.get_user_detail(&user)).unwrap();
            assert_eq!(detail.custom_id.as_deref(), Some(custom_id.as_str()));
        }
    }
}

/// What the calls returned, for the reconciliation with the emulator's log.
#[derive(Default)]
pub(crate) struct Results {
    ok: AtomicU64,
    service: AtomicU64,
    transport: AtomicU64,
    timeout: AtomicU64,
    custom_ids: Mutex<BTreeMap<String, String>>,
}

impl Results {
    /// Counts how a call ended; anything but success or a typed, expected error fails the test.
    pub(crate) fn record<T>(&self, result: &Result<T, Error>) {
        let counter = match result {
            Ok(_) => &self.ok,
            Err(error) => match error.kind() {
                ErrorKind::Service => {
                    let status = error.status().map(|s| s.as_u16());
                    assert!(
                        matches!(status, Some(429 | 503)),
                        "an unexpected service error: {error}"
                    );
                    &self.service
                }
                ErrorKind::Transport => &self.transport,
                ErrorKind::Timeout => &self.timeout,
                _ => panic!("an untyped failure: {error:?}"),
            },
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Remembers the identity a custom id gave; a second, different one fails the test.
    pub(crate) fn map_custom_id(&self, custom_id: &CustomId, user: &CommunicationUserIdentifier) {
        let mut map = self.custom_ids.lock().unwrap();
        let first = map
            .entry(custom_id.as_str().to_owned())
            .or_insert_with(|| user.id().to_owned());
        assert_eq!(
            first,
            user.id(),
            "custom id {custom_id} maps to two identities"
        );
    }

    /// The custom ids the soak created, each with the identity it gave.
    pub(crate) fn custom_ids(&self) -> BTreeMap<String, String> {
        let custom_ids = self.custom_ids.lock().unwrap().clone();
        assert!(custom_ids.len() as u64 > CUSTOM_IDS / 2, "{custom_ids:?}");
        custom_ids
    }

    fn load(&self) -> [u64; 4] {
        [&self.ok, &self.service, &self.transport, &self.timeout].map(|c| c.load(Ordering::Relaxed))
    }
}

/// Waits until every request the emulator counted is in its log: an attempt the client gave up on during
/// an injected latency is logged when the emulator notices the hang-up. Bounded.
pub(crate) fn settled_records(log: &RequestLog) -> Vec<RequestRecord> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let records = log.records();
        if records.len() as u64 == log.total() || Instant::now() > deadline {
            assert_eq!(
                records.len() as u64,
                log.total(),
                "requests missing from the log"
            );
            return records;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads the log against the policy and the client's results, prints a summary line, and fails the test on
/// any disagreement.
pub(crate) fn check(records: &[RequestRecord], results: &Results, elapsed: Duration) {
    let report = analyse(records, &retry_options());
    let share = report.reconcile(results, CALLS);
    let [ok, service, transport, timeout] = results.load();
    eprintln!(
        "soak ({FRONTEND}): {CALLS} calls, {} requests, {:.1}% met a fault, {} retries in {elapsed:.1?}; \
         {ok} ok, {service} service errors, {transport} transport errors, {timeout} timeouts \
         ({} of them blurred by a slow machine)",
        report.requests,
        100.0 * share,
        report.requests - CALLS,
        report.blurred(results),
    );
    assert!(elapsed < SOAK_BOUND, "{elapsed:?}");
}

/// What one attempt met, as the emulator's log tells it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Met {
    Answered(u16),
    Faulted(u16),
    Dropped,
    /// The client hung up before the answer: its attempt timed out during an injected latency.
    Abandoned,
}

/// How many calls' last attempts met what, by the log.
#[derive(Debug, Default)]
struct Endings {
    success: u64,
    faulted_status: u64,
    dropped: u64,
    abandoned: u64,
    /// Calls the log shows stopping with a retry owed: a retryable ending and attempts left. The client
    /// cannot have seen that ending: it timed out first, on an answer that came too late (a create without
    /// custom id is not repeated after a timeout: it may have been processed) or on a later attempt that
    /// the emulator never got to read.
    cut_short: u64,
}

/// The log, read per call (`x-ms-client-request-id`) against the retry policy.
#[derive(Debug, Default)]
struct Report {
    requests: u64,
    calls: u64,
    faulted: u64,
    ended: Endings,
    /// Attempts that timed out and were retried: abandoned, or answered too late.
    timed_out_retried: u64,
}

fn analyse(records: &[RequestRecord], retry: &RetryOptions) -> Report {
    let mut report = Report::default();
    let mut calls: BTreeMap<&str, Vec<&RequestRecord>> = BTreeMap::new();
    for record in records {
        assert_ne!(record.operation, Operation::Unmatched, "{record:?}");
        let id = record
            .client_request_id
            .as_deref()
            .expect("every request carries x-ms-client-request-id");
        calls.entry(id).or_default().push(record);
        report.requests += 1;
        report.faulted += u64::from(record.faulted);
    }
    let (mut retries, mut second_long_gaps) = (0u64, 0u64);
    let mut timed_out_gaps = Vec::new();
    for attempts in calls.values_mut() {
        attempts.sort_by_key(|r| r.received_at);
        report.calls += 1;
        let idempotent = !attempts[0]
            .target
            .contains(&format!("api-version={}", ApiVersion::LATEST_STABLE));
        let met: Vec<Met> = attempts
            .iter()
            .map(|r| match (r.status, r.faulted) {
                (None, true) => Met::Dropped,
                (None, false) => Met::Abandoned,
                (Some(status), true) => Met::Faulted(status),
                (Some(status), false) => Met::Answered(status),
            })
            .collect();
        let call = summary(attempts);
        assert!(
            attempts.len() as u32 <= retry.max_retries + 1,
            "too many attempts: {call}"
        );
        for (n, pair) in attempts.windows(2).enumerate() {
            let attempt = n as u32 + 1;
            let gap = pair[1]
                .received_at
                .duration_since(pair[0].received_at)
                .unwrap_or_default();
            retries += 1;
            second_long_gaps += u64::from(gap >= Duration::from_secs(1));
            let backoff = retry
                .initial_delay
                .saturating_mul(1 << (attempt - 1))
                .min(retry.max_delay)
                .mul_f64(0.8);
            match met[n] {
                // The client read the answer (logged when the request arrived) before it waited and
                // retried: the gap holds at least the least delay of the policy (a hint can only lengthen
                // it, up to `max_delay`), however slow the machine.
                Met::Faulted(429 | 503) | Met::Dropped => {
                    let least = backoff.min(Duration::from_millis(3));
                    assert!(gap >= least, "retried after {gap:?} < {least:?}: {call}");
                }
                // Timed out (a success here came too late): the client retried an attempt timeout after
                // it *sent* the attempt, but the log has when the attempt *arrived*, later by however long
                // the machine kept the emulator from reading it. One gap says little; their median says
                // whether the client waited the timeout out.
                Met::Abandoned => timed_out_gaps.push(gap),
                Met::Answered(status) if (200..300).contains(&status) => timed_out_gaps.push(gap),
                other => panic!("attempt {attempt} met {other:?} and was retried: {call}"),
            }
            if !idempotent {
                assert!(
                    matches!(met[n], Met::Faulted(429)),
                    "a create without custom id was repeated after {:?}: {call}",
                    met[n]
                );
            }
        }
        let last = *met.last().unwrap();
        // A retryable ending with attempts left is a retry the policy owed (`max_total` is never reached).
        let retryable = match last {
            Met::Faulted(429) => true,
            Met::Faulted(_) | Met::Dropped | Met::Abandoned => idempotent,
            Met::Answered(_) => false,
        };
        let ended = &mut report.ended;
        *match last {
            _ if retryable && attempts.len() as u32 <= retry.max_retries => &mut ended.cut_short,
            Met::Answered(status) => {
                assert!((200..300).contains(&status), "{call}");
                &mut ended.success
            }
            Met::Faulted(_) => &mut ended.faulted_status,
            Met::Dropped => &mut ended.dropped,
            Met::Abandoned => &mut ended.abandoned,
        } += 1;
    }
    // A `Retry-After: 1` honoured in full would leave a gap of a second or more after about a third of
    // the retries: it is capped at `max_delay` (8 ms). A rare long gap is the machine's, not the policy's.
    assert!(
        second_long_gaps * 100 <= retries,
        "{second_long_gaps} of {retries} retries came a second or more after their attempt"
    );
    report.timed_out_retried = timed_out_gaps.len() as u64;
    timed_out_gaps.sort();
    if let Some(&median) = timed_out_gaps.get(timed_out_gaps.len() / 2) {
        assert!(
            median >= ATTEMPT_TIMEOUT.mul_f64(0.9),
            "half the retries after a timed-out attempt came {median:?} or less after it"
        );
    }
    report
}

/// `METHOD target: status (faulted) +ms, ...` of one call's attempts.
fn summary(attempts: &[&RequestRecord]) -> String {
    let start = attempts[0].received_at;
    let steps: Vec<String> = attempts
        .iter()
        .map(|r| {
            let at = r.received_at.duration_since(start).unwrap_or_default();
            let fault = if r.faulted { " fault" } else { "" };
            format!("{:?}{fault} at +{}ms", r.status, at.as_millis())
        })
        .collect();
    format!(
        "{} {}: {}",
        attempts[0].method,
        attempts[0].target,
        steps.join(", ")
    )
}

impl Report {
    /// The log and the client agree on how every call ended, and about 30% of requests met a fault.
    ///
    /// When the machine keeps up, each client result has exactly one log ending: success and success, a
    /// service error and a faulted status, a transport error and a dropped connection, a timeout and an
    /// abandoned attempt. When it does not, an attempt can time out on an answer that is on its way, or
    /// before the emulator reads it at all (a whole call can go unseen). Such a call ends in a timeout
    /// whatever the log says. So the client's successes, service and transport errors are at most the
    /// log's; every difference, every abandoned or cut-short ending and every unseen call is a timeout (the
    /// totals make that exact); and the calls that a slow machine blurred stay rare.
    fn reconcile(&self, results: &Results, calls: u64) -> f64 {
        let [ok, service, transport, timeout] = results.load();
        let ended = &self.ended;
        assert_eq!(ok + service + transport + timeout, calls);
        assert!(self.calls <= calls, "one x-ms-client-request-id per call");
        let unseen = calls - self.calls;
        assert!(ok <= ended.success, "{ok} successes, {ended:?}");
        assert!(
            service <= ended.faulted_status,
            "{service} service errors, {ended:?}"
        );
        assert!(
            transport <= ended.dropped,
            "{transport} transport errors, {ended:?}"
        );
        let late =
            (ended.success - ok) + (ended.faulted_status - service) + (ended.dropped - transport);
        assert_eq!(timeout, ended.abandoned + ended.cut_short + unseen + late);
        // Blurring needs the machine to stall a whole attempt timeout: 3% of calls is a sick machine, or
        // a client that gives up too early.
        let blurred = late + ended.cut_short + unseen;
        assert!(
            blurred * 100 <= 3 * calls,
            "{blurred} calls timed out on answers that came too late ({late}), cut short \
             ({}) or unseen ({unseen})",
            ended.cut_short
        );
        let slowed = self.timed_out_retried + timeout;
        let share = (self.faulted + slowed) as f64 / self.requests as f64;
        assert!(
            (0.22..=0.38).contains(&share),
            "{:.1}% of requests met a fault",
            share * 100.0
        );
        share
    }

    /// Timeouts that a slow machine blurred (see `reconcile`).
    fn blurred(&self, results: &Results) -> u64 {
        results.load()[3] - self.ended.abandoned
    }
}

/// Calls in each half of the pool test.
pub(crate) const POOL_CALLS: u64 = 200;

/// The pool test's first half: a client of the emulator through a proxy that counts connections, a user, and
/// the connections that `POOL_CALLS` calls in a row opened.
pub(crate) struct Pool {
    pub(crate) proxy: Proxy,
    pub(crate) client: CommunicationIdentityClient,
    pub(crate) user: CommunicationUserIdentifier,
    pub(crate) sequential: u64,
}

impl Pool {
    suite_fn! {
        pub(crate) fn start(emulator: &RunningEmulator) -> Self {
            let proxy = Proxy::start(emulator.local_addr());
            let client = CommunicationIdentityClient::with_access_key(
                Endpoint::parse(&proxy.url).unwrap(),
                emulator.access_key().clone(),
                ClientOptions::default(),
            );
            let user = aw!(client.create_user()).unwrap();
            for _ in 0..POOL_CALLS {
                aw!(client.get_user_detail(&user)).unwrap();
            }
            let sequential = proxy.connections();
            Self { proxy, client, user, sequential }
        }
    }

    /// After the second half, `POOL_CALLS` calls on clones, `parallel` at a time: see `check_pool`.
    pub(crate) fn check(&self, parallel: u64) {
        check_pool(self.sequential, self.proxy.connections(), parallel);
    }
}

/// The pool test's bounds. One pool reuses its connections: sequential calls need one, though a pool may
/// open another when a call starts before the last one's connection is handed back (a busy machine makes
/// that more likely, never the rule). Calls on clones, `parallel` at a time, need about `parallel` more. A
/// pool per clone would open one connection per call.
fn check_pool(sequential: u64, opened: u64, parallel: u64) {
    assert!(
        sequential <= POOL_CALLS / 10,
        "{sequential} connections for {} sequential calls",
        POOL_CALLS + 1
    );
    assert!(
        opened - sequential <= 4 * parallel + POOL_CALLS / 10,
        "{} more connections for {POOL_CALLS} calls on clones, {parallel} at a time",
        opened - sequential
    );
    eprintln!(
        "pool ({FRONTEND}): {} sequential calls over {sequential} connections, {} in all over {opened}",
        POOL_CALLS + 1,
        2 * POOL_CALLS + 1
    );
}
