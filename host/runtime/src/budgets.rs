//! A deployment's rate-limit budgets: the connector's `describe` gives them, the
//! manifest's `[rate_limits]` overrides their sizes, and the result drives the
//! [`Limiter`](switchboard_limits::Limiter) that `http.send` spends from.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use switchboard_config::RateLimits;
use switchboard_limits::{BudgetSpec, LimiterConfig, RequestCost, Scope};

use crate::types::{Descriptor, LimitScope};

/// One day.
const DAY: Duration = Duration::from_secs(86_400);

/// The budget every deployment has beside its connector's: the operator's request ceiling
/// (`[rate_limits] ceiling_requests` per `ceiling_window_ms`), costing 1 per request.
pub const OPERATOR_CEILING: &str = "operator-ceiling";

/// The limiter configuration for `d` under the manifest's `[rate_limits]`; a request waits
/// for tokens at most `max_wait_ms`, and at most half of `wall_timeout`, so the wait never
/// runs into the attempt's wall-clock limit. An override naming a budget the connector
/// does not declare, or one too small for a request's cost, is an error that names it.
pub(crate) fn limiter_config(
    d: &Descriptor,
    rl: &RateLimits,
    wall_timeout: Duration,
) -> Result<LimiterConfig, String> {
    if d.rate_limits.iter().any(|l| l.name == OPERATOR_CEILING) {
        return Err(format!(
            "connector {:?} declares a budget named {OPERATOR_CEILING:?}, which is the host's own",
            d.name
        ));
    }
    for name in rl.budgets.keys() {
        if !d.rate_limits.iter().any(|l| &l.name == name) {
            let known: Vec<&str> = d.rate_limits.iter().map(|l| l.name.as_str()).collect();
            return Err(format!(
                "key \"rate_limits.budgets.{name}\": connector {:?} declares no budget {name:?} (it declares {known:?})",
                d.name
            ));
        }
    }
    for l in &d.rate_limits {
        let costliest = l
            .costs
            .iter()
            .map(|c| c.cost)
            .chain([l.default_cost])
            .max()
            .unwrap_or(0);
        if let Some(tokens) = rl.budgets.get(&l.name).and_then(|o| o.tokens)
            && tokens < u64::from(costliest)
        {
            return Err(format!(
                "key \"rate_limits.budgets.{}.tokens\": {tokens} is below the cost {costliest} of one of connector {:?}'s requests, which could then never be sent",
                l.name, d.name
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
        .chain([BudgetSpec {
            name: OPERATOR_CEILING.to_owned(),
            tokens: rl.ceiling_requests,
            window: Duration::from_millis(rl.ceiling_window_ms),
            scope: Scope::Rolling,
            costs: Vec::new(),
            default_cost: 1,
        }])
        .collect();
    Ok(LimiterConfig {
        budgets,
        max_wait: rl.max_wait().min(wall_timeout / 2),
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
    use switchboard_config::BudgetOverride;

    use super::*;
    use crate::types::{RateLimit, RequestCost as WitCost};

    fn descriptor() -> Descriptor {
        Descriptor {
            name: "pipedrive".into(),
            version: "0.1.0".into(),
            crm: "Pipedrive".into(),
            record_kinds: vec!["call".into()],
            outbound_hosts: Vec::new(),
            config_keys: Vec::new(),
            secret_names: Vec::new(),
            owned_fields: Vec::new(),
            rate_limits: vec![RateLimit {
                name: "tokens".into(),
                tokens: 30_000,
                window_ms: 86_400_000,
                scope: LimitScope::Daily,
                costs: vec![WitCost {
                    method: "get".into(),
                    path_prefix: "/api/v2/persons/search".into(),
                    cost: 20,
                }],
                default_cost: 5,
            }],
        }
    }

    fn overriding(name: &str, tokens: u64) -> RateLimits {
        let mut rl = RateLimits::default();
        rl.budgets.insert(
            name.into(),
            BudgetOverride {
                tokens: Some(tokens),
                window_ms: None,
            },
        );
        rl
    }

    #[test]
    fn describe_gives_the_budgets_and_the_manifest_resizes_them() {
        let wall = Duration::from_secs(30);
        let cfg = limiter_config(&descriptor(), &overriding("tokens", 60_000), wall).unwrap();
        assert_eq!(cfg.max_wait, Duration::from_secs(2));
        let short = limiter_config(&descriptor(), &RateLimits::default(), wall / 10).unwrap();
        assert_eq!(short.max_wait, Duration::from_millis(1500));
        let b = &cfg.budgets[0];
        assert_eq!(
            (b.tokens, b.scope, b.default_cost),
            (60_000, Scope::Daily, 5)
        );
        assert_eq!(b.cost_of("GET", "/api/v2/persons/search?term=x"), 20);
        assert_eq!(b.costs[0].method, "GET");
    }

    #[test]
    fn overrides_naming_no_budget_or_below_a_cost_are_refused() {
        let wall = Duration::from_secs(30);
        let e = limiter_config(&descriptor(), &overriding("burst", 10), wall).unwrap_err();
        assert!(
            e.contains("rate_limits.budgets.burst") && e.contains("[\"tokens\"]"),
            "{e}"
        );
        let e = limiter_config(&descriptor(), &overriding("tokens", 19), wall).unwrap_err();
        assert!(
            e.contains("rate_limits.budgets.tokens.tokens") && e.contains("cost 20"),
            "{e}"
        );
    }

    #[test]
    fn every_deployment_has_the_operator_ceiling_costing_one_per_request() {
        let mut d = descriptor();
        // A connector calling a path free in all of its own budgets.
        d.rate_limits[0].default_cost = 0;
        let rl = RateLimits {
            ceiling_requests: 30,
            ceiling_window_ms: 1000,
            ..RateLimits::default()
        };
        let cfg = limiter_config(&d, &rl, Duration::from_secs(30)).unwrap();
        let ceiling = cfg
            .budgets
            .iter()
            .find(|b| b.name == OPERATOR_CEILING)
            .expect("the ceiling");
        assert_eq!(
            (ceiling.tokens, ceiling.window, ceiling.scope),
            (30, Duration::from_secs(1), Scope::Rolling)
        );
        assert_eq!(ceiling.cost_of("GET", "/free"), 1);
        assert_eq!(cfg.budgets[0].cost_of("GET", "/free"), 0);

        d.rate_limits[0].name = OPERATOR_CEILING.into();
        let e = limiter_config(&d, &RateLimits::default(), Duration::from_secs(30)).unwrap_err();
        assert!(e.contains("the host's own"), "{e}");
    }

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
