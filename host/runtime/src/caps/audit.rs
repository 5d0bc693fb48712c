//! `audit`: connector annotations on the current record's audit trail.
//! Known secret values are redacted before anything is kept.

use crate::bindings::audit::Host;
use crate::host_state::HostState;

impl Host for HostState {
    fn annotate(&mut self, key: String, value: String) -> wasmtime::Result<()> {
        self.observed.call("audit.annotate");
        let value = match self.ctx.as_deref() {
            Some(ctx) => ctx.redact(&value),
            None => value,
        };
        tracing::info!(target: "switchboard::audit", tenant = self.tenant(), connector = self.connector(),
            record_id = %self.unit.record_id, trace_id = %self.unit.trace_id, key = %key, value = %value,
            "connector annotation");
        self.journal.annotate(key, value);
        Ok(())
    }
}
