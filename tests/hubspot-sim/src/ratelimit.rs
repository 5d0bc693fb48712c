//! Rolling-window, search and daily limits (`crm-api-facts.md` §1.2).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::config::SimConfig;
use crate::time::{day_of, secs_until_midnight};
use crate::types::RateLimitPolicy;

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
    Limited {
        policy: RateLimitPolicy,
        quota: Option<Quota>,
        /// Whole seconds until the request would be allowed: until the
        /// oldest request leaves the window (rounded up, at least 1), or
        /// until UTC midnight for DAILY.
        wait_secs: u64,
    },
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
        prune(times, window, now);
        let policy = if self.daily_used >= cfg.daily_limit {
            Some(RateLimitPolicy::Daily)
        } else if times.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            Some(if search {
                RateLimitPolicy::Secondly
            } else {
                RateLimitPolicy::TenSecondlyRolling
            })
        } else {
            None
        };
        // Computed before this request is (maybe) recorded: the wait until
        // the oldest request now in the window leaves it.
        let wait_secs = match policy {
            Some(RateLimitPolicy::Daily) => secs_until_midnight(now_ms),
            _ => {
                let left = times.front().map_or(window, |oldest| {
                    window.saturating_sub(now.saturating_duration_since(*oldest))
                });
                ceil_secs(left)
            }
        };
        if policy.is_none() || cfg.count_rejected {
            times.push_back(now);
            self.daily_used = self.daily_used.saturating_add(1);
        }
        let used = times.len();
        let quota = (!search).then(|| self.quota(cfg, used));
        match policy {
            None => Verdict::Allowed(quota),
            Some(policy) => Verdict::Limited {
                policy,
                quota,
                wait_secs,
            },
        }
    }

    /// Header values for a 429 injected by a fault (which charges nothing):
    /// `None` for SECONDLY (search responses carry no rate-limit headers);
    /// `-remaining` is 0 for TEN_SECONDLY_ROLLING and otherwise what the
    /// token has left in its window; `-daily-remaining` is 0 for DAILY.
    pub(crate) fn injected_quota(
        &self,
        cfg: &SimConfig,
        token: Option<&str>,
        policy: RateLimitPolicy,
        now: Instant,
    ) -> Option<Quota> {
        let used = match policy {
            RateLimitPolicy::Secondly => return None,
            RateLimitPolicy::TenSecondlyRolling => usize::MAX,
            RateLimitPolicy::Daily => token.and_then(|t| self.burst.get(t)).map_or(0, |times| {
                times
                    .iter()
                    .filter(|t| now.saturating_duration_since(**t) < cfg.burst_window)
                    .count()
            }),
        };
        let mut quota = self.quota(cfg, used);
        if policy == RateLimitPolicy::Daily {
            quota.daily_remaining = 0;
        }
        Some(quota)
    }

    fn quota(&self, cfg: &SimConfig, used_in_window: usize) -> Quota {
        let used = u32::try_from(used_in_window).unwrap_or(u32::MAX);
        Quota {
            interval_ms: cfg.burst_window.as_millis(),
            max: cfg.burst_limit,
            remaining: cfg.burst_limit.saturating_sub(used),
            daily: cfg.daily_limit,
            daily_remaining: cfg.daily_limit.saturating_sub(self.daily_used),
        }
    }
}

/// Drops the times that have left the rolling window.
fn prune(times: &mut VecDeque<Instant>, window: Duration, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

/// Whole seconds, rounded up, at least 1.
fn ceil_secs(d: Duration) -> u64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.max(1)
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
            Verdict::Limited {
                policy: RateLimitPolicy::TenSecondlyRolling,
                ..
            }
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

    fn limited_wait(verdict: Verdict) -> (RateLimitPolicy, u64) {
        match verdict {
            Verdict::Limited {
                policy, wait_secs, ..
            } => (policy, wait_secs),
            Verdict::Allowed(_) => panic!("expected a 429"),
        }
    }

    #[test]
    fn wait_is_until_the_oldest_request_leaves_the_window_rounded_up() {
        let cfg = SimConfig {
            burst_limit: 2,
            burst_window: Duration::from_secs(10),
            ..SimConfig::default()
        };
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        let _ = rl.check(&cfg, "t", false, t0, 1);
        let _ = rl.check(&cfg, "t", false, t0 + Duration::from_secs(3), 1);
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(
            limited_wait(rl.check(&cfg, "t", false, at(4_000), 1)),
            (RateLimitPolicy::TenSecondlyRolling, 6)
        );
        assert_eq!(limited_wait(rl.check(&cfg, "t", false, at(4_500), 1)).1, 6);
        assert_eq!(limited_wait(rl.check(&cfg, "t", false, at(9_999), 1)).1, 1);
        // Search: one per rolling second here.
        let search = SimConfig {
            search_per_second: 1,
            ..SimConfig::default()
        };
        let _ = rl.check(&search, "t", true, t0, 1);
        assert_eq!(
            limited_wait(rl.check(&search, "t", true, at(200), 1)),
            (RateLimitPolicy::Secondly, 1)
        );
    }

    #[test]
    fn daily_wait_is_until_utc_midnight_and_injected_quota_follows_policy() {
        let cfg = SimConfig {
            daily_limit: 1,
            burst_limit: 5,
            ..SimConfig::default()
        };
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        let noon = 12 * 3_600_000;
        let _ = rl.check(&cfg, "t", false, t0, noon);
        assert_eq!(
            limited_wait(rl.check(&cfg, "t", false, t0, noon)),
            (RateLimitPolicy::Daily, 12 * 3_600)
        );
        let ten = rl
            .injected_quota(&cfg, Some("t"), RateLimitPolicy::TenSecondlyRolling, t0)
            .expect("headers");
        assert_eq!((ten.remaining, ten.daily_remaining), (0, 0));
        let daily = rl
            .injected_quota(&cfg, Some("t"), RateLimitPolicy::Daily, t0)
            .expect("headers");
        assert_eq!((daily.remaining, daily.daily_remaining), (4, 0));
        let unknown = rl
            .injected_quota(&cfg, None, RateLimitPolicy::Daily, t0)
            .expect("headers");
        assert_eq!(unknown.remaining, 5);
        assert!(
            rl.injected_quota(&cfg, Some("t"), RateLimitPolicy::Secondly, t0)
                .is_none()
        );
    }
}
