//! Per-unit limits: the memory cap and the guest time budget.
//!
//! The time budget counts time spent running guest code only. Time spent
//! inside host calls (waiting on the CRM over HTTP) is subtracted, so a slow
//! CRM is governed by the HTTP timeouts and the unit's wall-clock limit, and
//! an infinite loop is governed by this budget. The epoch callback checks the
//! budget every tick and yields to the async executor in between, so a
//! spinning guest never stalls other work on the same thread.

use std::time::{Duration, Instant};

use wasmtime::{ResourceLimiter, StoreContextMut, UpdateDeadline};

/// The guest tried to grow its linear memory past the deployment's cap.
#[derive(Debug, thiserror::Error)]
#[error("memory limit exceeded: guest asked for {requested} bytes, the deployment allows {limit}")]
pub struct MemoryLimitExceeded {
    /// Bytes the guest asked for.
    pub requested: usize,
    /// The cap.
    pub limit: usize,
}

/// The guest ran longer than its time budget.
#[derive(Debug, thiserror::Error)]
#[error("time budget exceeded: guest ran for more than {budget:?}")]
pub struct TimeBudgetExceeded {
    /// The budget that was exceeded.
    pub budget: Duration,
}

/// Limits applied to one unit of work.
#[derive(Debug, Clone, Copy)]
pub struct GuestLimits {
    /// Linear memory cap in bytes.
    pub memory_bytes: usize,
    /// Guest execution time allowed for the unit.
    pub time_budget: Duration,
    /// Wall-clock limit for the whole unit, host I/O included.
    pub wall_timeout: Duration,
}

/// Enforces the memory cap; tables are capped at a fixed size.
pub(crate) struct GuestLimiter {
    memory_bytes: usize,
    /// The largest memory size asked for so far.
    pub(crate) peak: usize,
}

impl GuestLimiter {
    pub(crate) fn new(memory_bytes: usize) -> Self {
        Self {
            memory_bytes,
            peak: 0,
        }
    }
}

/// Most table elements one instance may have.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for GuestLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.peak = self.peak.max(desired);
        if desired > self.memory_bytes {
            return Err(MemoryLimitExceeded {
                requested: desired,
                limit: self.memory_bytes,
            }
            .into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Tracks guest time for one unit: wall time minus time spent in host calls.
#[derive(Debug)]
pub(crate) struct Budget {
    started: Instant,
    in_host: Duration,
    limit: Duration,
}

impl Budget {
    pub(crate) fn new(limit: Duration) -> Self {
        Self {
            started: Instant::now(),
            in_host: Duration::ZERO,
            limit,
        }
    }

    /// Records time spent inside a host call.
    pub(crate) fn add_host_time(&mut self, spent: Duration) {
        self.in_host += spent;
    }

    /// Guest time used so far.
    pub(crate) fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.in_host)
    }

    /// The budget.
    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }
}

/// Gives a store access to its unit's budget.
pub(crate) trait HasBudget {
    fn budget(&self) -> &Budget;
}

/// Installs the epoch deadline and the budget check on a store.
pub(crate) fn install_budget<T: HasBudget + 'static>(store: &mut wasmtime::Store<T>) {
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|ctx: StoreContextMut<'_, T>| {
        let budget = ctx.data().budget();
        if budget.guest_time() > budget.limit() {
            return Err(TimeBudgetExceeded {
                budget: budget.limit(),
            }
            .into());
        }
        // Check again next tick, letting other tasks run in between.
        Ok(UpdateDeadline::Yield(1))
    });
}
