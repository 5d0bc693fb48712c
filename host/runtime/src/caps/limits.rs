//! `limits`: the connector passes on what the CRM said about its budgets; the host
//! drains its own buckets to match (never raises them).

use std::time::Duration;

use switchboard_limits::Report;

use crate::bindings::limits::{BudgetReport as WitReport, Host};
use crate::host_state::HostState;
use crate::journal::{escape_control, truncate};

impl Host for HostState {
    fn report(&mut self, report: WitReport) -> wasmtime::Result<()> {
        self.observed.call("limits.report");
        self.observed.budget(&report.budget);
        let Some(ctx) = self.ctx.clone() else {
            return Ok(());
        };
        // Budget names are at most 64 bytes: a longer one is unknown anyway, and a guest
        // must not get a megabyte name into the host's warning below.
        let parsed = Report {
            budget: escape_control(&truncate(report.budget, 80)),
            remaining: report.remaining,
            limit: report.limit,
            reset: report.reset_ms.map(Duration::from_millis),
        };
        if let Err(e) = ctx.limiter.report(&parsed)
            && !std::mem::replace(&mut self.warned_unknown_budget, true)
        {
            // Once per unit: a guest looping on unknown names must not flood the logs.
            tracing::warn!(tenant = self.tenant(), connector = self.connector(),
                record_id = %self.unit.record_id, error = %e,
                "the connector reported on a budget it does not declare; ignored");
        }
        Ok(())
    }
}
