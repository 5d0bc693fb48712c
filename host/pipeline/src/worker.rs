//! The workers: one scheduler task leases due items lane by lane (round robin, so one busy
//! lane does not starve the others) and runs each in its own task, at most `concurrency`
//! at once. On shutdown it stops leasing, lets in-flight attempts finish for the grace
//! period, gives back the leases of those that did not, and flushes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_storage::delivery::Lease;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::clock::{millis, now_ms};
use crate::pipeline::Pipeline;

/// Most items leased from one lane per turn.
const MAX_PER_TURN: usize = 32;

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
        let in_flight: Arc<Mutex<HashMap<u64, Lease>>> = Arc::default();
        let mut tasks = JoinSet::new();
        let lanes = self.inner.lanes.clone();
        let mut start = 0usize;
        while !*shutdown.borrow() {
            let mut leased_any = false;
            for offset in 0..lanes.len() {
                let lane = &lanes[(start + offset) % lanes.len()];
                let free = permits.available_permits();
                if free == 0 {
                    break;
                }
                let lease_ms = millis(
                    settings
                        .lease
                        .max(lane.deployment.limits().wall_timeout * 2),
                );
                let store = self.inner.store.clone();
                let scope = lane.scope();
                let max = free.min(MAX_PER_TURN);
                // `lease` may block briefly (items still on their way into the store).
                let leased = tokio::task::spawn_blocking(move || {
                    store.lease(&scope, now_ms(), lease_ms, max)
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
                let items = match leased {
                    Ok(items) => items,
                    Err(e) => {
                        tracing::error!(tenant = %lane.tenant, deployment = %lane.name, error = %e, "lease failed");
                        continue;
                    }
                };
                for item in items {
                    leased_any = true;
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        break;
                    };
                    lock(&in_flight).insert(item.lease.token, item.lease.clone());
                    let (me, lane, in_flight) = (self.clone(), lane.clone(), in_flight.clone());
                    tasks.spawn(async move {
                        let token = item.lease.token;
                        me.process(lane, item).await;
                        lock(&in_flight).remove(&token);
                        drop(permit);
                    });
                }
            }
            start = start.wrapping_add(1);
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
                _ = tokio::time::sleep(settings.poll_interval) => {}
                _ = shutdown.changed() => {}
                Some(_) = tasks.join_next(), if permits.available_permits() == 0 => {}
            }
        }
        self.drain(tasks, in_flight, settings.shutdown_grace).await;
    }

    async fn drain(
        &self,
        mut tasks: JoinSet<()>,
        in_flight: Arc<Mutex<HashMap<u64, Lease>>>,
        grace: Duration,
    ) {
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
