//! Delivery policy: `[delivery]` defaults, per-deployment overrides, and the effective
//! policy with durations.

use std::time::Duration;

use serde::Deserialize;

use crate::bounded::{bounded, bounded_opt};

/// `[delivery]`: retry and expiry defaults for every deployment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct DeliveryConfig {
    /// Most delivery attempts per record. Range 1..=1000, default 8.
    #[serde(deserialize_with = "bounded::<_, 1, 1000>")]
    pub max_attempts: u64,
    /// A record older than this many seconds is dead-lettered as retries-exhausted.
    /// Range 1..=2592000 (30 days), default 86400.
    #[serde(deserialize_with = "bounded::<_, 1, 2_592_000>")]
    pub max_age_secs: u64,
    /// First retry delay, in ms; later delays grow from it up to `backoff_cap_ms`.
    /// Range 1..=3600000, default 500.
    #[serde(deserialize_with = "bounded::<_, 1, 3_600_000>")]
    pub backoff_base_ms: u64,
    /// Longest retry delay, in ms. Range 1..=86400000 and `>= backoff_base_ms`,
    /// default 300000.
    #[serde(deserialize_with = "bounded::<_, 1, 86_400_000>")]
    pub backoff_cap_ms: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            max_age_secs: 86_400,
            backoff_base_ms: 500,
            backoff_cap_ms: 300_000,
        }
    }
}

/// `[tenants.<t>.deployments.<d>.delivery]`: per-deployment overrides of `[delivery]`. Each
/// key has the range of its `[delivery]` counterpart; a missing key keeps the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct DeliveryOverrides {
    /// Overrides [`DeliveryConfig::max_attempts`].
    #[serde(deserialize_with = "bounded_opt::<_, 1, 1000>")]
    pub max_attempts: Option<u64>,
    /// Overrides [`DeliveryConfig::max_age_secs`].
    #[serde(deserialize_with = "bounded_opt::<_, 1, 2_592_000>")]
    pub max_age_secs: Option<u64>,
    /// Overrides [`DeliveryConfig::backoff_base_ms`].
    #[serde(deserialize_with = "bounded_opt::<_, 1, 3_600_000>")]
    pub backoff_base_ms: Option<u64>,
    /// Overrides [`DeliveryConfig::backoff_cap_ms`].
    #[serde(deserialize_with = "bounded_opt::<_, 1, 86_400_000>")]
    pub backoff_cap_ms: Option<u64>,
}

/// The delivery policy in effect for one deployment: overrides merged over `[delivery]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Most delivery attempts per record (at least 1).
    pub max_attempts: u64,
    /// A record older than this is dead-lettered as retries-exhausted.
    pub max_age: Duration,
    /// First retry delay.
    pub backoff_base: Duration,
    /// Longest retry delay; never shorter than `backoff_base`.
    pub backoff_cap: Duration,
}

impl DeliveryConfig {
    /// The policy of a deployment without overrides.
    pub fn policy(&self) -> DeliveryPolicy {
        self.with_overrides(&DeliveryOverrides::default())
    }

    /// The policy of a deployment: each key of `overrides` that is set replaces the default.
    pub fn with_overrides(&self, overrides: &DeliveryOverrides) -> DeliveryPolicy {
        DeliveryPolicy {
            max_attempts: overrides.max_attempts.unwrap_or(self.max_attempts),
            max_age: Duration::from_secs(overrides.max_age_secs.unwrap_or(self.max_age_secs)),
            backoff_base: Duration::from_millis(
                overrides.backoff_base_ms.unwrap_or(self.backoff_base_ms),
            ),
            backoff_cap: Duration::from_millis(
                overrides.backoff_cap_ms.unwrap_or(self.backoff_cap_ms),
            ),
        }
    }

    /// Checks `backoff_cap_ms >= backoff_base_ms` after merging `overrides` (pass the
    /// default overrides to check `[delivery]` alone). On failure returns the key to blame,
    /// relative to the delivery table (`backoff_cap_ms` unless only the base was
    /// overridden), and the reason.
    pub(crate) fn check(
        &self,
        overrides: &DeliveryOverrides,
    ) -> Result<(), (&'static str, String)> {
        let base = overrides.backoff_base_ms.unwrap_or(self.backoff_base_ms);
        let cap = overrides.backoff_cap_ms.unwrap_or(self.backoff_cap_ms);
        if cap >= base {
            return Ok(());
        }
        // Name where a value comes from only when the two come from different tables.
        let from_defaults = |overridden: bool| {
            let mixed = overrides.backoff_base_ms.is_some() || overrides.backoff_cap_ms.is_some();
            if mixed && !overridden {
                " from [delivery]"
            } else {
                ""
            }
        };
        let base_origin = from_defaults(overrides.backoff_base_ms.is_some());
        let cap_origin = from_defaults(overrides.backoff_cap_ms.is_some());
        if overrides.backoff_cap_ms.is_some() || overrides.backoff_base_ms.is_none() {
            Err((
                "backoff_cap_ms",
                format!("must be at least backoff_base_ms ({base}{base_origin}), got {cap}"),
            ))
        } else {
            Err((
                "backoff_base_ms",
                format!("must be at most backoff_cap_ms ({cap}{cap_origin}), got {base}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_the_keys_they_set() {
        let defaults = DeliveryConfig::default();
        let policy = defaults.with_overrides(&DeliveryOverrides {
            max_attempts: Some(3),
            ..DeliveryOverrides::default()
        });
        assert_eq!(
            policy,
            DeliveryPolicy {
                max_attempts: 3,
                max_age: Duration::from_secs(86_400),
                backoff_base: Duration::from_millis(500),
                backoff_cap: Duration::from_millis(300_000),
            }
        );
        assert_eq!(defaults.policy().max_attempts, 8);
    }

    #[test]
    fn cap_below_base_blames_the_key_that_was_set() {
        let defaults = DeliveryConfig::default();
        assert_eq!(defaults.check(&DeliveryOverrides::default()), Ok(()));
        let cap_set = DeliveryOverrides {
            backoff_cap_ms: Some(100),
            ..DeliveryOverrides::default()
        };
        let (key, reason) = defaults.check(&cap_set).unwrap_err();
        assert_eq!(key, "backoff_cap_ms");
        assert_eq!(
            reason,
            "must be at least backoff_base_ms (500 from [delivery]), got 100"
        );
        let base_set = DeliveryOverrides {
            backoff_base_ms: Some(400_000),
            ..DeliveryOverrides::default()
        };
        let (key, reason) = defaults.check(&base_set).unwrap_err();
        assert_eq!(key, "backoff_base_ms");
        assert_eq!(
            reason,
            "must be at most backoff_cap_ms (300000 from [delivery]), got 400000"
        );
        let bad_defaults = DeliveryConfig {
            backoff_base_ms: 10,
            backoff_cap_ms: 5,
            ..DeliveryConfig::default()
        };
        let (key, reason) = bad_defaults
            .check(&DeliveryOverrides::default())
            .unwrap_err();
        assert_eq!(key, "backoff_cap_ms");
        assert_eq!(reason, "must be at least backoff_base_ms (10), got 5");
    }
}
