//! The pipeline: tenants, their deployments (lanes), the store, and the shared services
//! (group commit, audit, alerts, metrics) that ingest, workers and DLQ tools use.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use switchboard_storage::delivery::{DeliveryStore, Health};
use tokio::sync::Notify;

use crate::alerts::Alerts;
use crate::audit::Audit;
use crate::commit::{CommitMode, Committer};
use crate::lane::Lane;
use crate::metrics::Metrics;

/// A tenant: its ingest token, its lanes, and the slots they share.
pub struct Tenant {
    /// The token ingest requests must present (`Authorization: Bearer ...`).
    pub ingest_token: String,
    /// Its deployments.
    pub lanes: Vec<Arc<Lane>>,
    /// Most of its records attempted at once, over all its lanes.
    pub concurrency: usize,
    /// Its deployments that failed to load or deploy: they run no lane, and records they
    /// might take are refused (503) rather than accepted for nobody.
    pub failed: Vec<FailedDeployment>,
}

/// A deployment that could not be loaded or deployed when the server started. It fails
/// alone: the tenant's other deployments and every other tenant keep running.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailedDeployment {
    /// The operator's name for it.
    pub name: String,
    /// The kinds the configuration says it takes (`kinds`), if it says; without them any
    /// kind might be its own.
    pub kinds: Option<Vec<String>>,
    /// Why it is not running, naming the file or key at fault.
    pub error: String,
}

impl FailedDeployment {
    /// Whether a record of `kind` might be for it.
    pub fn might_take(&self, kind: &str) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|kinds| kinds.iter().any(|k| k == kind))
    }
}

impl Tenant {
    /// The slots a tenant with `concurrency` gives its lanes (pass to [`Lane::new`]).
    pub fn slots(concurrency: usize) -> Arc<tokio::sync::Semaphore> {
        Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)))
    }
}

/// Knobs of the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Records processed at once.
    pub concurrency: usize,
    /// How long a lease lasts; stretched per lane to twice the connector's wall timeout.
    pub lease: Duration,
    /// How often idle workers look for due records.
    pub poll_interval: Duration,
    /// Most records in one ingest request.
    pub max_batch_records: usize,
    /// Longest CRM body excerpt in the audit log, in bytes.
    pub excerpt_bytes: usize,
    /// Group commit or one flush per request.
    pub commit_mode: CommitMode,
    /// On shutdown, how long in-flight attempts may finish.
    pub shutdown_grace: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: 16,
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(50),
            max_batch_records: 1000,
            excerpt_bytes: 1024,
            commit_mode: CommitMode::Group,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The delivery pipeline. Cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    pub(crate) inner: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) store: Arc<dyn DeliveryStore>,
    pub(crate) audit: Audit,
    pub(crate) tenants: BTreeMap<String, Tenant>,
    pub(crate) lanes: Vec<Arc<Lane>>,
    pub(crate) committer: Committer,
    pub(crate) alerts: Alerts,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) settings: Settings,
    /// Wakes idle workers when records arrive.
    pub(crate) wake: Notify,
    /// Wakes the scheduler when an attempt ends and gives its slots back.
    pub(crate) freed: Notify,
}

impl Pipeline {
    /// A pipeline over `store` and `audit` for `tenants`, with every lane's rate-limit
    /// pause from before a restart re-applied. Must be called inside a tokio runtime (it
    /// starts the group-commit task).
    pub fn new(
        store: Arc<dyn DeliveryStore>,
        audit: Audit,
        tenants: BTreeMap<String, Tenant>,
        alerts: Alerts,
        metrics: Arc<Metrics>,
        settings: Settings,
    ) -> Self {
        let lanes = tenants
            .values()
            .flat_map(|t| t.lanes.iter().cloned())
            .collect();
        let committer = Committer::start(store.clone(), settings.commit_mode);
        let pipeline = Self {
            inner: Arc::new(Shared {
                store,
                audit,
                tenants,
                lanes,
                committer,
                alerts,
                metrics,
                settings,
                wake: Notify::new(),
                freed: Notify::new(),
            }),
        };
        pipeline.restore_pauses();
        pipeline
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn DeliveryStore> {
        &self.inner.store
    }

    /// The audit trail.
    pub fn audit(&self) -> &Audit {
        &self.inner.audit
    }

    /// Every lane of every tenant.
    pub fn lanes(&self) -> &[Arc<Lane>] {
        &self.inner.lanes
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The counters as Prometheus text.
    pub fn metrics_text(&self) -> String {
        let mut text = self.inner.metrics.render(self.inner.committer.flushes());
        let failed: usize = self.inner.tenants.values().map(|t| t.failed.len()).sum();
        text.push_str(&format!(
            "# HELP switchboard_deployments_failed Deployments that failed to start (see /v1/status).\n\
             # TYPE switchboard_deployments_failed gauge\nswitchboard_deployments_failed {failed}\n"
        ));
        let durable = u8::from(self.inner.store.health() == Health::Durable);
        text.push_str(&format!(
            "# HELP switchboard_storage_durable 1 while the store can make records durable, 0 while it is failing (see /readyz).\n\
             # TYPE switchboard_storage_durable gauge\nswitchboard_storage_durable {durable}\n"
        ));
        text
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Every tenant by name.
    pub fn tenants(&self) -> &BTreeMap<String, Tenant> {
        &self.inner.tenants
    }

    /// Whether `tenant` exists.
    pub fn has_tenant(&self, tenant: &str) -> bool {
        self.inner.tenants.contains_key(tenant)
    }

    /// Wakes idle workers (new or replayed records).
    pub(crate) fn wake(&self) {
        self.inner.wake.notify_waiters();
    }
}
