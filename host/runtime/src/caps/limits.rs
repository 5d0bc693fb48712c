//! `limits`: the connector passes on what the CRM said about its budgets; the host
//! drains its own buckets to match (never raises them).

use std::time::Duration;

use switchboard_limits::Report;

use crate::bindings::limits::{BudgetReport as WitReport, Host};
use crate::host_state::HostState;

impl Host for HostState {
    fn report(&mut self, report: WitReport) -> wasmtime::Result<()> {
        self.observed.call("limits.report");
        self.observed
            .budgets
            .insert(crate::journal::truncate(report.budget.clone(), 256));
        let Some(ctx) = self.ctx.clone() else {
            return Ok(());
        };
        let parsed = Report {
            budget: report.budget,
            remaining: report.remaining,
            limit: report.limit,
            reset: report.reset_ms.map(Duration::from_millis),
        };
        if let Err(e) = ctx.limiter.report(&parsed) {
            tracing::warn!(tenant = self.tenant(), connector = self.connector(),
                record_id = %self.unit.record_id, error = %e,
                "the connector reported on a budget it does not declare; ignored");
        }
        Ok(())
    }
}
