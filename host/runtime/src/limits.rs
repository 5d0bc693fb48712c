//! Per-unit limits: the memory cap and the guest time budget.
//!
//! The time budget counts time spent running guest code only. Time spent
//! inside host calls (waiting on the CRM over HTTP) is subtracted, so a slow
//! CRM is governed by the HTTP timeouts and the unit's wall-clock limit, and
//! an infinite loop is governed by this budget. The epoch callback checks the
//! budget every tick and yields to the async executor in between, so a
//! spinning guest never stalls other work on the same thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Most bytes the host lifts out of the guest in one call (an import's arguments or
    /// an export's result): wasmtime's hostcall fuel. Without it a guest aliasing one
    /// buffer many times over makes the host copy far more than the guest's own memory.
    pub max_transfer_bytes: usize,
}

/// The hostcall fuel for a deployment: room for its largest request body plus 1 MiB of
/// headers and fields, at least 1 MiB, and never more than its memory cap.
pub(crate) fn transfer_limit(memory_bytes: usize, max_request_bytes: u64) -> usize {
    let wanted = usize::try_from(max_request_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1 << 20);
    wanted.min(memory_bytes).max(1 << 20)
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

/// Tracks guest time for one unit: wall time minus time spent in excused host
/// calls (HTTP and rate-limit waits). Cheap to clone: clones share one clock, so
/// the call runner (see `instance::run`) can read it while the store is borrowed
/// by the running guest, and stop a guest that is blocked rather than spinning.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    clock: Arc<BudgetClock>,
    limit: Duration,
}

#[derive(Debug)]
struct BudgetClock {
    started: Instant,
    /// Nanoseconds spent in finished excused host calls.
    in_host_ns: AtomicU64,
    /// Nanoseconds since `started` when the current excused host call began,
    /// or [`NOT_IN_HOST`].
    host_call_since_ns: AtomicU64,
}

const NOT_IN_HOST: u64 = u64::MAX;

impl Budget {
    pub(crate) fn new(limit: Duration) -> Self {
        Self {
            clock: Arc::new(BudgetClock {
                started: Instant::now(),
                in_host_ns: AtomicU64::new(0),
                host_call_since_ns: AtomicU64::new(NOT_IN_HOST),
            }),
            limit,
        }
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.clock.started.elapsed().as_nanos()).unwrap_or(u64::MAX - 1)
    }

    /// Marks the start of an excused host call; its time until the matching
    /// [`Budget::leave_host`] does not count as guest time.
    pub(crate) fn enter_host(&self) {
        self.clock
            .host_call_since_ns
            .store(self.now_ns(), Ordering::Release);
    }

    /// Ends the excused host call begun by [`Budget::enter_host`].
    pub(crate) fn leave_host(&self) {
        let since = self
            .clock
            .host_call_since_ns
            .swap(NOT_IN_HOST, Ordering::AcqRel);
        if since != NOT_IN_HOST {
            let spent = self.now_ns().saturating_sub(since);
            self.clock.in_host_ns.fetch_add(spent, Ordering::AcqRel);
        }
    }

    /// Guest time used so far: wall time since the unit began, less excused host time
    /// (including the current host call, if one is running).
    pub(crate) fn guest_time(&self) -> Duration {
        let now = self.now_ns();
        let mut excused = self.clock.in_host_ns.load(Ordering::Acquire);
        let since = self.clock.host_call_since_ns.load(Ordering::Acquire);
        if since != NOT_IN_HOST {
            excused = excused.saturating_add(now.saturating_sub(since));
        }
        Duration::from_nanos(now.saturating_sub(excused))
    }

    /// Whether an excused host call is running now.
    pub(crate) fn in_host(&self) -> bool {
        self.clock.host_call_since_ns.load(Ordering::Acquire) != NOT_IN_HOST
    }

    /// The budget.
    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }

    /// The fault for this budget, once spent.
    pub(crate) fn exceeded(&self) -> Option<TimeBudgetExceeded> {
        (self.guest_time() > self.limit).then_some(TimeBudgetExceeded { budget: self.limit })
    }
}

/// Keeps an excused host call's time out of the guest's budget until dropped
/// (so an early return or a cancelled future cannot leave the clock stopped).
pub(crate) struct HostCall<'a>(&'a Budget);

impl<'a> HostCall<'a> {
    /// Starts excusing time on `budget`.
    pub(crate) fn start(budget: &'a Budget) -> Self {
        budget.enter_host();
        Self(budget)
    }
}

impl Drop for HostCall<'_> {
    fn drop(&mut self) {
        self.0.leave_host();
    }
}

/// Gives a store access to its unit's budget and CPU slot.
pub(crate) trait HasBudget {
    fn budget(&self) -> &Budget;
    /// The future that gives the unit's CPU slot back and waits for one again, if the
    /// unit has one (see [`crate::cpu`]).
    fn yield_cpu(&self) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>;
}

/// Installs the epoch deadline and the budget check on a store.
pub(crate) fn install_budget<T: HasBudget + 'static>(store: &mut wasmtime::Store<T>) {
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|ctx: StoreContextMut<'_, T>| {
        if let Some(exceeded) = ctx.data().budget().exceeded() {
            return Err(exceeded.into());
        }
        // Check again next tick, letting other tasks (and the tenant's other guests, in
        // turn for its CPU slots) run in between.
        Ok(match ctx.data().yield_cpu() {
            Some(wait) => UpdateDeadline::YieldCustom(1, wait),
            None => UpdateDeadline::Yield(1),
        })
    });
}
