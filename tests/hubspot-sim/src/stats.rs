//! Rate-limit statistics for tests: what each token's requests met at the
//! limiter, and the 429s injected by faults (kept apart).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::types::RateLimitPolicy;

/// Most arrival times kept per token in [`TokenStats::accepted_at_ms`]
/// (8 MB per token). Later accepted requests are still counted in
/// [`TokenStats::accepted`], and in [`TokenStats::accepted_at_dropped`].
pub const MAX_RECORDED_TIMES: usize = 1_000_000;

/// Rate-limit statistics of a simulator since it started (or was reset):
/// [`SimHandle::rate_stats`](crate::SimHandle::rate_stats) or
/// `GET /__sim/stats`.
///
/// Control requests (`/__sim/`) are never counted, nor are requests answered
/// before the limiter: unknown paths (404) and failed authentication (401).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateStats {
    /// Milliseconds since the simulator started, when the stats were taken
    /// (the clock of [`TokenStats::accepted_at_ms`]; `reset` does not
    /// restart it).
    pub elapsed_ms: u64,
    /// The configured `burst_limit` (requests per burst window per token).
    pub burst_limit: u32,
    /// The configured `burst_window`, in whole milliseconds.
    pub burst_window_ms: u64,
    /// The configured `search_per_second`.
    pub search_per_second: u32,
    /// All 429s injected by faults, including those on requests without a
    /// bearer token (which no entry of `tokens` counts).
    pub injected_429: u64,
    /// Per bearer token, as presented in `Authorization` (for injected 429s
    /// the token is not validated).
    pub tokens: BTreeMap<String, TokenStats>,
}

/// What one token's requests met.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenStats {
    /// Non-search requests the limiter accepted: counted against the burst
    /// window and the daily limit.
    pub accepted: u64,
    /// Search requests the limiter accepted (exempt from the burst window;
    /// counted against the search limit and the daily limit).
    pub search_accepted: u64,
    /// Requests rejected with 429 `TEN_SECONDLY_ROLLING` by the limiter.
    pub rejected_ten_secondly_rolling: u64,
    /// Search requests rejected with 429 `SECONDLY` by the limiter.
    pub rejected_secondly: u64,
    /// Requests rejected with 429 `DAILY` by the limiter.
    pub rejected_daily: u64,
    /// 429s injected by faults (`Respond` with status 429, or
    /// `RateLimited`); not part of the counts above.
    pub injected_429: u64,
    /// Arrival times of the `accepted` requests, in milliseconds since the
    /// simulator started (rounded down), oldest first: the instant the
    /// limiter counted each one. At most [`MAX_RECORDED_TIMES`] are kept (the
    /// first ones).
    pub accepted_at_ms: Vec<u64>,
    /// Accepted requests whose time was not kept because of the cap.
    pub accepted_at_dropped: u64,
}

/// Returned by [`RateStats::token`] for a token that sent nothing.
static NO_REQUESTS: TokenStats = TokenStats {
    accepted: 0,
    search_accepted: 0,
    rejected_ten_secondly_rolling: 0,
    rejected_secondly: 0,
    rejected_daily: 0,
    injected_429: 0,
    accepted_at_ms: Vec::new(),
    accepted_at_dropped: 0,
};

impl RateStats {
    /// The statistics of `token` (all zero if it sent nothing counted).
    pub fn token(&self, token: &str) -> &TokenStats {
        self.tokens.get(token).unwrap_or(&NO_REQUESTS)
    }

    /// The configured burst window.
    pub fn burst_window(&self) -> Duration {
        Duration::from_millis(self.burst_window_ms)
    }

    /// Records the limiter's verdict on a request that arrived `at_ms` after
    /// start: `rejected` is the policy of a 429, `None` when accepted.
    pub(crate) fn record_verdict(
        &mut self,
        token: &str,
        search: bool,
        rejected: Option<RateLimitPolicy>,
        at_ms: u64,
    ) {
        let entry = self.tokens.entry(token.to_owned()).or_default();
        match rejected {
            None if search => entry.search_accepted += 1,
            None => {
                entry.accepted += 1;
                if entry.accepted_at_ms.len() < MAX_RECORDED_TIMES {
                    entry.accepted_at_ms.push(at_ms);
                } else {
                    entry.accepted_at_dropped += 1;
                }
            }
            Some(RateLimitPolicy::TenSecondlyRolling) => entry.rejected_ten_secondly_rolling += 1,
            Some(RateLimitPolicy::Secondly) => entry.rejected_secondly += 1,
            Some(RateLimitPolicy::Daily) => entry.rejected_daily += 1,
        }
    }

    /// Records a 429 injected by a fault on a request bearing `token`.
    pub(crate) fn record_injected_429(&mut self, token: Option<&str>) {
        self.injected_429 += 1;
        if let Some(token) = token {
            self.tokens
                .entry(token.to_owned())
                .or_default()
                .injected_429 += 1;
        }
    }
}

impl TokenStats {
    /// All 429s the limiter gave this token (injected ones excluded).
    pub fn rejected(&self) -> u64 {
        self.rejected_ten_secondly_rolling + self.rejected_secondly + self.rejected_daily
    }

    /// The 429s the limiter gave this token for `policy`.
    pub fn rejected_by(&self, policy: RateLimitPolicy) -> u64 {
        match policy {
            RateLimitPolicy::TenSecondlyRolling => self.rejected_ten_secondly_rolling,
            RateLimitPolicy::Secondly => self.rejected_secondly,
            RateLimitPolicy::Daily => self.rejected_daily,
        }
    }

    /// The largest number of `times_ms` inside one rolling `window`, with the
    /// limiter's rule: a request at `t` still counts for a request at `s`
    /// when `s - t < window`. `times_ms` need not be sorted.
    ///
    /// With the simulator's own times (rounded down to whole ms) this never
    /// overstates what the limiter saw, so for a burst-limited token
    /// `max_in_any_window(&stats.accepted_at_ms, window) <= burst_limit`.
    pub fn max_in_any_window(times_ms: &[u64], window: Duration) -> usize {
        let mut sorted;
        let times = if times_ms.windows(2).all(|w| w[0] <= w[1]) {
            times_ms
        } else {
            sorted = times_ms.to_vec();
            sorted.sort_unstable();
            &sorted
        };
        let window_ns = window.as_nanos();
        let mut best = 0;
        let mut first = 0;
        for (last, &t) in times.iter().enumerate() {
            while first <= last
                && u128::from(t - times[first]).saturating_mul(1_000_000) >= window_ns
            {
                first += 1;
            }
            best = best.max(last + 1 - first);
        }
        best
    }

    /// [`max_in_any_window`](Self::max_in_any_window) of this token's
    /// accepted (burst-counted) requests.
    pub fn max_accepted_in_window(&self, window: Duration) -> usize {
        Self::max_in_any_window(&self.accepted_at_ms, window)
    }

    /// Accepted requests whose arrival time is in `[from_ms, to_ms)`.
    pub fn accepted_between(&self, from_ms: u64, to_ms: u64) -> usize {
        self.accepted_at_ms
            .iter()
            .filter(|t| (from_ms..to_ms).contains(t))
            .count()
    }

    /// `accepted / (limit × span / window)`: the share of the burst capacity
    /// over `span` that this token used (1.0 means every slot). Counts every
    /// accepted request, so take `span` from the first request of the test
    /// (or use [`accepted_between`](Self::accepted_between) for a part of
    /// it). 0 when the capacity is 0. A rolling window admits up to
    /// `limit × (whole windows in span + 1)` requests, so over a short span
    /// this can exceed 1.0.
    pub fn utilisation(&self, limit: u32, window: Duration, span: Duration) -> f64 {
        let windows = span.as_secs_f64() / window.as_secs_f64();
        let capacity = f64::from(limit) * windows;
        if capacity > 0.0 && capacity.is_finite() {
            // Precision loss is irrelevant for a ratio of counts.
            #[allow(clippy::cast_precision_loss)]
            let accepted = self.accepted as f64;
            accepted / capacity
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_in_any_window_uses_the_limiters_half_open_rule() {
        let w = Duration::from_millis(1000);
        assert_eq!(TokenStats::max_in_any_window(&[], w), 0);
        assert_eq!(TokenStats::max_in_any_window(&[5], w), 1);
        // 999 ms apart: same window; 1000 ms apart: not.
        assert_eq!(TokenStats::max_in_any_window(&[0, 999], w), 2);
        assert_eq!(TokenStats::max_in_any_window(&[0, 1000], w), 1);
        assert_eq!(
            TokenStats::max_in_any_window(&[0, 100, 200, 1100, 1150, 1199, 1200], w),
            4
        );
        // Unsorted input is sorted first.
        assert_eq!(TokenStats::max_in_any_window(&[1200, 0, 1100, 300], w), 3);
        // Sub-millisecond windows and a zero window.
        assert_eq!(
            TokenStats::max_in_any_window(&[0, 1, 1], Duration::from_micros(1500)),
            3
        );
        assert_eq!(TokenStats::max_in_any_window(&[0, 0], Duration::ZERO), 0);
    }

    #[test]
    fn records_by_policy_caps_times_and_counts_injected_apart() {
        let mut stats = RateStats::default();
        stats.record_verdict("a", false, None, 10);
        stats.record_verdict("a", false, None, 20);
        stats.record_verdict("a", true, None, 30);
        stats.record_verdict("a", false, Some(RateLimitPolicy::TenSecondlyRolling), 40);
        stats.record_verdict("a", true, Some(RateLimitPolicy::Secondly), 50);
        stats.record_verdict("a", false, Some(RateLimitPolicy::Daily), 60);
        stats.record_injected_429(Some("a"));
        stats.record_injected_429(None);
        let a = stats.token("a");
        assert_eq!((a.accepted, a.search_accepted), (2, 1));
        assert_eq!(a.accepted_at_ms, vec![10, 20]);
        assert_eq!(a.rejected(), 3);
        assert_eq!(a.rejected_by(RateLimitPolicy::Secondly), 1);
        assert_eq!((a.injected_429, stats.injected_429), (1, 2));
        assert_eq!(stats.token("nobody"), &TokenStats::default());
        assert_eq!(a.accepted_between(0, 20), 1);
        let u = a.utilisation(2, Duration::from_secs(1), Duration::from_secs(2));
        assert!((u - 0.5).abs() < 1e-9);

        let mut full = RateStats::default();
        let entry = full.tokens.entry("b".to_owned()).or_default();
        entry.accepted_at_ms = vec![0; MAX_RECORDED_TIMES];
        full.record_verdict("b", false, None, 1);
        let b = full.token("b");
        assert_eq!(b.accepted_at_ms.len(), MAX_RECORDED_TIMES);
        assert_eq!((b.accepted, b.accepted_at_dropped), (1, 1));
    }
}
