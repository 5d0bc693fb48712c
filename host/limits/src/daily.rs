//! Accounting for a [`Scope::Daily`](crate::Scope::Daily) budget: a quota
//! used up during a period and reset to zero at a fixed instant every period.

use std::time::Duration;

use tokio::time::Instant;

use crate::clock;

/// The shortest reset period.
const MIN_PERIOD: Duration = Duration::from_millis(1);
/// The earliest reset a CRM's report can move the next one to.
const MIN_REPORTED_RESET: Duration = Duration::from_secs(1);

/// The quota of one daily budget.
#[derive(Debug)]
pub(crate) struct DailyQuota {
    used: u64,
    next_reset: Instant,
    period: Duration,
}

impl DailyQuota {
    /// An unused quota that first resets at `first_reset`, then every `period`.
    pub(crate) fn new(period: Duration, first_reset: Instant) -> Self {
        Self {
            used: 0,
            next_reset: first_reset,
            period: period.max(MIN_PERIOD),
        }
    }

    /// At or after the reset: used back to zero, next reset one (or more) periods on.
    fn roll(&mut self, now: Instant) {
        if now >= self.next_reset {
            self.used = 0;
            self.next_reset = clock::roll_forward(self.next_reset, self.period, now);
        }
    }

    /// Tokens used in the current period.
    pub(crate) fn used(&mut self, now: Instant) -> u64 {
        self.roll(now);
        self.used
    }

    /// The next reset after `now`.
    pub(crate) fn next_reset(&mut self, now: Instant) -> Instant {
        self.roll(now);
        self.next_reset
    }

    /// How long until `cost` more fits under `tokens`: zero if it fits now,
    /// the time to the next reset if not, `None` if it never can.
    pub(crate) fn wait_for(&mut self, cost: u64, tokens: u64, now: Instant) -> Option<Duration> {
        if cost > tokens {
            return None;
        }
        if self.used(now).saturating_add(cost) <= tokens {
            Some(Duration::ZERO)
        } else {
            Some(self.next_reset - now)
        }
    }

    /// Spends `cost` in the current period.
    pub(crate) fn book(&mut self, cost: u64, now: Instant) {
        self.roll(now);
        self.used = self.used.saturating_add(cost);
    }

    /// The CRM says the quota resets in `reset`.
    pub(crate) fn reset_in(&mut self, reset: Duration, now: Instant) {
        self.roll(now);
        // Within one period; and not "now", which would hand back the whole quota on the
        // strength of one odd header.
        self.next_reset = clock::after(now, reset.clamp(MIN_REPORTED_RESET, self.period));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn full_quota_waits_for_the_reset_then_starts_over() {
        let t0 = Instant::now();
        let first = t0 + Duration::from_secs(100);
        let mut q = DailyQuota::new(DAY, first);
        q.book(9, t0);
        assert_eq!(q.wait_for(1, 10, t0), Some(Duration::ZERO));
        assert_eq!(q.wait_for(2, 10, t0), Some(Duration::from_secs(100)));
        assert_eq!(q.wait_for(11, 10, t0), None);
        assert_eq!(q.used(first), 0);
        assert_eq!(q.next_reset(first), first + DAY);
    }

    #[test]
    fn reset_catches_up_over_several_periods() {
        let t0 = Instant::now();
        let mut q = DailyQuota::new(DAY, t0 + Duration::from_secs(10));
        q.book(5, t0);
        let later = t0 + 3 * DAY;
        assert_eq!(q.used(later), 0);
        assert_eq!(q.next_reset(later), t0 + 3 * DAY + Duration::from_secs(10));
    }

    #[test]
    fn reported_reset_moves_the_next_reset() {
        let t0 = Instant::now();
        let mut q = DailyQuota::new(DAY, t0 + DAY);
        q.book(10, t0);
        q.reset_in(Duration::from_secs(60), t0);
        assert_eq!(q.wait_for(1, 10, t0), Some(Duration::from_secs(60)));
        assert_eq!(q.used(t0 + Duration::from_secs(60)), 0);
        assert_eq!(
            q.next_reset(t0 + Duration::from_secs(60)),
            t0 + Duration::from_secs(60) + DAY
        );
    }
}
