//! The limiter one (tenant, deployment) shares between its workers: waiting
//! in line for room in every budget, server feedback, pauses and status.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tokio::time::{self, Instant};

use crate::clock;
use crate::error::{AcquireError, UnknownBudget};
use crate::permit::Permit;
use crate::report::Report;
use crate::snapshot::LimiterSnapshot;
use crate::spec::LimiterConfig;
use crate::state::State;

/// Rate-limit budgets, server feedback and pauses for one (tenant, deployment).
/// `Send + Sync`; share it in an `Arc`.
pub struct Limiter {
    inner: Arc<Inner>,
}

/// What the limiter and its permits share.
pub(crate) struct Inner {
    /// Held by the request first in line while it waits: waiters go in arrival order.
    queue: tokio::sync::Mutex<()>,
    state: Mutex<State>,
    /// Wakes the waiter when room may have appeared earlier than it computed.
    pub(crate) changed: Notify,
    max_wait: Duration,
}

impl Inner {
    /// Locks the state. A poisoned lock is used as it is: no update panics
    /// halfway, and rate limiting must not stop because another thread did.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Limiter {
    /// A limiter with every budget unused and no pause.
    pub fn new(cfg: LimiterConfig) -> Self {
        let first_reset = cfg
            .first_daily_reset_in
            .unwrap_or_else(|| clock::until_utc_midnight(SystemTime::now()));
        let max_wait = cfg.max_wait;
        let state = State::new(cfg, first_reset, Instant::now());
        Self {
            inner: Arc::new(Inner {
                queue: tokio::sync::Mutex::new(()),
                state: Mutex::new(state),
                changed: Notify::new(),
                max_wait,
            }),
        }
    }

    /// Waits in line (first come, first served) until every budget has room
    /// for this request's cost and no pause is active, books the cost in
    /// every budget that counts the request, and returns the permit.
    ///
    /// Gives up with [`AcquireError::Throttled`], booking nothing, as soon as
    /// the wait needed is longer than what is left of `max_wait`; with
    /// [`AcquireError::TooCostly`] if the request costs more than a budget's tokens.
    pub async fn acquire(&self, method: &str, path: &str) -> Result<Permit, AcquireError> {
        let deadline = clock::after(Instant::now(), self.inner.max_wait);
        let costs = self.inner.state().costs(method, path);
        let Ok(_turn) = time::timeout_at(deadline, self.inner.queue.lock()).await else {
            return Err(self.inner.state().throttled(&costs, Instant::now()));
        };
        loop {
            let changed = self.inner.changed.notified();
            let now = Instant::now();
            let verdict = self.inner.state().try_acquire(&costs, now);
            match verdict {
                Ok(bookings) => return Ok(Permit::new(Arc::clone(&self.inner), bookings)),
                Err(AcquireError::Throttled { wait, cause }) => {
                    if wait > deadline.saturating_duration_since(now) {
                        return Err(AcquireError::Throttled { wait, cause });
                    }
                    tokio::select! {
                        () = time::sleep_until(now + wait) => {}
                        () = changed => {}
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Server feedback about one budget. It only ever lowers what is left: a
    /// `remaining` below ours books the difference now (expiring like any
    /// booking); a `limit` lower than the configured tokens lowers them until
    /// the CRM reports another; a rolling budget reported empty with a
    /// `reset` blocks until then; a daily budget's `reset` sets its next reset.
    pub fn report(&self, report: &Report) -> Result<(), UnknownBudget> {
        let result = self.inner.state().report(report, Instant::now());
        self.inner.changed.notify_waiters();
        result
    }

    /// Pauses every request until `for_` from now, unless a pause already
    /// lasts longer. True if this call set or extended the pause (audit once per change).
    pub fn pause(&self, for_: Duration, reason: impl Into<String>) -> bool {
        let changed = self
            .inner
            .state()
            .pause(for_, reason.into(), Instant::now());
        self.wake_if(changed)
    }

    /// Pauses until the next daily reset (the CRM says the daily quota is gone
    /// and gave no reset time). True if this call set or extended the pause.
    pub fn pause_until_daily_reset(&self, reason: impl Into<String>) -> bool {
        let now = Instant::now();
        let mut state = self.inner.state();
        let for_ = state.daily_reset_at(now) - now;
        let changed = state.pause(for_, reason.into(), now);
        drop(state);
        self.wake_if(changed)
    }

    /// Wakes the waiter first in line if `changed`, so it can give up early
    /// instead of sleeping into a pause longer than its `max_wait`.
    fn wake_if(&self, changed: bool) -> bool {
        if changed {
            self.inner.changed.notify_waiters();
        }
        changed
    }

    /// Time to the next daily reset: the earliest over the daily budgets, or
    /// the next UTC midnight (the configured first reset, then every 24 h).
    pub fn daily_reset_in(&self) -> Duration {
        let now = Instant::now();
        self.inner.state().daily_reset_at(now) - now
    }

    /// Time until an attempt could start: the longest of the pause left and,
    /// for every budget, the wait until it has room for its cheapest request.
    /// Zero when ready. Lets the scheduler keep records in the queue, not in workers.
    pub fn ready_in(&self) -> Duration {
        self.inner.state().ready_in(Instant::now())
    }

    /// The pause, if one is active: time left and reason.
    pub fn paused(&self) -> Option<(Duration, String)> {
        self.inner.state().paused(Instant::now())
    }

    /// The limiter's status for operators.
    pub fn snapshot(&self) -> LimiterSnapshot {
        self.inner.state().snapshot(Instant::now())
    }
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("max_wait", &self.inner.max_wait)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
