//! `log`: guest log events into `tracing`, tagged with the unit's identity.
//!
//! A guest's message reaches the host's logs redacted of the deployment's secrets, with
//! newlines and other control characters escaped (so it cannot forge a host line or
//! drive a terminal), cut to [`MAX_MESSAGE_BYTES`], and only while the unit's log budget
//! ([`UNIT_LOG_BUDGET_BYTES`]) lasts; past it one warning says so and later lines are
//! only counted.

use crate::bindings::log::{Host, Level};
use crate::host_state::HostState;
use crate::journal::{escape_control, truncate};

/// Longest guest log message kept, in bytes.
const MAX_MESSAGE_BYTES: usize = 4096;
/// Bytes of log messages one unit of work may send to the host's logs.
pub const UNIT_LOG_BUDGET_BYTES: usize = 64 * 1024;

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.observed.call("log.log");
        let message = truncate(message, MAX_MESSAGE_BYTES);
        self.observed.log(level_name(level), &message);
        let spent = self.log_bytes_emitted;
        if spent >= UNIT_LOG_BUDGET_BYTES {
            return Ok(());
        }
        let message = escape_control(&self.redacted(&message));
        self.log_bytes_emitted = spent.saturating_add(message.len());
        let (tenant, connector) = (self.tenant(), self.connector());
        let (record_id, trace_id) = (&self.unit.record_id, &self.unit.trace_id);
        if self.log_bytes_emitted >= UNIT_LOG_BUDGET_BYTES {
            tracing::warn!(target: "switchboard::connector", tenant, connector, record_id,
                trace_id, budget_bytes = UNIT_LOG_BUDGET_BYTES,
                "the unit's log budget is spent; its later log lines are dropped");
            return Ok(());
        }
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
