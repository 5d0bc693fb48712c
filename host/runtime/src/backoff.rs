//! Retry timing: exponential backoff with full jitter, honouring the CRM's
//! retry-after when it gave one.

use std::time::Duration;

use rand::Rng;

/// How retries are spaced and bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff for the first retry; doubles each time.
    pub base: Duration,
    /// Cap of the exponential backoff.
    pub cap: Duration,
    /// Longest single wait this caller accepts; a longer retry-after ends
    /// the delivery as failed (still retryable later).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(30),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry): a
    /// uniformly random time in `[0, min(cap, base * 2^(retry-1))]`, and
    /// never less than `retry_after`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        let exp = self
            .base
            .saturating_mul(
                1u32.checked_shl(retry.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.cap);
        let jittered = Duration::from_nanos(
            rng.random_range(0..=u64::try_from(exp.as_nanos()).unwrap_or(u64::MAX)),
        );
        match retry_after {
            Some(after) => after.max(jittered),
            None => jittered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn full_jitter_stays_within_the_exponential_bound() {
        let p = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for retry in 1..10 {
            let bound = p.base.saturating_mul(1 << (retry - 1)).min(p.cap);
            for _ in 0..100 {
                assert!(p.delay(retry, None, &mut rng) <= bound);
            }
        }
    }

    #[test]
    fn honours_retry_after() {
        let p = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        assert!(p.delay(1, Some(Duration::from_secs(10)), &mut rng) >= Duration::from_secs(10));
    }

    #[test]
    fn jitter_is_spread_not_constant() {
        let p = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let a: Vec<_> = (0..20).map(|_| p.delay(5, None, &mut rng)).collect();
        assert!(a.iter().any(|d| *d != a[0]));
    }
}
