//! `log`: guest log events into `tracing`, tagged with the unit's identity.

use crate::bindings::log::{Host, Level};
use crate::host_state::HostState;
use crate::journal::truncate;

/// Longest guest log message kept, in bytes.
const MAX_MESSAGE_BYTES: usize = 4096;

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let message = truncate(message, MAX_MESSAGE_BYTES);
        self.observed.call("log.log");
        self.observed.log(level_name(level), &message);
        let (tenant, connector) = (self.tenant(), self.connector());
        let (record_id, trace_id) = (&self.unit.record_id, &self.unit.trace_id);
        macro_rules! emit {
            ($lvl:expr) => {
                tracing::event!(target: "switchboard::connector", $lvl,
                    tenant, connector, record_id, trace_id, "{message}")
            };
        }
        match level {
            Level::Trace => emit!(tracing::Level::TRACE),
            Level::Debug => emit!(tracing::Level::DEBUG),
            Level::Info => emit!(tracing::Level::INFO),
            Level::Warn => emit!(tracing::Level::WARN),
            Level::Error => emit!(tracing::Level::ERROR),
        }
        Ok(())
    }
}

/// The level's name as the contract spells it.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::Trace => "trace",
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}
