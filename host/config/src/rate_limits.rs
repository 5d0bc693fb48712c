//! `[rate_limits]` and `[breaker]`: how a deployment spends the CRM's budgets and when it
//! stops calling a failing CRM. The budgets themselves come from the connector's
//! `describe`; this section overrides their sizes (plans differ).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{Deserializer, Error};

use crate::bounded::{bounded, bounded_opt};
use crate::names::named_map;

/// `[rate_limits]`: limits on how fast this deployment calls its CRM.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct RateLimits {
    /// Longest one request may wait inside an attempt for room in a budget, in ms. A longer
    /// wait sends the record back to the queue (uncounted) instead. Range 0..=60000,
    /// default 2000; the runtime uses at most half of `limits.wall_timeout_ms`.
    #[serde(deserialize_with = "bounded::<_, 0, 60_000>")]
    pub max_wait_ms: u64,
    /// When daily budgets reset, `HH:MM` in UTC. Default `00:00`. (HubSpot resets at
    /// midnight in the account's time zone: for an account in UTC-5, `05:00`.)
    #[serde(deserialize_with = "time_of_day")]
    pub daily_reset_utc: Duration,
    /// `[rate_limits.budgets.<name>]`: overrides of the connector's budgets, by the name
    /// `describe` gives them. A name the connector does not declare is refused at start.
    #[serde(deserialize_with = "named_map")]
    pub budgets: BTreeMap<String, BudgetOverride>,
    /// The operator's ceiling: at most this many requests per `ceiling_window_ms`, whatever
    /// the connector declares (every request costs 1 here, also on paths the connector
    /// says are free). Range 1..=1000000, default 300 (above the HubSpot connector's own
    /// 190 per 10 s plus 4 searches a second).
    #[serde(deserialize_with = "bounded::<_, 1, 1_000_000>")]
    pub ceiling_requests: u64,
    /// The ceiling's rolling window, in ms. Range 1..=86400000, default 10000.
    #[serde(deserialize_with = "bounded::<_, 1, 86_400_000>")]
    pub ceiling_window_ms: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            max_wait_ms: 2000,
            daily_reset_utc: Duration::ZERO,
            budgets: BTreeMap::new(),
            ceiling_requests: 300,
            ceiling_window_ms: 10_000,
        }
    }
}

impl RateLimits {
    /// `max_wait_ms` as a duration.
    pub fn max_wait(&self) -> Duration {
        Duration::from_millis(self.max_wait_ms)
    }
}

/// One budget's override; a missing key keeps the connector's value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct BudgetOverride {
    /// Tokens per window. Range 1..=4294967295.
    #[serde(deserialize_with = "bounded_opt::<_, 1, 4_294_967_295>")]
    pub tokens: Option<u64>,
    /// Window length in ms. Range 1..=604800000 (a week).
    #[serde(deserialize_with = "bounded_opt::<_, 1, 604_800_000>")]
    pub window_ms: Option<u64>,
}

/// `[breaker]`: the circuit breaker of this deployment. It opens after
/// `consecutive_failures` transient failures in a row, or when more than
/// `failure_rate_percent` of at least `min_calls` attempts in the last `window_ms` failed;
/// stays open for the cooldown (doubling per failed probe up to `max_cooldown_ms`); then
/// lets one probe through, and closes when it succeeds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct Breaker {
    /// Transient failures in a row that open the breaker. Range 1..=10000, default 5.
    #[serde(deserialize_with = "bounded::<_, 1, 10_000>")]
    pub consecutive_failures: u64,
    /// Failure rate (percent) over the window that opens it. Range 1..=100, default 50.
    #[serde(deserialize_with = "bounded::<_, 1, 100>")]
    pub failure_rate_percent: u64,
    /// The window the failure rate is measured over, in ms. Range 1000..=3600000,
    /// default 30000.
    #[serde(deserialize_with = "bounded::<_, 1000, 3_600_000>")]
    pub window_ms: u64,
    /// Attempts the window must hold before the rate counts. Range 1..=1000000, default 20.
    #[serde(deserialize_with = "bounded::<_, 1, 1_000_000>")]
    pub min_calls: u64,
    /// How long it stays open before a probe, in ms. Range 10..=3600000, default 5000.
    #[serde(deserialize_with = "bounded::<_, 10, 3_600_000>")]
    pub cooldown_ms: u64,
    /// The longest cooldown after repeated failed probes, in ms. Range 10..=86400000,
    /// default 300000; must be at least `cooldown_ms`.
    #[serde(deserialize_with = "bounded::<_, 10, 86_400_000>")]
    pub max_cooldown_ms: u64,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            consecutive_failures: 5,
            failure_rate_percent: 50,
            window_ms: 30_000,
            min_calls: 20,
            cooldown_ms: 5000,
            max_cooldown_ms: 300_000,
        }
    }
}

/// `HH:MM` as the time since midnight.
fn time_of_day<'de, D: Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(de)?;
    let parsed = text.split_once(':').and_then(|(h, m)| {
        let (h, m) = (h.parse::<u64>().ok()?, m.parse::<u64>().ok()?);
        (h < 24 && m < 60 && text.len() == 5).then_some(h * 3600 + m * 60)
    });
    match parsed {
        Some(secs) => Ok(Duration::from_secs(secs)),
        None => Err(D::Error::custom(format!(
            "must be a time of day HH:MM (00:00 to 23:59), got {text:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeploymentManifest;

    fn parse(text: &str) -> Result<DeploymentManifest, String> {
        DeploymentManifest::parse(text, "m.toml").map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_when_absent() {
        let m = parse("").unwrap();
        assert_eq!(m.rate_limits, RateLimits::default());
        assert_eq!(m.breaker, Breaker::default());
    }

    #[test]
    fn reads_overrides_reset_time_and_breaker() {
        let m = parse(
            "[rate_limits]\nmax_wait_ms = 500\ndaily_reset_utc = \"05:30\"\n\
             [rate_limits.budgets.ten-secondly]\ntokens = 250\n\
             [breaker]\nconsecutive_failures = 3\ncooldown_ms = 100\nmax_cooldown_ms = 1000\n",
        )
        .unwrap();
        assert_eq!(m.rate_limits.max_wait(), Duration::from_millis(500));
        assert_eq!(
            m.rate_limits.daily_reset_utc,
            Duration::from_secs(5 * 3600 + 30 * 60)
        );
        let o = &m.rate_limits.budgets["ten-secondly"];
        assert_eq!((o.tokens, o.window_ms), (Some(250), None));
        assert_eq!(m.breaker.consecutive_failures, 3);
    }

    #[test]
    fn refuses_bad_values_naming_the_key() {
        for (text, key, why) in [
            (
                "[rate_limits]\ndaily_reset_utc = \"24:00\"",
                "daily_reset_utc",
                "HH:MM",
            ),
            (
                "[rate_limits.budgets.daily]\ntokens = 0",
                "tokens",
                "between 1",
            ),
            (
                "[rate_limits.budgets.Daily]\ntokens = 5",
                "Daily",
                "invalid name",
            ),
            (
                "[rate_limits.budgets.daily]\nrequests = 5",
                "requests",
                "unknown field",
            ),
            (
                "[breaker]\nfailure_rate_percent = 101",
                "failure_rate_percent",
                "between 1 and 100",
            ),
            (
                "[breaker]\ncooldown_ms = 5000\nmax_cooldown_ms = 1000",
                "max_cooldown_ms",
                "at least breaker.cooldown_ms",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(key) && err.contains(why), "{text}: {err}");
        }
    }
}
