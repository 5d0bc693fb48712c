//! What a store holds for one unit of work: WASI (sandboxed to nothing),
//! the limits, the deployment's capabilities and the unit's journal.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::deployment::DeploymentCtx;
use crate::journal::Journal;
use crate::limits::{Budget, GuestLimiter, HasBudget};
use crate::observed::Observed;

/// Identifies one unit of work (one record through one connector) in logs
/// and audit entries.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WorkUnit {
    /// The caller's record id.
    pub record_id: String,
    /// The trace id shared by every event of this record.
    pub trace_id: String,
}

/// Store data for one connector instance.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: GuestLimiter,
    pub(crate) budget: Budget,
    /// The deployment's capabilities; `None` while preparing or describing,
    /// when only `log` is available.
    pub(crate) ctx: Option<Arc<DeploymentCtx>>,
    pub(crate) unit: WorkUnit,
    pub(crate) journal: Journal,
    pub(crate) observed: Observed,
}

impl HostState {
    /// A fresh state with WASI granting nothing: no files, no environment,
    /// no arguments, no sockets, no stdio (guest stdout/stderr are dropped;
    /// connectors log through the `log` import).
    pub(crate) fn new(
        memory_bytes: usize,
        budget: std::time::Duration,
        ctx: Option<Arc<DeploymentCtx>>,
        unit: WorkUnit,
    ) -> Self {
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: GuestLimiter::new(memory_bytes),
            budget: Budget::new(budget),
            ctx,
            unit,
            journal: Journal::default(),
            observed: Observed::default(),
        }
    }

    /// The tenant this unit runs for, or `-` before deployment.
    pub(crate) fn tenant(&self) -> &str {
        self.ctx.as_deref().map_or("-", |c| c.tenant.as_str())
    }

    /// The connector name, or `-` before deployment.
    pub(crate) fn connector(&self) -> &str {
        self.ctx.as_deref().map_or("-", |c| c.connector.as_str())
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl HasBudget for HostState {
    fn budget(&self) -> &Budget {
        &self.budget
    }
}
