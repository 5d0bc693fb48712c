//! Rolling-window, search and daily limits (`crm-api-facts.md` §1.2).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::config::SimConfig;
use crate::errors::Policy;
use crate::time::day_of;

/// Request times per token plus the portal's daily count.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    burst: HashMap<String, VecDeque<Instant>>,
    search: HashMap<String, VecDeque<Instant>>,
    daily_used: u64,
    day: u64,
}

/// Values for the `x-hubspot-ratelimit-*` headers after a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quota {
    interval_ms: u128,
    max: u32,
    remaining: u32,
    daily: u64,
    daily_remaining: u64,
}

impl Quota {
    /// The private-app header set (OAuth apps would not get the daily pair).
    pub(crate) fn headers(&self) -> Vec<(String, String)> {
        vec![
            (
                "x-hubspot-ratelimit-interval-milliseconds".to_owned(),
                self.interval_ms.to_string(),
            ),
            ("x-hubspot-ratelimit-max".to_owned(), self.max.to_string()),
            (
                "x-hubspot-ratelimit-remaining".to_owned(),
                self.remaining.to_string(),
            ),
            (
                "x-hubspot-ratelimit-daily".to_owned(),
                self.daily.to_string(),
            ),
            (
                "x-hubspot-ratelimit-daily-remaining".to_owned(),
                self.daily_remaining.to_string(),
            ),
        ]
    }
}

/// Outcome of a limit check. Search requests get no `Quota` (their responses
/// carry no rate-limit headers).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Verdict {
    Allowed(Option<Quota>),
    Limited(Policy, Option<Quota>),
}

impl RateLimiter {
    /// Requests counted against the daily limit today.
    pub(crate) fn daily_used(&self) -> u64 {
        self.daily_used
    }

    /// Checks and (when allowed, or when `count_rejected`) records one request.
    ///
    /// Search requests are exempt from the burst window and limited per
    /// second instead; both kinds count against the daily limit, which resets
    /// at UTC midnight (HubSpot uses the portal's time zone).
    pub(crate) fn check(
        &mut self,
        cfg: &SimConfig,
        token: &str,
        search: bool,
        now: Instant,
        now_ms: u64,
    ) -> Verdict {
        let today = day_of(now_ms);
        if today != self.day {
            self.day = today;
            self.daily_used = 0;
        }
        let (map, window, limit) = if search {
            (
                &mut self.search,
                Duration::from_secs(1),
                cfg.search_per_second,
            )
        } else {
            (&mut self.burst, cfg.burst_window, cfg.burst_limit)
        };
        let times = map.entry(token.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            times.pop_front();
        }
        let policy = if self.daily_used >= cfg.daily_limit {
            Some(Policy::Daily)
        } else if times.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            Some(if search {
                Policy::SearchSecondly
            } else {
                Policy::TenSecondly
            })
        } else {
            None
        };
        if policy.is_none() || cfg.count_rejected {
            times.push_back(now);
            self.daily_used = self.daily_used.saturating_add(1);
        }
        let used = u32::try_from(times.len()).unwrap_or(u32::MAX);
        let quota = (!search).then(|| Quota {
            interval_ms: cfg.burst_window.as_millis(),
            max: cfg.burst_limit,
            remaining: cfg.burst_limit.saturating_sub(used),
            daily: cfg.daily_limit,
            daily_remaining: cfg.daily_limit.saturating_sub(self.daily_used),
        });
        match policy {
            None => Verdict::Allowed(quota),
            Some(policy) => Verdict::Limited(policy, quota),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_over_burst_and_recovers_after_window() {
        let cfg = SimConfig {
            burst_limit: 2,
            burst_window: Duration::from_millis(100),
            ..SimConfig::default()
        };
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        assert!(matches!(
            rl.check(&cfg, "t", false, t0, 1),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            rl.check(&cfg, "t", false, t0, 1),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            rl.check(&cfg, "t", false, t0, 1),
            Verdict::Limited(Policy::TenSecondly, _)
        ));
        assert!(matches!(
            rl.check(&cfg, "other", false, t0, 1),
            Verdict::Allowed(_)
        ));
        let later = t0 + Duration::from_millis(100);
        assert!(matches!(
            rl.check(&cfg, "t", false, later, 1),
            Verdict::Allowed(_)
        ));
        assert_eq!(rl.daily_used(), 4);
    }
}
