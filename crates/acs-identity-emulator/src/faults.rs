//! Fault injection: throttling, errors, latency and dropped connections, on chosen requests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

use crate::Operation;

/// What an injected fault does to a request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and an ACS error body (`TooManyRequests` for 429, `ServiceUnavailable` for
    /// 503...), with a retry hint when given. The request is not processed.
    Status {
        /// The HTTP status, 400..=599.
        status: u16,
        /// The retry hint header to send, if any.
        retry_after: Option<RetryAfter>,
    },
    /// Wait this long, then process the request normally. Latencies of several matching rules add up.
    Latency(Duration),
    /// Close the connection without answering. The request is not processed.
    DropConnection,
}

impl Fault {
    /// `429 Too Many Requests` with `Retry-After: <seconds>`.
    pub fn throttle(retry_after_seconds: u64) -> Self {
        Self::Status {
            status: 429,
            retry_after: Some(RetryAfter::Seconds(retry_after_seconds)),
        }
    }

    /// `503 Service Unavailable` with `Retry-After: <seconds>`.
    pub fn unavailable(retry_after_seconds: u64) -> Self {
        Self::Status {
            status: 503,
            retry_after: Some(RetryAfter::Seconds(retry_after_seconds)),
        }
    }
}

/// The retry hint of an injected error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`
    Seconds(u64),
    /// `retry-after-ms: <milliseconds>`
    Milliseconds(u64),
}

impl RetryAfter {
    pub(crate) fn header(self) -> (&'static str, String) {
        match self {
            Self::Seconds(s) => ("retry-after", s.to_string()),
            Self::Milliseconds(ms) => ("retry-after-ms", ms.to_string()),
        }
    }
}

/// Which requests a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Trigger {
    /// The next `n` matching requests, then the rule is spent and removed.
    Next(u32),
    /// Each matching request with this probability (0.0..=1.0), drawn from the configuration's seeded RNG.
    Probability(f64),
}

/// One fault rule: what to do, to which requests.
///
/// `#[non_exhaustive]`: rules may learn to select requests more finely. Read the fields; build one with
/// [`new`](Self::new) (or the [`next`](Self::next) and [`with_probability`](Self::with_probability)
/// shortcuts) and the builder methods.
///
/// ```
/// use acs_identity_emulator::{Fault, FaultRule, Operation, Trigger};
///
/// let rule = FaultRule::new(Fault::DropConnection, Trigger::Next(1)).operation(Operation::GetIdentity);
/// assert_eq!(rule, FaultRule::next(1, Fault::DropConnection).only(Operation::GetIdentity));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FaultRule {
    /// What happens.
    pub fault: Fault,
    /// When it happens.
    pub trigger: Trigger,
    /// The operation it is limited to. `None` means every ACS operation (not the Entra token endpoint,
    /// which is only faulted when named, and never the admin routes).
    pub operation: Option<Operation>,
}

impl FaultRule {
    /// `fault` on the ACS requests `trigger` selects.
    pub fn new(fault: Fault, trigger: Trigger) -> Self {
        Self {
            fault,
            trigger,
            operation: None,
        }
    }

    /// `fault` on the next `n` ACS requests.
    pub fn next(n: u32, fault: Fault) -> Self {
        Self::new(fault, Trigger::Next(n))
    }

    /// `fault` on each ACS request with probability `p`.
    pub fn with_probability(p: f64, fault: Fault) -> Self {
        Self::new(fault, Trigger::Probability(p))
    }

    /// Sets [`operation`](Self::operation): limits the rule to one operation.
    #[must_use]
    pub fn operation(mut self, operation: Operation) -> Self {
        self.operation = Some(operation);
        self
    }

    /// Limits the rule to one operation: the same as [`operation`](Self::operation), which reads better
    /// after [`next`](Self::next) and [`with_probability`](Self::with_probability).
    #[must_use]
    pub fn only(self, operation: Operation) -> Self {
        self.operation(operation)
    }

    fn matches(&self, operation: Operation) -> bool {
        match self.operation {
            Some(only) => only == operation,
            None => operation.is_acs(),
        }
    }
}

/// The fault rules and the seed of the RNG that draws probabilistic faults. The default injects nothing.
///
/// ```
/// use acs_identity_emulator::{Fault, FaultConfig, FaultRule, Operation};
///
/// let faults = FaultConfig::default()
///     .seed(7)
///     .rule(FaultRule::next(2, Fault::throttle(1)))
///     .rule(FaultRule::with_probability(0.1, Fault::DropConnection).only(Operation::IssueAccessToken));
/// assert_eq!(faults.rules.len(), 2);
/// ```
///
/// `#[non_exhaustive]`: fault injection may gain settings. Read the fields; build one from
/// [`FaultConfig::default`] with the builder methods.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct FaultConfig {
    /// Seeds the RNG of [`Trigger::Probability`] rules, so that a test sees the same faults on every run.
    pub seed: u64,
    /// Rules, evaluated in order for every request.
    pub rules: Vec<FaultRule>,
}

impl FaultConfig {
    /// Sets [`seed`](Self::seed).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Adds one rule after the others to [`rules`](Self::rules).
    #[must_use]
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Sets [`rules`](Self::rules), replacing any added before.
    #[must_use]
    pub fn rules(mut self, rules: impl IntoIterator<Item = FaultRule>) -> Self {
        self.rules = rules.into_iter().collect();
        self
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    pub(crate) outcome: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Respond(StatusCode, Option<RetryAfter>),
    Drop,
}

struct Rules {
    rng: StdRng,
    rules: Vec<FaultRule>,
}

/// The live fault rules of a running emulator. Cheap to clone; all clones act on the same emulator.
///
/// The same rules can be read and replaced over HTTP under `/_emulator/faults`.
#[derive(Clone)]
pub struct Faults {
    /// Lets requests skip the lock while no rule is set, the common case.
    active: Arc<AtomicBool>,
    rules: Arc<Mutex<Rules>>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("rules", &self.rules())
            .finish()
    }
}

impl Faults {
    pub(crate) fn new(config: FaultConfig) -> Self {
        let faults = Self {
            active: Arc::new(AtomicBool::new(false)),
            rules: Arc::new(Mutex::new(Rules {
                rng: StdRng::seed_from_u64(0),
                rules: Vec::new(),
            })),
        };
        faults.set(config);
        faults
    }

    /// Replaces every rule and reseeds the RNG.
    pub fn set(&self, config: FaultConfig) {
        self.update(|rules| {
            rules.rng = StdRng::seed_from_u64(config.seed);
            rules.rules = config.rules;
        });
    }

    /// Adds a rule after the existing ones.
    pub fn push(&self, rule: FaultRule) {
        self.update(|rules| rules.rules.push(rule));
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.update(|rules| rules.rules.clear());
    }

    /// The rules still in force (`Next` counts show what is left).
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules
            .lock()
            .map(|rules| rules.rules.clone())
            .unwrap_or_default()
    }

    fn update(&self, change: impl FnOnce(&mut Rules)) {
        if let Ok(mut rules) = self.rules.lock() {
            change(&mut rules);
            self.active
                .store(!rules.rules.is_empty(), Ordering::Release);
        }
    }

    /// Decides the fate of one request and consumes `Next` counts.
    pub(crate) fn decide(&self, operation: Operation) -> Decision {
        let mut decision = Decision::default();
        if !self.active.load(Ordering::Acquire) {
            return decision;
        }
        let Ok(mut guard) = self.rules.lock() else {
            return decision;
        };
        let Rules { rng, rules } = &mut *guard;
        for rule in rules.iter_mut() {
            if decision.outcome.is_some() {
                break;
            }
            if !rule.matches(operation) {
                continue;
            }
            let fires = match &mut rule.trigger {
                Trigger::Next(0) => false,
                Trigger::Next(n) => {
                    *n -= 1;
                    true
                }
                Trigger::Probability(p) => rng.random::<f64>() < *p,
            };
            if !fires {
                continue;
            }
            match &rule.fault {
                Fault::Latency(delay) => decision.latency += *delay,
                Fault::DropConnection => decision.outcome = Some(Outcome::Drop),
                Fault::Status {
                    status,
                    retry_after,
                } => {
                    let status =
                        StatusCode::from_u16(*status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                    decision.outcome = Some(Outcome::Respond(status, *retry_after));
                }
            }
        }
        rules.retain(|rule| rule.trigger != Trigger::Next(0));
        self.active.store(!rules.is_empty(), Ordering::Release);
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_rules_fire_then_disappear() {
        let faults = Faults::new(FaultConfig {
            seed: 0,
            rules: vec![FaultRule::next(2, Fault::throttle(3))],
        });
        let throttled = Decision {
            latency: Duration::ZERO,
            outcome: Some(Outcome::Respond(
                StatusCode::TOO_MANY_REQUESTS,
                Some(RetryAfter::Seconds(3)),
            )),
        };
        assert_eq!(faults.decide(Operation::CreateIdentity), throttled);
        assert_eq!(faults.rules(), vec![FaultRule::next(1, Fault::throttle(3))]);
        assert_eq!(faults.decide(Operation::IssueAccessToken), throttled);
        assert_eq!(
            faults.decide(Operation::IssueAccessToken),
            Decision::default()
        );
        assert!(faults.rules().is_empty());
    }

    #[test]
    fn rules_target_operations_and_latency_adds_up() {
        let faults = Faults::new(FaultConfig::default());
        faults.push(FaultRule::next(5, Fault::DropConnection).only(Operation::DeleteIdentity));
        faults.push(FaultRule::next(
            5,
            Fault::Latency(Duration::from_millis(10)),
        ));
        faults.push(FaultRule::next(5, Fault::Latency(Duration::from_millis(5))));
        let decision = faults.decide(Operation::CreateIdentity);
        assert_eq!(
            decision,
            Decision {
                latency: Duration::from_millis(15),
                outcome: None
            }
        );
        assert_eq!(
            faults.decide(Operation::DeleteIdentity).outcome,
            Some(Outcome::Drop)
        );
        assert_eq!(
            faults.decide(Operation::EntraTokenRequest),
            Decision::default(),
            "not an ACS operation"
        );
    }

    #[test]
    fn probabilistic_rules_are_reproducible() {
        let draw = || {
            let faults = Faults::new(FaultConfig {
                seed: 42,
                rules: vec![FaultRule::with_probability(0.5, Fault::unavailable(1))],
            });
            (0..64)
                .map(|_| faults.decide(Operation::IssueAccessToken).outcome.is_some())
                .collect::<Vec<_>>()
        };
        let first = draw();
        assert_eq!(first, draw());
        let hits = first.iter().filter(|hit| **hit).count();
        assert!((16..=48).contains(&hits), "{hits} of 64");
    }
}
