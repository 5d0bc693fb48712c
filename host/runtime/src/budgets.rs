//! A deployment's rate-limit budgets: the connector's `describe` gives them, the
//! manifest's `[rate_limits]` overrides their sizes, and the result drives the
//! [`Limiter`](switchboard_limits::Limiter) that `http.send` spends from.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use switchboard_config::RateLimits;
use switchboard_limits::{BudgetSpec, LimiterConfig, RequestCost, Scope};

use crate::types::{Descriptor, LimitScope};

/// One day.
const DAY: Duration = Duration::from_secs(86_400);

/// The limiter configuration for `d` under the manifest's `[rate_limits]`. An override
/// naming a budget the connector does not declare is an error that names it.
pub(crate) fn limiter_config(d: &Descriptor, rl: &RateLimits) -> Result<LimiterConfig, String> {
    for name in rl.budgets.keys() {
        if !d.rate_limits.iter().any(|l| &l.name == name) {
            let known: Vec<&str> = d.rate_limits.iter().map(|l| l.name.as_str()).collect();
            return Err(format!(
                "key \"rate_limits.budgets.{name}\": connector {:?} declares no budget {name:?} (it declares {known:?})",
                d.name
            ));
        }
    }
    let budgets = d
        .rate_limits
        .iter()
        .map(|l| {
            let o = rl.budgets.get(&l.name);
            BudgetSpec {
                name: l.name.clone(),
                tokens: o.and_then(|o| o.tokens).unwrap_or(u64::from(l.tokens)),
                window: Duration::from_millis(o.and_then(|o| o.window_ms).unwrap_or(l.window_ms)),
                scope: match l.scope {
                    LimitScope::Burst => Scope::Rolling,
                    LimitScope::Daily => Scope::Daily,
                },
                costs: l
                    .costs
                    .iter()
                    .map(|c| RequestCost {
                        method: c.method.to_ascii_uppercase(),
                        path_prefix: c.path_prefix.clone(),
                        cost: c.cost,
                    })
                    .collect(),
                default_cost: l.default_cost,
            }
        })
        .collect();
    Ok(LimiterConfig {
        budgets,
        max_wait: rl.max_wait(),
        first_daily_reset_in: Some(until_time_of_day(SystemTime::now(), rl.daily_reset_utc)),
    })
}

/// Time from `now` to the next `time_of_day` (UTC), in (0, 24 h].
fn until_time_of_day(now: SystemTime, time_of_day: Duration) -> Duration {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let into_day = Duration::from_secs(since_epoch.as_secs() % DAY.as_secs())
        + Duration::from_nanos(u64::from(since_epoch.subsec_nanos()));
    let target = time_of_day.min(DAY);
    if target > into_day {
        target - into_day
    } else {
        DAY - into_day + target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_reset_is_later_today_or_tomorrow() {
        let t = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let h = |n: u64| Duration::from_secs(n * 3600);
        // 03:00 UTC, reset at 05:00: two hours.
        assert_eq!(until_time_of_day(t(3 * 3600), h(5)), h(2));
        // 06:00 UTC, reset at 05:00: 23 hours.
        assert_eq!(until_time_of_day(t(86_400 + 6 * 3600), h(5)), h(23));
        // Exactly at midnight, reset at midnight: a whole day.
        assert_eq!(until_time_of_day(t(86_400), Duration::ZERO), DAY);
    }
}
