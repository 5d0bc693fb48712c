//! Calls and failures over the breaker's recent window, in [`BUCKETS`]
//! buckets of `window / 30` (at least 1 ms): memory does not grow with traffic.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Buckets per window.
const BUCKETS: u64 = 30;

/// The shortest bucket.
const MIN_BUCKET: Duration = Duration::from_millis(1);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    id: u64,
    calls: u32,
    failures: u32,
}

/// Results of the last `window`, counted per bucket.
#[derive(Debug)]
pub(super) struct Outcomes {
    origin: Instant,
    bucket_len: Duration,
    /// Ascending by id.
    buckets: VecDeque<Bucket>,
}

impl Outcomes {
    pub(super) fn new(window: Duration, origin: Instant) -> Self {
        Self {
            origin,
            // BUCKETS is 30; the cast cannot truncate.
            bucket_len: (window / BUCKETS as u32).max(MIN_BUCKET),
            buckets: VecDeque::new(),
        }
    }

    fn id(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.origin).as_nanos();
        u64::try_from(elapsed / self.bucket_len.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether bucket `id` is still in the window at bucket `current`.
    fn in_window(id: u64, current: u64) -> bool {
        id.saturating_add(BUCKETS) > current
    }

    /// Counts one result at `now`.
    pub(super) fn record(&mut self, now: Instant, failed: bool) {
        let current = self.id(now);
        while self
            .buckets
            .front()
            .is_some_and(|b| !Self::in_window(b.id, current))
        {
            self.buckets.pop_front();
        }
        if self.buckets.back().is_none_or(|b| b.id < current) {
            self.buckets.push_back(Bucket {
                id: current,
                calls: 0,
                failures: 0,
            });
        }
        if let Some(bucket) = self.buckets.back_mut() {
            bucket.calls = bucket.calls.saturating_add(1);
            if failed {
                bucket.failures = bucket.failures.saturating_add(1);
            }
        }
    }

    /// (calls, failures) in the window at `now`.
    pub(super) fn totals(&self, now: Instant) -> (u32, u32) {
        let current = self.id(now);
        self.buckets
            .iter()
            .filter(|b| Self::in_window(b.id, current))
            .fold((0, 0), |(c, f), b| {
                (c.saturating_add(b.calls), f.saturating_add(b.failures))
            })
    }

    /// Forgets every result.
    pub(super) fn clear(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_leave_the_window_bucket_by_bucket() {
        let t0 = Instant::now();
        let mut o = Outcomes::new(Duration::from_secs(30), t0);
        o.record(t0, true);
        o.record(t0 + Duration::from_millis(500), false);
        o.record(t0 + Duration::from_secs(10), true);
        assert_eq!(o.totals(t0 + Duration::from_secs(29)), (3, 2));
        assert_eq!(o.totals(t0 + Duration::from_secs(30)), (1, 1));
        assert_eq!(o.totals(t0 + Duration::from_secs(40)), (0, 0));
    }

    #[test]
    fn memory_is_bounded_by_the_buckets() {
        let t0 = Instant::now();
        let mut o = Outcomes::new(Duration::from_secs(30), t0);
        for i in 0..10_000u32 {
            o.record(t0 + Duration::from_millis(37) * i, i % 3 == 0);
        }
        assert!(o.buckets.len() <= BUCKETS as usize);
        o.clear();
        assert_eq!(o.totals(t0), (0, 0));
    }
}
