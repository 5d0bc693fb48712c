//! One budget: its spec, its accounting (rolling or daily), and what the CRM
//! has told us about it (a lower limit, a block until its window resets).

use std::time::Duration;

use tokio::time::Instant;

use crate::clock;
use crate::daily::DailyQuota;
use crate::report::Report;
use crate::snapshot::BudgetSnapshot;
use crate::spec::{BudgetSpec, Scope};
use crate::window::{RollingWindow, SlotId};

/// The accounting behind a budget.
#[derive(Debug)]
enum Meter {
    Rolling(RollingWindow),
    Daily(DailyQuota),
}

/// A budget's state.
#[derive(Debug)]
pub(crate) struct Budget {
    spec: BudgetSpec,
    /// The limit the CRM last reported (never 0).
    server_limit: Option<u64>,
    /// The CRM said nothing is left until then (rolling budgets).
    blocked_until: Option<Instant>,
    meter: Meter,
}

impl Budget {
    /// A fresh budget; a daily one first resets at `first_daily_reset`.
    pub(crate) fn new(spec: BudgetSpec, now: Instant, first_daily_reset: Instant) -> Self {
        let meter = match spec.scope {
            Scope::Rolling => Meter::Rolling(RollingWindow::new(spec.window, now)),
            Scope::Daily => Meter::Daily(DailyQuota::new(spec.window, first_daily_reset)),
        };
        Self {
            spec,
            server_limit: None,
            blocked_until: None,
            meter,
        }
    }

    /// The spec this budget was made from.
    pub(crate) fn spec(&self) -> &BudgetSpec {
        &self.spec
    }

    /// Effective tokens: the lower of the spec's and the CRM's reported limit, but never
    /// below the costliest request (a reported limit smaller than that would make the
    /// request impossible, and its record undeliverable, instead of slow).
    pub(crate) fn tokens(&self) -> u64 {
        self.server_limit.map_or(self.spec.tokens, |l| {
            l.min(self.spec.tokens).max(u64::from(self.spec.max_cost()))
        })
    }

    /// Tokens counting at `now`.
    pub(crate) fn used(&mut self, now: Instant) -> u64 {
        match &mut self.meter {
            Meter::Rolling(w) => w.used(now),
            Meter::Daily(q) => q.used(now),
        }
    }

    /// How long until `cost` more fits: zero if it fits now, `None` if it never can.
    pub(crate) fn wait_for(&mut self, cost: u32, now: Instant) -> Option<Duration> {
        let tokens = self.tokens();
        let cost = u64::from(cost);
        let room = match &mut self.meter {
            Meter::Rolling(w) => w.wait_for(cost, tokens, now)?,
            Meter::Daily(q) => q.wait_for(cost, tokens, now)?,
        };
        let blocked = self
            .blocked_until
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now));
        Some(room.max(blocked))
    }

    /// Spends `cost` for a request being sent; the slot, for a rolling budget.
    pub(crate) fn book(&mut self, cost: u32, now: Instant) -> Option<SlotId> {
        match &mut self.meter {
            Meter::Rolling(w) => Some(w.book(u64::from(cost), now, true)),
            Meter::Daily(q) => {
                q.book(u64::from(cost), now);
                None
            }
        }
    }

    /// The request booked in `slot` completed: count it from `now`.
    pub(crate) fn rebook(&mut self, cost: u32, slot: SlotId, now: Instant) {
        if let Meter::Rolling(w) = &mut self.meter {
            w.rebook(u64::from(cost), slot, now);
        }
    }

    /// The request booked in `slot` was abandoned: let its booking expire.
    pub(crate) fn unpin(&mut self, cost: u32, slot: SlotId, now: Instant) {
        if let Meter::Rolling(w) = &mut self.meter {
            w.unpin(u64::from(cost), slot, now);
        }
    }

    /// Applies server feedback; it can only lower what is left, never raise it.
    pub(crate) fn report(&mut self, report: &Report, now: Instant) {
        if let Some(limit) = report.limit.filter(|&l| l > 0) {
            self.server_limit = Some(limit);
        }
        if let Some(remaining) = report.remaining {
            let ours = self.tokens().saturating_sub(self.used(now));
            if remaining < ours {
                let drained = ours - remaining;
                match &mut self.meter {
                    Meter::Rolling(w) => {
                        w.book(drained, now, false);
                    }
                    Meter::Daily(q) => q.book(drained, now),
                }
            }
        }
        match (&mut self.meter, report.reset) {
            (Meter::Rolling(_), Some(reset)) if report.remaining == Some(0) => {
                // A rolling window clears within one window, whatever a report says.
                let until = clock::after(now, reset.min(self.spec.window));
                self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
            }
            (Meter::Daily(q), Some(reset)) => q.reset_in(reset, now),
            _ => {}
        }
    }

    /// The next reset, for a daily budget.
    pub(crate) fn next_daily_reset(&mut self, now: Instant) -> Option<Instant> {
        match &mut self.meter {
            Meter::Daily(q) => Some(q.next_reset(now)),
            Meter::Rolling(_) => None,
        }
    }

    /// How long until the budget has room for its cheapest request (zero if
    /// it has room, or if no request fits at all: those fail at once).
    pub(crate) fn ready_in(&mut self, now: Instant) -> Duration {
        self.spec
            .min_positive_cost()
            .and_then(|c| self.wait_for(c, now))
            .unwrap_or(Duration::ZERO)
    }

    /// The budget's status.
    pub(crate) fn snapshot(&mut self, now: Instant) -> BudgetSnapshot {
        let used = self.used(now);
        let blocked = self.ready_in(now);
        BudgetSnapshot {
            name: self.spec.name.clone(),
            scope: match self.spec.scope {
                Scope::Rolling => "rolling",
                Scope::Daily => "daily",
            },
            tokens: self.spec.tokens,
            server_limit: self.server_limit,
            used,
            remaining: self.tokens().saturating_sub(used),
            blocked_for_ms: (!blocked.is_zero()).then(|| clock::ms_ceil(blocked)),
            resets_in_ms: self.next_daily_reset(now).map(|t| clock::ms_ceil(t - now)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn budget(scope: Scope, tokens: u64, now: Instant) -> Budget {
        let spec = BudgetSpec {
            name: "api".into(),
            tokens,
            window: 64 * SEC,
            scope,
            costs: vec![],
            default_cost: 1,
        };
        Budget::new(spec, now, now + 100 * SEC)
    }

    fn report(remaining: Option<u64>, limit: Option<u64>, reset: Option<Duration>) -> Report {
        Report {
            budget: "api".into(),
            remaining,
            limit,
            reset,
        }
    }

    #[test]
    fn report_drains_but_never_raises() {
        let t0 = Instant::now();
        let mut b = budget(Scope::Rolling, 100, t0);
        b.book(10, t0);
        b.report(&report(Some(60), None, None), t0);
        assert_eq!(b.used(t0), 40);
        b.report(&report(Some(95), None, None), t0);
        assert_eq!(b.used(t0), 40);
        // Server-reported usage expires like a normal booking.
        b.rebook(10, 0, t0);
        assert_eq!(b.used(t0 + 65 * SEC), 0);
    }

    #[test]
    fn lower_limit_is_adopted_and_shown() {
        let t0 = Instant::now();
        let mut b = budget(Scope::Rolling, 100, t0);
        b.report(&report(None, Some(80), None), t0);
        assert_eq!(b.tokens(), 80);
        assert_eq!(b.wait_for(81, t0), None);
        b.report(&report(None, Some(0), None), t0);
        assert_eq!(b.tokens(), 80);
        b.report(&report(None, Some(500), None), t0);
        assert_eq!(b.tokens(), 100);
        let s = b.snapshot(t0);
        assert_eq!(
            (s.tokens, s.server_limit, s.remaining),
            (100, Some(500), 100)
        );
    }

    #[test]
    fn rolling_zero_remaining_with_reset_blocks_until_reset() {
        let t0 = Instant::now();
        let mut b = budget(Scope::Rolling, 100, t0);
        b.report(&report(Some(0), None, Some(20 * SEC)), t0);
        // The drained usage expires after the window (65 s); a reset sooner changes
        // nothing, one later than the window is cut to the window.
        assert_eq!(b.wait_for(1, t0), Some(65 * SEC));
        assert_eq!(b.wait_for(1, t0 + 65 * SEC), Some(Duration::ZERO));
        let mut b = budget(Scope::Rolling, 100, t0);
        b.report(&report(Some(0), None, Some(1000 * SEC)), t0);
        assert_eq!(b.wait_for(1, t0), Some(65 * SEC));
        assert_eq!(b.snapshot(t0 + 10 * SEC).blocked_for_ms, Some(55_000));
    }

    #[test]
    fn rolling_reset_without_zero_remaining_does_not_block() {
        let t0 = Instant::now();
        let mut b = budget(Scope::Rolling, 100, t0);
        b.report(&report(Some(1), None, Some(100 * SEC)), t0);
        assert_eq!(b.used(t0), 99);
        assert_eq!(b.wait_for(1, t0), Some(Duration::ZERO));
    }

    #[test]
    fn daily_report_sets_used_and_reset() {
        let t0 = Instant::now();
        let mut b = budget(Scope::Daily, 1_000, t0);
        b.book(100, t0);
        b.report(&report(Some(700), None, None), t0);
        assert_eq!(b.used(t0), 300);
        b.report(&report(Some(900), None, None), t0);
        assert_eq!(b.used(t0), 300);
        b.report(&report(Some(0), Some(500), Some(30 * SEC)), t0);
        assert_eq!(b.used(t0), 500);
        assert_eq!(b.wait_for(1, t0), Some(30 * SEC));
        let s = b.snapshot(t0);
        assert_eq!((s.scope, s.resets_in_ms), ("daily", Some(30_000)));
        assert_eq!(s.blocked_for_ms, Some(30_000));
        assert_eq!(b.used(t0 + 30 * SEC), 0);
    }
}
