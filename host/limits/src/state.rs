//! The limiter's synchronous state: budgets, the pause, the daily clock. Every
//! method takes `now`, so the rules are testable without a runtime.

use std::time::Duration;

use tokio::time::Instant;

use crate::budget::Budget;
use crate::clock;
use crate::error::{AcquireError, UnknownBudget};
use crate::report::Report;
use crate::snapshot::LimiterSnapshot;
use crate::spec::LimiterConfig;
use crate::window::SlotId;

/// The cause of a throttle when the budgets have room but earlier requests
/// held the line for all of `max_wait`.
const QUEUE_CAUSE: &str = "queue: earlier requests still waiting";

/// A spend a permit carries: which budget, how much, and (rolling) where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Booking {
    pub(crate) budget: usize,
    pub(crate) cost: u32,
    pub(crate) slot: Option<SlotId>,
}

/// An active or expired pause.
#[derive(Debug)]
struct Pause {
    until: Instant,
    reason: String,
}

/// Everything behind the limiter's lock.
#[derive(Debug)]
pub(crate) struct State {
    budgets: Vec<Budget>,
    pause: Option<Pause>,
    /// The next UTC midnight (or configured first reset), rolled forward daily.
    midnight: Instant,
}

impl State {
    /// Fresh state for `cfg`; `first_daily_reset_in` is the time to the first daily reset.
    pub(crate) fn new(cfg: LimiterConfig, first_daily_reset_in: Duration, now: Instant) -> Self {
        let first_reset = clock::after(now, first_daily_reset_in);
        Self {
            budgets: cfg
                .budgets
                .into_iter()
                .map(|spec| Budget::new(spec, now, first_reset))
                .collect(),
            pause: None,
            midnight: first_reset,
        }
    }

    /// What a request costs against each budget, in budget order.
    pub(crate) fn costs(&self, method: &str, path: &str) -> Vec<u32> {
        self.budgets
            .iter()
            .map(|b| b.spec().cost_of(method, path))
            .collect()
    }

    /// Books `costs` if every budget has room and no pause is active;
    /// otherwise `Throttled` with the longest wait and its cause (nothing booked).
    pub(crate) fn try_acquire(
        &mut self,
        costs: &[u32],
        now: Instant,
    ) -> Result<Vec<Booking>, AcquireError> {
        let (wait, cause) = self.wait_for(costs, now)?;
        if !wait.is_zero() {
            return Err(AcquireError::Throttled { wait, cause });
        }
        Ok(self
            .budgets
            .iter_mut()
            .zip(costs)
            .enumerate()
            .filter(|(_, (_, cost))| **cost > 0)
            .map(|(budget, (b, &cost))| Booking {
                budget,
                cost,
                slot: b.book(cost, now),
            })
            .collect())
    }

    /// Why a request that waited in line for all of `max_wait` gets no permit.
    pub(crate) fn throttled(&mut self, costs: &[u32], now: Instant) -> AcquireError {
        match self.wait_for(costs, now) {
            Ok((wait, _)) if wait.is_zero() => AcquireError::Throttled {
                wait,
                cause: QUEUE_CAUSE.into(),
            },
            Ok((wait, cause)) => AcquireError::Throttled { wait, cause },
            Err(e) => e,
        }
    }

    /// The wait before `costs` fit and its cause; `TooCostly` if they never can.
    fn wait_for(
        &mut self,
        costs: &[u32],
        now: Instant,
    ) -> Result<(Duration, String), AcquireError> {
        let (mut wait, mut cause) = match self.paused(now) {
            Some((left, reason)) => (left, format!("paused: {reason}")),
            None => (Duration::ZERO, String::new()),
        };
        for (b, &cost) in self.budgets.iter_mut().zip(costs) {
            if cost == 0 {
                continue;
            }
            match b.wait_for(cost, now) {
                None => {
                    return Err(AcquireError::TooCostly {
                        budget: b.spec().name.clone(),
                        cost,
                        tokens: b.tokens(),
                    });
                }
                Some(w) if w > wait => {
                    wait = w;
                    cause.clone_from(&b.spec().name);
                }
                Some(_) => {}
            }
        }
        Ok((wait, cause))
    }

    /// Responses arrived for `bookings`: rolling ones now count from `now`.
    pub(crate) fn rebook(&mut self, bookings: &[Booking], now: Instant) {
        for bk in bookings {
            if let (Some(b), Some(slot)) = (self.budgets.get_mut(bk.budget), bk.slot) {
                b.rebook(bk.cost, slot, now);
            }
        }
    }

    /// `bookings` were abandoned: they stay where they are and expire.
    pub(crate) fn unpin(&mut self, bookings: &[Booking], now: Instant) {
        for bk in bookings {
            if let (Some(b), Some(slot)) = (self.budgets.get_mut(bk.budget), bk.slot) {
                b.unpin(bk.cost, slot, now);
            }
        }
    }

    /// Applies server feedback to the budget it names (the first, if names repeat).
    pub(crate) fn report(&mut self, report: &Report, now: Instant) -> Result<(), UnknownBudget> {
        let budget = self
            .budgets
            .iter_mut()
            .find(|b| b.spec().name == report.budget)
            .ok_or_else(|| UnknownBudget(report.budget.clone()))?;
        budget.report(report, now);
        Ok(())
    }

    /// Pauses until `now + for_` unless a pause already lasts at least that
    /// long; true if the pause was set or extended.
    pub(crate) fn pause(&mut self, for_: Duration, reason: String, now: Instant) -> bool {
        if for_.is_zero() {
            return false;
        }
        let until = clock::after(now, for_);
        if self.pause.as_ref().is_some_and(|p| p.until >= until) {
            return false;
        }
        self.pause = Some(Pause { until, reason });
        true
    }

    /// The pause, if active: time left and reason.
    pub(crate) fn paused(&self, now: Instant) -> Option<(Duration, String)> {
        self.pause
            .as_ref()
            .filter(|p| p.until > now)
            .map(|p| (p.until - now, p.reason.clone()))
    }

    /// The earliest next reset of the daily budgets, or the next UTC midnight.
    pub(crate) fn daily_reset_at(&mut self, now: Instant) -> Instant {
        self.midnight = clock::roll_forward(self.midnight, clock::DAY, now);
        self.budgets
            .iter_mut()
            .filter_map(|b| b.next_daily_reset(now))
            .min()
            .unwrap_or(self.midnight)
    }

    /// Time until an attempt could start; zero when ready.
    pub(crate) fn ready_in(&mut self, now: Instant) -> Duration {
        let paused = self.paused(now).map_or(Duration::ZERO, |(left, _)| left);
        self.budgets
            .iter_mut()
            .map(|b| b.ready_in(now))
            .fold(paused, Duration::max)
    }

    /// The limiter's status.
    pub(crate) fn snapshot(&mut self, now: Instant) -> LimiterSnapshot {
        let paused = self.paused(now);
        LimiterSnapshot {
            paused_for_ms: paused.as_ref().map(|(left, _)| clock::ms_ceil(*left)),
            pause_reason: paused.map(|(_, reason)| reason),
            budgets: self.budgets.iter_mut().map(|b| b.snapshot(now)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{BudgetSpec, RequestCost, Scope};

    const SEC: Duration = Duration::from_secs(1);

    fn spec(name: &str, scope: Scope, tokens: u64, costs: Vec<RequestCost>) -> BudgetSpec {
        BudgetSpec {
            name: name.into(),
            tokens,
            window: 64 * SEC,
            scope,
            costs,
            default_cost: 1,
        }
    }

    fn state(budgets: Vec<BudgetSpec>, now: Instant) -> State {
        let cfg = LimiterConfig {
            budgets,
            max_wait: SEC,
            first_daily_reset_in: None,
        };
        State::new(cfg, 10 * SEC, now)
    }

    #[test]
    fn books_only_budgets_with_a_cost() {
        let t0 = Instant::now();
        let free_search = RequestCost {
            method: String::new(),
            path_prefix: "/search".into(),
            cost: 0,
        };
        let mut s = state(
            vec![
                spec("rolling", Scope::Rolling, 10, vec![]),
                spec("daily", Scope::Daily, 10, vec![free_search]),
            ],
            t0,
        );
        let costs = s.costs("GET", "/search");
        assert_eq!(costs, vec![1, 0]);
        let bookings = s.try_acquire(&costs, t0);
        assert_eq!(
            bookings,
            Ok(vec![Booking {
                budget: 0,
                cost: 1,
                slot: Some(0)
            }])
        );
    }

    #[test]
    fn throttled_names_the_longest_wait() {
        let t0 = Instant::now();
        let mut s = state(
            vec![
                spec("rolling", Scope::Rolling, 1, vec![]),
                spec("daily", Scope::Daily, 1, vec![]),
            ],
            t0,
        );
        let bookings = s.try_acquire(&[1, 1], t0).unwrap_or_default();
        // In flight: only a completion frees it, at least a window from now.
        let err = s.try_acquire(&[1, 1], t0);
        assert_eq!(
            err,
            Err(AcquireError::Throttled {
                wait: 64 * SEC,
                cause: "rolling".into()
            })
        );
        s.rebook(&bookings, t0);
        let err = s.try_acquire(&[1, 1], t0);
        assert_eq!(
            err,
            Err(AcquireError::Throttled {
                wait: 65 * SEC,
                cause: "rolling".into()
            })
        );
        assert!(s.pause(100 * SEC, "maintenance".into(), t0));
        let err = s.try_acquire(&[1, 0], t0);
        assert_eq!(
            err,
            Err(AcquireError::Throttled {
                wait: 100 * SEC,
                cause: "paused: maintenance".into()
            })
        );
    }

    #[test]
    fn pause_reports_only_changes() {
        let t0 = Instant::now();
        let mut s = state(vec![], t0);
        assert!(s.pause(10 * SEC, "a".into(), t0));
        assert!(!s.pause(5 * SEC, "b".into(), t0));
        assert!(!s.pause(10 * SEC, "b".into(), t0));
        assert!(!s.pause(Duration::ZERO, "b".into(), t0));
        assert_eq!(s.paused(t0 + SEC), Some((9 * SEC, "a".into())));
        assert!(s.pause(10 * SEC, "c".into(), t0 + SEC));
        assert_eq!(s.paused(t0 + 11 * SEC), None);
        assert!(s.pause(SEC, "d".into(), t0 + 11 * SEC));
    }

    #[test]
    fn daily_reset_is_earliest_daily_budget_or_midnight_clock() {
        let t0 = Instant::now();
        let mut s = state(vec![spec("rolling", Scope::Rolling, 1, vec![])], t0);
        assert_eq!(s.daily_reset_at(t0), t0 + 10 * SEC);
        assert_eq!(s.daily_reset_at(t0 + 10 * SEC), t0 + 10 * SEC + clock::DAY);
        let mut s = state(vec![spec("daily", Scope::Daily, 1, vec![])], t0);
        assert!(
            s.report(
                &Report {
                    budget: "daily".into(),
                    reset: Some(3 * SEC),
                    ..Report::default()
                },
                t0
            )
            .is_ok()
        );
        assert_eq!(s.daily_reset_at(t0), t0 + 3 * SEC);
    }

    #[test]
    fn unknown_budget_is_an_error() {
        let t0 = Instant::now();
        let mut s = state(vec![], t0);
        let report = Report {
            budget: "nope".into(),
            ..Report::default()
        };
        assert_eq!(s.report(&report, t0), Err(UnknownBudget("nope".into())));
    }
}
