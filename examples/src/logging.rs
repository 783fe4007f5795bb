//! The examples' tracing subscriber: `RUST_LOG` shows what the clients do (requests, responses, retries) on
//! stderr, with the libraries' redaction (an allow-list of headers, never a key, signature or token). The
//! same policy as the `acs-identity` CLI's `-v`/`RUST_LOG`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// `ureq_proto` (under the blocking client) hex-dumps every byte it sends and receives at trace, signatures
/// and tokens included: a filter that enables trace anywhere gets this cap, unless it names `ureq_proto`.
const UREQ_PROTO_CAP: &str = "ureq_proto=debug";

/// The filter for `rust_log` (the value of `RUST_LOG`): `warn` when unset or empty, `ureq_proto` capped at
/// debug unless named.
///
/// ```
/// use acs_identity_examples::log_filter;
/// assert_eq!(log_filter(None), "warn");
/// assert_eq!(log_filter(Some("debug")), "debug");
/// assert_eq!(log_filter(Some("trace")), "trace,ureq_proto=debug");
/// assert_eq!(log_filter(Some("ureq_proto=trace")), "ureq_proto=trace");
/// ```
pub fn log_filter(rust_log: Option<&str>) -> String {
    let filter = rust_log
        .map(str::trim)
        .filter(|filter| !filter.is_empty())
        .unwrap_or("warn");
    if filter.contains("ureq_proto") || !filter.to_ascii_lowercase().contains("trace") {
        filter.to_owned()
    } else {
        format!("{filter},{UREQ_PROTO_CAP}")
    }
}

/// The subscriber of [`init_tracing`], writing to `writer`: a test can capture what an example logs.
pub fn tracing_subscriber_to<W>(
    rust_log: Option<&str>,
    ansi: bool,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_new(log_filter(rust_log)).unwrap_or_else(|_| EnvFilter::new(UREQ_PROTO_CAP));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .finish()
}

/// Installs the examples' subscriber: `RUST_LOG` on stderr (colours only on a terminal). Every example's
/// `main` calls it first; try `RUST_LOG=debug cargo run --example quickstart`.
pub fn init_tracing() {
    let rust_log = std::env::var("RUST_LOG").ok();
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let subscriber = tracing_subscriber_to(rust_log.as_deref(), ansi, std::io::stderr);
    let _ = tracing::subscriber::set_global_default(subscriber);
}
