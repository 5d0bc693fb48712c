//! `audit`: connector annotations on the current record's audit trail.
//! Known secret values are redacted, and key and value cut to size, before anything is
//! kept; annotations past the journal's cap are counted and neither kept nor logged.

use crate::bindings::audit::Host;
use crate::host_state::HostState;
use crate::journal::escape_control;

impl Host for HostState {
    fn annotate(&mut self, key: String, value: String) -> wasmtime::Result<()> {
        self.observed.call("audit.annotate");
        let (key, value) = (self.redacted(&key), self.redacted(&value));
        let Some((key, value)) = self.journal.annotate(key, value) else {
            return Ok(());
        };
        let (key, value) = (escape_control(key), escape_control(value));
        tracing::info!(target: "switchboard::audit", tenant = self.tenant(), connector = self.connector(),
            record_id = %self.unit.record_id, trace_id = %self.unit.trace_id, key = %key, value = %value,
            "connector annotation");
        Ok(())
    }
}
