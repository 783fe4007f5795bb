//! Hostile clients against a server on loopback, one body for the tests of this crate, of
//! `acs-identity-emulator` and of `acs-token-service` (each includes this file with `#[path]`): a silent
//! connection, a head dripping a byte at a time, the connection cap filled with silent connections, and
//! waves of stalled uploads and dripping chunked bodies while a genuine client is served and a process's
//! resident memory is sampled. Every loop is bounded in count and time; only loopback addresses.

#![allow(dead_code, unreachable_pub)] // each test binary uses its own part

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

/// A connection with a small send buffer, so that a stalled upload parks little in the kernel.
pub async fn connect(addr: SocketAddr) -> TcpStream {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .unwrap();
    socket.set_send_buffer_size(64 * 1024).unwrap();
    socket.connect(addr).await.unwrap()
}

/// A connection that says nothing is closed by the server `timeout` after the connect (within `slack`).
pub async fn silent_connection_is_closed(addr: SocketAddr, timeout: Duration, slack: Duration) {
    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    idle_connection_is_closed(&mut silent, started, timeout, slack).await;
}

/// A connection idle since `since` is closed by the server `timeout` after it (within `slack`), not before.
pub async fn idle_connection_is_closed(
    connection: &mut TcpStream,
    since: Instant,
    timeout: Duration,
    slack: Duration,
) {
    let mut rest = Vec::new();
    tokio::time::timeout(timeout + slack, connection.read_to_end(&mut rest))
        .await
        .expect("an idle connection is closed")
        .unwrap();
    let closed_after = since.elapsed();
    assert!(
        closed_after >= timeout - Duration::from_millis(100),
        "{closed_after:?}"
    );
}

/// A head that starts with `start` (say `GET / HTTP/1.1\r\nx-slow: `) and then drips a byte every 200 ms
/// is cut off `timeout` after its first byte (within `slack`): its clock runs from the first byte, the
/// drips do not reset it.
pub async fn slow_head_is_cut(addr: SocketAddr, start: &[u8], timeout: Duration, slack: Duration) {
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(start).await.unwrap();
    let first_byte = Instant::now();
    let (mut read, mut write) = slow.into_split();
    let dripper = tokio::spawn(async move {
        for _ in 0..50 {
            if write.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(timeout + slack, read.read_to_end(&mut answer))
        .await
        .expect("a slow head is cut off");
    let cut_after = first_byte.elapsed();
    assert!(
        cut_after >= timeout - Duration::from_millis(100),
        "{cut_after:?}"
    );
    dripper.abort();
}

/// `cap` silent connections fill the server's connection cap: `request` (on a new connection) waits until
/// they are closed at `idle_timeout`, then is served; and the silent ones are closed.
pub async fn past_the_cap_a_request_waits_for_the_idle_ones(
    addr: SocketAddr,
    cap: usize,
    idle_timeout: Duration,
    slack: Duration,
    request: impl Future<Output = ()>,
) {
    let mut silent = Vec::new();
    for _ in 0..cap {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    request.await;
    let waited = started.elapsed();
    // Served once an idle connection was closed, not before.
    assert!(
        waited >= idle_timeout - Duration::from_millis(300),
        "{waited:?}"
    );
    assert!(waited < idle_timeout + slack, "{waited:?}");
    for mut connection in silent {
        let mut rest = Vec::new();
        tokio::time::timeout(slack, connection.read_to_end(&mut rest))
            .await
            .expect("an idle connection is closed")
            .unwrap();
    }
}

/// `VmRSS` of a process (`self`, or a pid), in KiB.
pub fn rss_kib(process: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The soft limit on open files of this process (a child inherits it).
pub fn open_files_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap_or(1024)
}

/// What a hostile connection sends: `head`, then `sent` bytes of `filler`, then it stalls, or (with
/// `drip`, after a chunked head) sends a one-byte chunk of `filler` every half second, 40 at most.
#[derive(Debug, Clone)]
pub struct Upload {
    pub head: Arc<Vec<u8>>,
    pub sent: usize,
    pub filler: u8,
    pub drip: bool,
}

/// A kind of hostile connection: how many, what each sends, and the status each must be answered.
#[derive(Debug, Clone)]
pub struct Kind {
    pub name: &'static str,
    pub count: usize,
    pub upload: Upload,
    pub expected: u16,
}

/// Scales the kinds' counts down to what this machine's open-file limit allows (each connection takes
/// two descriptors: the client's and the server's).
pub fn fit_open_files(kinds: &mut [Kind]) {
    let total: usize = kinds.iter().map(|kind| kind.count).sum();
    let room = open_files_limit().saturating_sub(512) / 2;
    if room < total {
        eprintln!("open-file limit: {room} hostile connections instead of {total}");
        for kind in kinds {
            kind.count = kind.count * room / total;
        }
    }
}

/// How a hostile connection ended: the status the server answered (if any) and when it closed, counted
/// from the connect; `None` if it was still open when the test gave up on it.
#[derive(Debug, Clone, Copy)]
pub struct Ended {
    pub status: Option<u16>,
    pub closed_after: Option<Duration>,
}

/// The status of an HTTP/1.1 answer's first line.
pub fn status(answer: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(answer.get(..12)?).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.parse().ok()
}

/// Sends `upload` until the server closes the connection, at most `give_up` from the connect.
pub async fn hostile(addr: SocketAddr, upload: Upload, give_up: Duration) -> Ended {
    let started = Instant::now();
    let give_up = started + give_up;
    let tcp = connect(addr).await;
    let (mut read, mut write) = tcp.into_split();
    let writer = tokio::spawn(async move {
        if write.write_all(&upload.head).await.is_err() {
            return;
        }
        let body = vec![upload.filler; upload.sent];
        if write.write_all(&body).await.is_err() || !upload.drip {
            // Stalled: keep the connection open.
            std::future::pending::<()>().await;
        }
        let chunk = [b'1', b'\r', b'\n', upload.filler, b'\r', b'\n'];
        for _ in 0..40 {
            if write.write_all(&chunk).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let closed_after = loop {
        match tokio::time::timeout_at(give_up.into(), read.read(&mut buffer)).await {
            Err(_) => break None,
            Ok(Ok(0) | Err(_)) => break Some(started.elapsed()),
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n.min(buffer.len())]),
        }
    };
    writer.abort();
    Ended {
        status: status(&answer),
        closed_after,
    }
}

/// What one wave of the attack showed.
#[derive(Debug)]
pub struct Wave {
    /// How each connection of each kind ended, in the kinds' order.
    pub ended: Vec<Vec<Ended>>,
    /// From the first connect to the last close.
    pub attack_time: Duration,
    /// The genuine client's requests, sorted.
    pub latencies: Vec<Duration>,
    /// The sampled process's peak resident set during the wave, in KiB.
    pub peak_rss_kib: u64,
}

/// One wave: every kind at once against `addr` (each connection given up `give_up` after its connect),
/// while `genuine` is called on and on, 50 ms apart and at most `max_genuine` times, and the resident set
/// of `process` is sampled every 50 ms.
pub async fn wave<G, F>(
    addr: SocketAddr,
    kinds: &[Kind],
    give_up: Duration,
    process: &str,
    max_genuine: usize,
    mut genuine: G,
) -> Wave
where
    G: FnMut() -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let process = process.to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(rss_kib(&process)));
    let sampler = {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(&process), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let genuine = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) && latencies.len() < max_genuine {
                let started = Instant::now();
                genuine().await;
                latencies.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            latencies
        })
    };

    let started = Instant::now();
    let tasks: Vec<Vec<_>> = kinds
        .iter()
        .map(|kind| {
            (0..kind.count)
                .map(|_| tokio::spawn(hostile(addr, kind.upload.clone(), give_up)))
                .collect()
        })
        .collect();
    let mut ended = Vec::new();
    for group in tasks {
        let mut results = Vec::new();
        for task in group {
            results.push(task.await.unwrap());
        }
        ended.push(results);
    }
    let attack_time = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut latencies = genuine.await.unwrap();
    sampler.await.unwrap();
    latencies.sort();
    Wave {
        ended,
        attack_time,
        latencies,
        peak_rss_kib: peak.load(Ordering::Relaxed),
    }
}

impl Wave {
    /// Prints the wave, and fails unless every connection of each kind was closed within `deadline` of
    /// its connect and answered the kind's status, and the genuine client was served throughout (at least
    /// 10 requests, each within `genuine_within`).
    pub fn check(
        &self,
        server: &str,
        kinds: &[Kind],
        deadline: Duration,
        genuine_within: Duration,
    ) {
        let median = self
            .latencies
            .get(self.latencies.len() / 2)
            .copied()
            .unwrap_or_default();
        let max = self.latencies.last().copied().unwrap_or_default();
        let hostile: usize = self.ended.iter().map(Vec::len).sum();
        eprintln!(
            "{server}: {hostile} hostile connections, all closed after {:?}; genuine client: {} requests, \
             median {median:?}, max {max:?}; peak RSS {} KiB",
            self.attack_time,
            self.latencies.len(),
            self.peak_rss_kib,
        );
        let mut failures = Vec::new();
        for (kind, ended) in kinds.iter().zip(&self.ended) {
            let open = ended.iter().filter(|e| e.closed_after.is_none()).count();
            let slowest = ended.iter().filter_map(|e| e.closed_after).max();
            let mut statuses: Vec<(Option<u16>, usize)> = Vec::new();
            for e in ended {
                match statuses.iter_mut().find(|(s, _)| *s == e.status) {
                    Some((_, n)) => *n += 1,
                    None => statuses.push((e.status, 1)),
                }
            }
            eprintln!(
                "  {}: {} connections, never closed: {open}, slowest close {slowest:?}, statuses {statuses:?}",
                kind.name,
                ended.len()
            );
            if open > 0 || slowest.is_none_or(|slowest| slowest > deadline) {
                failures.push(format!(
                    "{}: not all closed within {deadline:?} ({slowest:?})",
                    kind.name
                ));
            }
            if !ended.iter().all(|e| e.status == Some(kind.expected)) {
                failures.push(format!("{}: not all answered {}", kind.name, kind.expected));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(
            self.latencies.len() >= 10 && max < genuine_within,
            "the genuine client was not served throughout: {} requests, the slowest took {max:?}",
            self.latencies.len()
        );
    }
}
