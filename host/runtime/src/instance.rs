//! One connector instance: a fresh store and instance per unit of work,
//! with the memory cap and time budget installed. Every guest failure comes
//! back as a [`GuestFault`] for this unit; nothing a guest does can crash the
//! host or hold a thread past its budget.

use std::future::Future;
use std::time::{Duration, Instant};

use wasmtime::Store;

use crate::contract::{Bindings, Pre};
use crate::cpu::CpuSlot;
use crate::error::GuestFault;
use crate::host_state::HostState;
use crate::journal::{Journal, truncate};
use crate::limits::{Budget, GuestLimits, MemoryLimitExceeded, TimeBudgetExceeded, install_budget};
use crate::observed::Observed;
use crate::types::{
    CrmResponse, Descriptor, ErrorClass, FieldError, Payload, PushContext, PushError, PushOutcome,
    Record,
};

/// Longest trap description kept, in bytes.
const MAX_TRAP_TEXT: usize = 2048;

/// A live connector instance for one unit of work.
pub struct ConnectorInstance {
    store: Store<HostState>,
    bindings: Bindings,
    deadline: Instant,
    wall_timeout: Duration,
    budget: Budget,
    cpu: Option<CpuSlot>,
}

impl ConnectorInstance {
    /// Instantiates `pre` in a fresh store holding `state`.
    pub(crate) async fn new(
        pre: &Pre,
        state: HostState,
        limits: GuestLimits,
    ) -> Result<Self, GuestFault> {
        let mut store = new_store(pre.engine(), state);
        store.set_hostcall_fuel(limits.max_transfer_bytes);
        let bindings = match pre.instantiate(&mut store).await {
            Ok(bindings) => bindings,
            Err(e) => {
                return Err(store
                    .data_mut()
                    .fault_with_output(fault_from(&e, "instantiate")));
            }
        };
        let budget = store.data().budget.clone();
        let cpu = store.data().cpu.clone();
        // Instantiating may have run guest code past a tick: not held while idle.
        if let Some(cpu) = &cpu {
            cpu.release();
        }
        Ok(Self {
            budget,
            cpu,
            store,
            bindings,
            deadline: Instant::now() + limits.wall_timeout,
            wall_timeout: limits.wall_timeout,
        })
    }

    /// Calls `describe`.
    pub async fn describe(&mut self) -> Result<Descriptor, GuestFault> {
        let fut = self.bindings.describe(&mut self.store);
        let result = run(self.deadline, self.wall_timeout, self.budget.clone(), fut).await;
        self.idle();
        self.explain(result)
    }

    /// Calls `normalize`.
    pub async fn normalize(
        &mut self,
        rec: &Record,
    ) -> Result<Result<Record, Vec<FieldError>>, GuestFault> {
        let fut = self.bindings.normalize(&mut self.store, rec);
        let result = run(self.deadline, self.wall_timeout, self.budget.clone(), fut).await;
        self.idle();
        self.explain(result)
    }

    /// Calls `map-fields`.
    pub async fn map_fields(
        &mut self,
        rec: &Record,
    ) -> Result<Result<Payload, Vec<FieldError>>, GuestFault> {
        let fut = self.bindings.map_fields(&mut self.store, rec);
        let result = run(self.deadline, self.wall_timeout, self.budget.clone(), fut).await;
        self.idle();
        self.explain(result)
    }

    /// Calls `push`.
    pub async fn push(
        &mut self,
        ctx: &PushContext,
        rec: &Record,
        payload: &Payload,
    ) -> Result<Result<PushOutcome, PushError>, GuestFault> {
        let fut = self.bindings.push(&mut self.store, ctx, rec, payload);
        let result = run(self.deadline, self.wall_timeout, self.budget.clone(), fut).await;
        self.idle();
        self.explain(result)
    }

    /// Calls `classify-error`.
    pub async fn classify_error(
        &mut self,
        response: &CrmResponse,
    ) -> Result<ErrorClass, GuestFault> {
        let fut = self.bindings.classify_error(&mut self.store, response);
        let result = run(self.deadline, self.wall_timeout, self.budget.clone(), fut).await;
        self.idle();
        self.explain(result)
    }

    /// What the unit did so far: annotations and HTTP exchanges.
    pub fn journal(&self) -> &Journal {
        &self.store.data().journal
    }

    /// What the guest touched so far: import calls, config keys, secrets, logs,
    /// stdout and stderr, peak memory.
    pub fn observed(&self) -> Observed {
        let data = self.store.data();
        let mut observed = data.observed.clone();
        observed.peak_memory = data.limiter.peak;
        data.observe_output(&mut observed);
        observed
    }

    /// Guest execution time used so far (host calls excluded).
    pub fn guest_time(&self) -> Duration {
        self.store.data().budget.guest_time()
    }

    /// Gives the tenant's CPU slot back between calls: an instance that waits (the kit
    /// compares two, a unit awaits storage) must not hold the slot another unit of its
    /// tenant needs to run.
    fn idle(&self) {
        if let Some(cpu) = &self.cpu {
            cpu.release();
        }
    }

    /// A call's fault with the guest's stderr attached (see [`HostState::fault_with_output`]).
    fn explain<T>(&mut self, result: Result<T, GuestFault>) -> Result<T, GuestFault> {
        result.map_err(|fault| self.store.data_mut().fault_with_output(fault))
    }
}

/// A store with the memory limiter and the time budget installed.
pub(crate) fn new_store(engine: &wasmtime::Engine, state: HostState) -> Store<HostState> {
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limiter);
    install_budget(&mut store);
    store
}

/// Runs one guest call under the unit's wall-clock deadline and time budget.
///
/// This is the watchdog that needs nothing from the guest. A spinning guest is
/// stopped by the epoch callback (see [`install_budget`]); a guest blocked in a
/// host call that is not excused from its budget (a WASI sleep or poll) never
/// reaches an epoch check, so this timer also wakes when the budget would run
/// out and drops the call. Time in excused calls (HTTP) is governed by the wall
/// deadline alone.
async fn run<T>(
    deadline: Instant,
    wall_timeout: Duration,
    budget: Budget,
    fut: impl Future<Output = wasmtime::Result<T>>,
) -> Result<T, GuestFault> {
    let mut fut = std::pin::pin!(fut);
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(GuestFault::WallTimeout(wall_timeout));
        }
        if let Some(e) = budget.exceeded() {
            return Err(GuestFault::TimeBudget(e.budget));
        }
        let left = budget.limit().saturating_sub(budget.guest_time());
        // While in an excused call the budget does not run; look again later.
        let step = if budget.in_host() {
            WATCHDOG_IDLE_CHECK
        } else {
            left.max(Duration::from_millis(1))
        };
        let wake = deadline.min(now + step);
        tokio::select! {
            biased;
            result = &mut fut => {
                return result.map_err(|err| fault_from(&err, "call"));
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

/// How often the watchdog looks at a unit that is waiting in an excused host call.
const WATCHDOG_IDLE_CHECK: Duration = Duration::from_millis(250);

/// Turns a wasmtime error into the fault it stands for.
pub(crate) fn fault_from(err: &wasmtime::Error, phase: &str) -> GuestFault {
    if let Some(e) = err.downcast_ref::<TimeBudgetExceeded>() {
        return GuestFault::TimeBudget(e.budget);
    }
    if let Some(e) = err.downcast_ref::<MemoryLimitExceeded>() {
        return GuestFault::MemoryLimit {
            requested: e.requested,
            limit: e.limit,
        };
    }
    let text = truncate(format!("{err:?}"), MAX_TRAP_TEXT);
    if phase == "instantiate" {
        GuestFault::Instantiate(text)
    } else {
        GuestFault::Trap(text)
    }
}
