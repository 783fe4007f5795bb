//! `GET /metrics`: Prometheus text exposition of what the service did.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Scope {
    scope: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Upstream {
    upstream: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Limit {
    limit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The service's counters and histograms.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Family<Route, Histogram, fn() -> Histogram>,
    tokens: Family<Scope, Counter>,
    upstream_errors: Family<Upstream, Counter>,
    throttled: Family<Limit, Counter>,
    sign_in_failures: Family<Reason, Counter>,
    token_cache: Family<Outcome, Counter>,
    redis_errors: Family<Operation, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("acs_token_service");
        let requests = Family::<RouteStatus, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route and status",
            requests.clone(),
        );
        let latency = Family::<Route, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route",
            latency.clone(),
        );
        let tokens = Family::<Scope, Counter>::default();
        registry.register(
            "tokens_issued",
            "ACS tokens issued, by scope",
            tokens.clone(),
        );
        let upstream_errors = Family::<Upstream, Counter>::default();
        registry.register(
            "upstream_errors",
            "Failed calls to ACS or to an identity provider",
            upstream_errors.clone(),
        );
        let throttled = Family::<Limit, Counter>::default();
        registry.register(
            "throttled",
            "Requests refused by a rate limit (user or ip)",
            throttled.clone(),
        );
        let sign_in_failures = Family::<Reason, Counter>::default();
        registry.register(
            "sign_in_failures",
            "Bearer tokens refused, by the check that failed",
            sign_in_failures.clone(),
        );
        let token_cache = Family::<Outcome, Counter>::default();
        registry.register(
            "token_cache",
            "Token requests by what answered them: hit, miss (then ACS), shared_flight (an identical request in flight), unavailable (store out of reach, then ACS)",
            token_cache.clone(),
        );
        let redis_errors = Family::<Operation, Counter>::default();
        registry.register(
            "redis_errors",
            "Redis calls that failed or passed redis.timeout, by operation",
            redis_errors.clone(),
        );
        Self {
            token_cache,
            redis_errors,
            registry,
            requests,
            latency,
            tokens,
            upstream_errors,
            throttled,
            sign_in_failures,
        }
    }

    pub(crate) fn request(&self, route: &'static str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RouteStatus { route, status })
            .inc();
        self.latency
            .get_or_create(&Route { route })
            .observe(elapsed.as_secs_f64());
    }

    pub(crate) fn token_issued(&self, scope: &str) {
        self.tokens
            .get_or_create(&Scope {
                scope: scope.to_owned(),
            })
            .inc();
    }

    pub(crate) fn upstream_error(&self, upstream: &'static str) {
        self.upstream_errors
            .get_or_create(&Upstream { upstream })
            .inc();
    }

    pub(crate) fn throttled(&self, limit: &'static str) {
        self.throttled.get_or_create(&Limit { limit }).inc();
    }

    pub(crate) fn sign_in_failed(&self, reason: &'static str) {
        self.sign_in_failures
            .get_or_create(&Reason { reason })
            .inc();
    }

    pub(crate) fn token_cache(&self, outcome: &'static str) {
        self.token_cache.get_or_create(&Outcome { outcome }).inc();
    }

    pub(crate) fn redis_error(&self, operation: &'static str) {
        self.redis_errors
            .get_or_create(&Operation { operation })
            .inc();
    }

    /// The text exposition format.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
