//! The workers: one scheduler task leases due items and runs each in its own task.
//!
//! Fairness and bulkheads: each pass visits the tenants round robin (starting one further
//! each pass) and, within a tenant, its lanes round robin. A lane gets at most
//! `MAX_PER_TURN` items per visit, and an attempt holds three slots: one of the process
//! (`workers.concurrency`), one of its tenant and one of its lane. So a tenant with a huge
//! backlog, or a CRM that answers in 30 s, fills only its own slots while every other
//! tenant keeps being served.
//!
//! Records wait in the queue, not in workers: a lane whose deployment is paused (the CRM
//! said it is rate-limited), whose budgets are empty, or whose breaker is open is skipped
//! until then; a half-open breaker gets exactly one item (the probe).
//!
//! On shutdown the scheduler stops leasing, lets in-flight attempts finish for the grace
//! period, gives back the leases of those that did not, and flushes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_limits::Admission;
use switchboard_storage::delivery::{Health, Lease};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::clock::{millis, now_ms};
use crate::lane::{Lane, Probe};
use crate::pipeline::Pipeline;

/// Most items leased from one lane per visit.
const MAX_PER_TURN: usize = 32;

/// How long a lane waits before looking again while the store cannot make writes durable.
const STORE_FAILING_WAIT: Duration = Duration::from_millis(500);

type InFlight = Arc<Mutex<HashMap<u64, Lease>>>;

impl Pipeline {
    /// Runs the workers until `shutdown` turns true, then drains as described in the module
    /// docs. Call once per process.
    pub async fn run_workers(&self, mut shutdown: watch::Receiver<bool>) {
        let released = self.inner.store.release_all_leases(now_ms());
        match released {
            Ok(0) => {}
            Ok(n) => tracing::info!(released = n, "took back leases of a previous run"),
            Err(e) => tracing::error!(error = %e, "could not release old leases"),
        }
        let settings = self.inner.settings;
        let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        let in_flight: InFlight = Arc::default();
        let mut tasks = JoinSet::new();
        let tenants: Vec<Vec<Arc<Lane>>> = self
            .inner
            .tenants
            .values()
            .map(|t| t.lanes.clone())
            .collect();
        let mut pass = 0usize;
        while !*shutdown.borrow() {
            let mut leased_any = false;
            let mut wake_in = settings.poll_interval;
            'tenants: for t in 0..tenants.len() {
                let lanes = &tenants[(pass + t) % tenants.len()];
                for l in 0..lanes.len() {
                    if permits.available_permits() == 0 {
                        break 'tenants;
                    }
                    let lane = &lanes[(pass + l) % lanes.len()];
                    match self
                        .lease_turn(lane, &permits, &in_flight, &mut tasks)
                        .await
                    {
                        Turn::Leased => leased_any = true,
                        Turn::Idle => {}
                        Turn::WaitFor(d) => wake_in = wake_in.min(d),
                    }
                }
            }
            pass = pass.wrapping_add(1);
            while let Some(done) = tasks.try_join_next() {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a delivery task failed; its lease will be released");
                }
            }
            if leased_any && permits.available_permits() > 0 {
                continue;
            }
            tokio::select! {
                _ = self.inner.wake.notified() => {}
                _ = self.inner.freed.notified() => {}
                _ = tokio::time::sleep(wake_in.max(Duration::from_millis(1))) => {}
                _ = shutdown.changed() => {}
            }
        }
        self.drain(tasks, in_flight, settings.shutdown_grace).await;
    }

    /// One visit to `lane`: checks its pause, budgets, breaker and slots, leases what it may
    /// and starts a task per item.
    async fn lease_turn(
        &self,
        lane: &Arc<Lane>,
        permits: &Arc<Semaphore>,
        in_flight: &InFlight,
        tasks: &mut JoinSet<()>,
    ) -> Turn {
        if self.inner.store.health() != Health::Durable {
            // Outcomes could not be recorded (acks, retries, dead letters): wait for the
            // store to recover rather than call the CRM.
            return Turn::WaitFor(STORE_FAILING_WAIT);
        }
        let seen = lane.due_hint();
        let now = now_ms();
        if seen.at_ms > now {
            return Turn::WaitFor(Duration::from_millis(seen.at_ms - now));
        }
        let free = permits
            .available_permits()
            .min(lane.free_slots())
            .min(MAX_PER_TURN);
        if free == 0 {
            return Turn::Idle;
        }
        let ready_in = lane.limiter().ready_in();
        if !ready_in.is_zero() {
            return Turn::WaitFor(ready_in);
        }
        let (admission, transition) = lane.admit();
        if let Some(t) = transition {
            self.breaker_changed(lane, &t);
        }
        let (max, mut probe) = match admission {
            Admission::Allowed => (free, None),
            Admission::Probe => (1, Some(Probe::new(lane.clone()))),
            Admission::Rejected { retry_in } => return Turn::WaitFor(retry_in),
        };
        let lease_ms = millis(
            self.inner
                .settings
                .lease
                .max(lane.deployment.limits().wall_timeout * 2),
        );
        let store = self.inner.store.clone();
        let scope = lane.scope();
        // `lease` may block briefly (items still on their way into the store). When it
        // empties the lane's due items, the next due time is read too, for the hint.
        let leased = tokio::task::spawn_blocking(move || {
            let now = now_ms();
            let items = store.lease(&scope, now, lease_ms, max)?;
            let next = if items.len() < max {
                Some(store.next_due(&scope)?)
            } else {
                None
            };
            Ok::<_, switchboard_storage::delivery::DeliveryError>((items, next, now))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
        let items = match leased {
            Ok((items, next, now)) => {
                if let Some(next_due) = next {
                    lane.settle_due(seen, next_due, now);
                }
                items
            }
            Err(e) => {
                tracing::error!(tenant = %lane.tenant, deployment = %lane.name, error = %e, "lease failed");
                Vec::new()
            }
        };
        if items.is_empty() {
            // A probe with nothing to send is dropped, which frees it.
            return Turn::Idle;
        }
        for item in items {
            // Only this task takes slots, and `free` counted them, so these succeed; if one
            // does not, the lease is given back at once.
            let (Some(slots), Ok(permit)) =
                (lane.take_slots(), permits.clone().try_acquire_owned())
            else {
                if let Err(e) = self.inner.store.release(&item.lease, now_ms()) {
                    tracing::warn!(item = item.lease.item_id, error = %e, "could not release lease");
                }
                continue;
            };
            lock(in_flight).insert(item.lease.token, item.lease.clone());
            let (me, lane, in_flight) = (self.clone(), lane.clone(), in_flight.clone());
            let probe = probe.take();
            tasks.spawn(async move {
                let token = item.lease.token;
                me.process(lane, item, probe).await;
                lock(&in_flight).remove(&token);
                drop((slots, permit));
                me.inner.freed.notify_one();
            });
        }
        Turn::Leased
    }

    async fn drain(&self, mut tasks: JoinSet<()>, in_flight: InFlight, grace: Duration) {
        let waiting = tasks.len();
        tracing::info!(
            in_flight = waiting,
            grace_ms = millis(grace),
            "stopping workers"
        );
        let finished =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if finished.is_err() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        let leftover: Vec<Lease> = lock(&in_flight).drain().map(|(_, l)| l).collect();
        for lease in &leftover {
            if let Err(e) = self.inner.store.release(lease, now_ms()) {
                tracing::warn!(item = lease.item_id, error = %e, "could not release lease");
            }
        }
        if !leftover.is_empty() {
            tracing::info!(
                released = leftover.len(),
                "released leases of unfinished attempts"
            );
        }
        if let Err(e) = self.inner.committer.durable().await {
            tracing::error!(error = %e, "final flush failed");
        }
    }
}

/// What one visit to a lane did.
enum Turn {
    /// Items were leased and started.
    Leased,
    /// Nothing due, or no free slot.
    Idle,
    /// The lane is paused, out of budget, or its breaker is open, for this long.
    WaitFor(Duration),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
