//! How a deployment retries: attempts, age and backoff.

use std::time::Duration;

use switchboard_runtime::RetryPolicy;

/// Retry limits of one deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Attempts per round (a round starts at ingest or at a replay), the first included.
    pub max_attempts: u32,
    /// A record whose next attempt would fall later than this after the round started is
    /// dead-lettered as `retries-exhausted`.
    pub max_age: Duration,
    /// Backoff for the first retry; doubles per retry up to `backoff_cap`, full jitter.
    pub backoff_base: Duration,
    /// Cap of the exponential backoff.
    pub backoff_cap: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            max_age: Duration::from_secs(86_400),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(300),
        }
    }
}

impl DeliveryPolicy {
    /// The wait before retry number `retry` (1 for the first), at least `retry_after`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        RetryPolicy {
            max_attempts: self.max_attempts,
            base: self.backoff_base,
            cap: self.backoff_cap,
            max_wait: self.max_age,
        }
        .delay(retry, retry_after, &mut rand::rng())
    }
}

impl From<&switchboard_config::DeliveryPolicy> for DeliveryPolicy {
    fn from(d: &switchboard_config::DeliveryPolicy) -> Self {
        Self {
            max_attempts: u32::try_from(d.max_attempts).unwrap_or(u32::MAX),
            max_age: d.max_age,
            backoff_base: d.backoff_base,
            backoff_cap: d.backoff_cap,
        }
    }
}
