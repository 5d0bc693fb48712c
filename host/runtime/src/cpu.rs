//! Fair shares of the CPU between tenants.
//!
//! A guest runs guest code only while it holds one of its tenant's CPU slots. It gives
//! the slot back at every epoch tick, whenever it waits in an excused host call such as
//! HTTP, and when a call returns (an idle instance must not hold a slot another unit
//! needs: that would deadlock two instances awaited one after the other), and queues for
//! it again, FIFO; the wait is excused from its time budget. So however many units a tenant runs at once,
//! at most [`cpu_slots_per_tenant`] of them use a core at any moment, and a tenant whose
//! guests spin cannot crowd out the others' deliveries: the executor round-robins between
//! tenants, not between units.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::limits::{Budget, HostCall};

/// CPU slots each tenant gets: half the cores (at least one), so one tenant can never
/// occupy every core.
pub fn cpu_slots_per_tenant() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// The CPU slots of every tenant in a process.
#[derive(Default)]
pub(crate) struct CpuShares {
    by_tenant: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl CpuShares {
    /// The slots of `tenant` (made on first use).
    pub(crate) fn of(&self, tenant: &str) -> Arc<Semaphore> {
        let mut map = self
            .by_tenant
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.entry(tenant.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(cpu_slots_per_tenant())))
            .clone()
    }
}

/// One unit's hold on its tenant's CPU slots.
#[derive(Clone)]
pub(crate) struct CpuSlot {
    slots: Arc<Semaphore>,
    held: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
}

impl CpuSlot {
    pub(crate) fn new(slots: Arc<Semaphore>) -> Self {
        Self {
            slots,
            held: Arc::default(),
        }
    }

    /// Gives the slot back (at a tick, or before waiting in a host call).
    pub(crate) fn release(&self) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Gives the slot back and returns the future that waits for one again: what the
    /// guest awaits at an epoch tick. The wait is excused from `budget`: a unit queued
    /// behind its tenant's other units is not running.
    pub(crate) fn requeue(&self, budget: &Budget) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.release();
        let (slots, held, budget) = (self.slots.clone(), self.held.clone(), budget.clone());
        Box::pin(async move {
            let _excused = HostCall::start(&budget);
            // Closed only if the process is going away; run on without a slot then.
            if let Ok(permit) = slots.acquire_owned().await {
                *held.lock().unwrap_or_else(PoisonError::into_inner) = Some(permit);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_tenant_holds_at_most_its_slots_and_they_come_back() {
        let slots = Arc::new(Semaphore::new(1));
        let (a, b) = (CpuSlot::new(slots.clone()), CpuSlot::new(slots.clone()));
        let budget = Budget::new(std::time::Duration::from_secs(1));
        a.requeue(&budget).await;
        assert_eq!(slots.available_permits(), 0);
        // B waits while A holds the slot...
        let waiting = tokio::spawn(b.requeue(&budget));
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        // Waiting for the slot is not guest time.
        assert!(budget.in_host());
        // ...and gets it when A gives it back at its next tick.
        a.release();
        waiting.await.unwrap();
        assert_eq!(slots.available_permits(), 0);
        b.release();
        assert_eq!(slots.available_permits(), 1);
    }

    #[test]
    fn tenants_have_slots_of_their_own() {
        let shares = CpuShares::default();
        assert!(Arc::ptr_eq(&shares.of("acme"), &shares.of("acme")));
        assert!(!Arc::ptr_eq(&shares.of("acme"), &shares.of("globex")));
    }
}
