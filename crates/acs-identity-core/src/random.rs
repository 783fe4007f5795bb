//! Randomness for client request ids and retry jitter, without an RNG crate.
//!
//! Both clients need a fresh id per call and a jitter per retry; neither is a secret, so a keyed hash is enough:
//! std's [`RandomState`] is keyed from the operating system's randomness once per thread and re-keyed on every
//! `new()`, and SipHash under a secret key is unpredictable to anyone who does not hold the key. Not for keys,
//! nonces or anything else that must resist an attacker who sees many outputs.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// 128 fresh random bits (two SipHash outputs under a new [`RandomState`] key).
pub fn random_u128() -> u128 {
    let state = RandomState::new();
    (u128::from(state.hash_one(0u8)) << 64) | u128::from(state.hash_one(1u8))
}

/// A uniform value in `[0, 1)`, for retry and refresh jitter.
pub fn random_unit() -> f64 {
    // The top 53 bits: every f64 in [0, 1) at that spacing is equally likely.
    let bits = (RandomState::new().hash_one(0u8) >> 11) as f64;
    bits / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_do_not_repeat() {
        let ids: HashSet<u128> = (0..10_000).map(|_| random_u128()).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn unit_values_stay_in_range_and_spread() {
        let values: Vec<f64> = (0..10_000).map(|_| random_unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let low = values.iter().filter(|v| **v < 0.5).count();
        // Binomial(10_000, 0.5): 4_500..5_500 is more than 10 standard deviations wide.
        assert!((4_500..5_500).contains(&low), "{low} of 10000 below 0.5");
        assert!(values.iter().any(|v| *v < 0.01) && values.iter().any(|v| *v > 0.99));
    }
}
