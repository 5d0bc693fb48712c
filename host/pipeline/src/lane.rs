//! One deployment of one tenant (a lane): its connector, its queue, its retry policy, and
//! the three things that protect it and everyone else: the rate-limit budgets (in the
//! deployment, spent inside `http.send`), the circuit breaker, and the bulkheads
//! (concurrency slots of the lane and of its tenant).

use std::sync::{Arc, Mutex};

use switchboard_limits::{Admission, Breaker, BreakerConfig, BreakerSnapshot, Limiter, Transition};
use switchboard_runtime::Deployment;
use switchboard_storage::Scope;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::policy::DeliveryPolicy;

/// How a lane runs, besides its connector.
#[derive(Debug, Clone)]
pub struct LaneOptions {
    /// Retry limits.
    pub policy: DeliveryPolicy,
    /// When the breaker opens and for how long.
    pub breaker: BreakerConfig,
    /// Most records of this lane attempted at once.
    pub concurrency: usize,
}

/// One deployment of one tenant: a connector, its queue, and its limits.
pub struct Lane {
    /// The tenant.
    pub tenant: String,
    /// The deployment's name in the config (the queue's name).
    pub name: String,
    /// The deployed connector.
    pub deployment: Deployment,
    /// Record kinds this lane takes.
    pub kinds: Vec<String>,
    /// Retry limits.
    pub policy: DeliveryPolicy,
    /// Most records of this lane attempted at once.
    pub concurrency: usize,
    slots: Arc<Semaphore>,
    tenant_slots: Arc<Semaphore>,
    breaker: Mutex<Breaker>,
    due: Mutex<DueHint>,
}

/// When the lane next has a due item, as far as the scheduler knows, so a pass over many
/// idle lanes costs a lock each instead of a store lookup each.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DueHint {
    /// Unix ms; 0 means "look now".
    pub(crate) at_ms: u64,
    /// Bumped by every enqueue, so a hint computed before it is not stored after it.
    pub(crate) epoch: u64,
}

/// The longest a hint may keep the scheduler away from a lane (an expired lease, for
/// instance, makes an item due without telling anyone).
const RECHECK_MS: u64 = 1000;

/// The slots one attempt holds: one of its lane's and one of its tenant's.
pub(crate) struct Slots {
    _lane: OwnedSemaphorePermit,
    _tenant: OwnedSemaphorePermit,
}

/// What an attempt says about the CRM's health, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Health {
    /// The CRM answered (delivered, or refused the record for a reason of its own).
    Up,
    /// A transient failure: 5xx, a timeout, a broken connection.
    Down,
    /// Says nothing about the CRM: rate-limited, or the connector itself failed.
    Unknown,
}

impl Lane {
    /// A lane of `tenant` whose attempts also take a slot of `tenant_slots` (shared by
    /// every lane of the tenant).
    pub fn new(
        tenant: &str,
        name: &str,
        deployment: Deployment,
        kinds: Vec<String>,
        options: LaneOptions,
        tenant_slots: Arc<Semaphore>,
    ) -> Self {
        let concurrency = options.concurrency.max(1);
        Self {
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            deployment,
            kinds,
            policy: options.policy,
            concurrency,
            slots: Arc::new(Semaphore::new(concurrency)),
            tenant_slots,
            breaker: Mutex::new(Breaker::new(options.breaker, Instant::now())),
            due: Mutex::new(DueHint::default()),
        }
    }

    /// The queue this lane reads: (tenant, deployment name).
    pub fn scope(&self) -> Scope {
        Scope::new(self.tenant.clone(), self.name.clone())
    }

    /// `name@version` of the connector.
    pub fn connector_label(&self) -> String {
        let d = self.deployment.descriptor();
        format!("{}@{}", d.name, d.version)
    }

    /// The deployment's rate-limit budgets and pause.
    pub fn limiter(&self) -> &Limiter {
        self.deployment.limiter()
    }

    /// Attempts of this lane running now.
    pub fn in_flight(&self) -> usize {
        self.concurrency - self.slots.available_permits().min(self.concurrency)
    }

    /// Attempts of this lane's tenant running now, over all its lanes, for a tenant of
    /// `tenant_concurrency`: one read of the tenant's slots, so it is consistent where
    /// a sum of the lanes' `in_flight`, read one after the other, is not.
    pub fn tenant_in_flight(&self, tenant_concurrency: usize) -> usize {
        let total = tenant_concurrency.max(1);
        total - self.tenant_slots.available_permits().min(total)
    }

    /// The breaker's state and counters.
    pub fn breaker(&self) -> BreakerSnapshot {
        lock(&self.breaker).snapshot(Instant::now())
    }

    /// Slots free for this lane: its own, bounded by its tenant's.
    pub(crate) fn free_slots(&self) -> usize {
        self.slots
            .available_permits()
            .min(self.tenant_slots.available_permits())
    }

    /// Takes a lane slot and a tenant slot, if both are free.
    pub(crate) fn take_slots(&self) -> Option<Slots> {
        let lane = self.slots.clone().try_acquire_owned().ok()?;
        let tenant = self.tenant_slots.clone().try_acquire_owned().ok()?;
        Some(Slots {
            _lane: lane,
            _tenant: tenant,
        })
    }

    /// The scheduler's hint of when this lane next has work.
    pub(crate) fn due_hint(&self) -> DueHint {
        *lock(&self.due)
    }

    /// New or replayed items: look at the lane now.
    pub(crate) fn touch(&self) {
        let mut due = lock(&self.due);
        due.at_ms = 0;
        due.epoch = due.epoch.wrapping_add(1);
    }

    /// After a lease that emptied the lane's due items: the store's next due time (if
    /// any), unless items arrived since `seen` was read.
    pub(crate) fn settle_due(&self, seen: DueHint, next_due_ms: Option<u64>, now_ms: u64) {
        let mut due = lock(&self.due);
        if due.epoch == seen.epoch {
            due.at_ms = next_due_ms
                .unwrap_or(u64::MAX)
                .min(now_ms.saturating_add(RECHECK_MS));
        }
    }

    /// An item of this lane was scheduled for `due_ms`.
    pub(crate) fn due_by(&self, due_ms: u64) {
        let mut due = lock(&self.due);
        due.at_ms = due.at_ms.min(due_ms);
        due.epoch = due.epoch.wrapping_add(1);
    }

    /// Asks the breaker whether attempts may start.
    pub(crate) fn admit(&self) -> (Admission, Option<Transition>) {
        lock(&self.breaker).admit(Instant::now())
    }

    /// Tells the breaker how an attempt that is not the probe went.
    pub(crate) fn settle(&self, health: Health) -> Option<Transition> {
        let mut breaker = lock(&self.breaker);
        let now = Instant::now();
        match health {
            Health::Up => breaker.on_success(now),
            Health::Down => breaker.on_failure(now),
            Health::Unknown => None,
        }
    }
}

/// The half-open breaker's one probe. Settling it reports the attempt; dropping it
/// unsettled (no item to lease, a record buried before its attempt, a panic) frees the
/// probe slot, so the breaker can never wait for a probe that is not running.
pub(crate) struct Probe {
    lane: Arc<Lane>,
    settled: bool,
}

impl Probe {
    /// The probe of `lane`'s breaker, just admitted.
    pub(crate) fn new(lane: Arc<Lane>) -> Self {
        Self {
            lane,
            settled: false,
        }
    }

    /// Reports how the probe went.
    pub(crate) fn settle(mut self, health: Health) -> Option<Transition> {
        self.settled = true;
        let mut breaker = lock(&self.lane.breaker);
        let now = Instant::now();
        match health {
            Health::Up => breaker.on_success(now),
            Health::Down => breaker.on_failure(now),
            Health::Unknown => {
                breaker.on_neutral(now);
                None
            }
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        if !self.settled {
            lock(&self.lane.breaker).on_neutral(Instant::now());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
