//! Name resolution for the ureq agent, cached for a short while.
//!
//! ureq resolves the host of every request, pooled connection or not, and with a timeout set it does so on a
//! new thread: a thread and a DNS query per call. The client talks to one or two hosts (the resource, the
//! Entra ID authority), so their addresses are kept for [`TTL`], as Java does by default.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::Uri;
use http::uri::{Authority, Scheme};
use ureq::config::Config;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long resolved addresses are reused.
const TTL: Duration = Duration::from_secs(30);

/// At most this many hosts are remembered; the oldest entry makes room.
const CAPACITY: usize = 8;

struct Entry {
    scheme: Option<Scheme>,
    authority: Option<Authority>,
    resolved_at: Instant,
    addresses: ResolvedSocketAddrs,
}

/// ureq's resolver (a lookup bounded by the attempt's timeout), behind a small cache.
#[derive(Default)]
pub(crate) struct CachingResolver {
    lookup: DefaultResolver,
    entries: Mutex<Vec<Entry>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (scheme, authority) = (uri.scheme(), uri.authority());
        let same_host = |entry: &Entry| {
            entry.scheme.as_ref() == scheme && entry.authority.as_ref() == authority
        };
        {
            let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = entries
                .iter()
                .find(|entry| same_host(entry) && entry.resolved_at.elapsed() < TTL)
            {
                return Ok(entry.addresses.clone());
            }
        }
        // Looked up without the lock, so that a slow lookup holds up no other host.
        let addresses = self.lookup.resolve(uri, config, timeout)?;
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|entry| !same_host(entry));
        if entries.len() >= CAPACITY {
            entries.remove(0);
        }
        entries.push(Entry {
            scheme: scheme.cloned(),
            authority: authority.cloned(),
            resolved_at: Instant::now(),
            addresses: addresses.clone(),
        });
        Ok(addresses)
    }
}

impl std::fmt::Debug for CachingResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingResolver").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_kept_apart() {
        let resolver = CachingResolver::default();
        let config = Config::default();
        let resolve = |uri: &str| {
            let uri: Uri = uri.parse().unwrap();
            resolver
                .resolve(&uri, &config, NextTimeout::default())
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        for _ in 0..2 {
            assert_eq!(
                resolve("http://127.0.0.1:1000/identities"),
                ["127.0.0.1:1000"]
            );
            assert_eq!(resolve("http://127.0.0.1:2000/"), ["127.0.0.1:2000"]);
            assert_eq!(resolve("http://[::1]:1000/"), ["[::1]:1000"]);
        }
        assert_eq!(resolver.entries.lock().unwrap().len(), 3);
    }
}
