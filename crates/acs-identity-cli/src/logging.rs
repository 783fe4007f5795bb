//! The tracing subscriber: what the client does (requests, responses, retries) on stderr, with the libraries'
//! redaction (they log an allow-list of headers and never a secret).

use tracing_subscriber::EnvFilter;

use crate::args::Global;

/// `ureq_proto` hex-dumps every byte it sends and receives at trace, the access key's signatures and tokens
/// included: a filter that enables trace anywhere gets this cap, unless it names `ureq_proto` itself.
const UREQ_PROTO_CAP: &str = "ureq_proto=debug";

/// The filter: `RUST_LOG` when set, else `--log-level` of `emulator`, else from `-v`/`-q`.
pub(crate) fn filter(
    global: &Global,
    emulator_filter: Option<&str>,
    rust_log: Option<&str>,
) -> String {
    let chosen = rust_log
        .filter(|filter| !filter.trim().is_empty())
        .or(emulator_filter)
        .map(str::to_owned);
    let filter = chosen.unwrap_or_else(|| {
        match (global.quiet, global.verbose) {
            (true, _) => "off",
            (false, 0) => "warn",
            (false, 1) => "info,acs_identity_blocking=debug,acs_identity_core=debug,acs_identity_emulator=debug",
            (false, _) => "trace",
        }
        .to_owned()
    });
    if filter.contains("ureq_proto") || !filter.to_ascii_lowercase().contains("trace") {
        filter
    } else {
        format!("{filter},{UREQ_PROTO_CAP}")
    }
}

/// Installs the subscriber (stderr, no colours unless stderr is a terminal).
pub(crate) fn init(global: &Global, emulator_filter: Option<&str>) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = filter(global, emulator_filter, rust_log.as_deref());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new(UREQ_PROTO_CAP));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Format;

    fn global(quiet: bool, verbose: u8) -> Global {
        Global {
            output: Format::Text,
            quiet,
            verbose,
        }
    }

    #[test]
    fn ureq_proto_is_capped_unless_named() {
        assert_eq!(
            filter(&global(false, 2), None, None),
            "trace,ureq_proto=debug"
        );
        assert_eq!(
            filter(&global(false, 0), None, Some("trace")),
            "trace,ureq_proto=debug"
        );
        assert_eq!(
            filter(&global(false, 0), None, Some("ureq_proto=trace")),
            "ureq_proto=trace"
        );
        assert_eq!(
            filter(&global(false, 0), None, Some("ureq=TRACE")),
            "ureq=TRACE,ureq_proto=debug"
        );
        assert_eq!(filter(&global(true, 0), None, None), "off");
        assert_eq!(filter(&global(false, 0), Some("debug"), None), "debug");
        assert_eq!(filter(&global(false, 0), None, None), "warn");
    }
}
