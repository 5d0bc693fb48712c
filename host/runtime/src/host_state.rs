//! What a store holds for one unit of work: WASI (sandboxed to nothing but
//! captured stdout and stderr), the limits, the deployment's capabilities and
//! the unit's journal.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::cpu::CpuSlot;
use crate::deployment::DeploymentCtx;
use crate::error::GuestFault;
use crate::guest_output::{Capture, MAX_STREAM_BYTES, with_stderr};
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
    /// The guest's stdout, last bytes kept.
    stdout: Capture,
    /// The guest's stderr, last bytes kept.
    stderr: Capture,
    /// How much of stderr was already emitted through `tracing`.
    stderr_traced: u64,
    /// Bytes of `log` messages sent to the host's logs so far (see `caps::log`).
    pub(crate) log_bytes_emitted: usize,
    /// Whether this unit already warned about a report on an undeclared budget.
    pub(crate) warned_unknown_budget: bool,
    /// The unit's hold on its tenant's CPU slots; `None` while preparing or describing.
    pub(crate) cpu: Option<CpuSlot>,
}

impl HostState {
    /// A fresh state with WASI granting nothing: no files, no environment,
    /// no arguments, no sockets, no stdin. Stdout and stderr go to bounded
    /// captures of this unit (see [`crate::guest_output`]); connectors log
    /// through the `log` import.
    pub(crate) fn new(
        memory_bytes: usize,
        budget: std::time::Duration,
        ctx: Option<Arc<DeploymentCtx>>,
        unit: WorkUnit,
    ) -> Self {
        let (stdout, stderr) = (
            Capture::new(MAX_STREAM_BYTES),
            Capture::new(MAX_STREAM_BYTES),
        );
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: GuestLimiter::new(memory_bytes),
            budget: Budget::new(budget),
            ctx: ctx.clone(),
            unit,
            journal: Journal::default(),
            observed: Observed::default(),
            stdout,
            stderr,
            stderr_traced: 0,
            log_bytes_emitted: 0,
            warned_unknown_budget: false,
            cpu: ctx.as_ref().map(|c| CpuSlot::new(c.cpu.clone())),
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

    /// `text` with the deployment's secret values redacted (unchanged before deployment).
    fn redact(&self, text: String) -> String {
        match self.ctx.as_deref() {
            Some(ctx) => ctx.redact(&text),
            None => text,
        }
    }

    /// [`HostState::redact`] of a borrowed text.
    pub(crate) fn redacted(&self, text: &str) -> String {
        match self.ctx.as_deref() {
            Some(ctx) => ctx.redact(text),
            None => text.to_owned(),
        }
    }

    /// The guest's stdout and stderr so far into `observed`: redacted text and dropped bytes.
    pub(crate) fn observe_output(&self, observed: &mut Observed) {
        let (out, err) = (self.stdout.snapshot(), self.stderr.snapshot());
        observed.stdout = self.redact(out.text());
        observed.dropped_stdout_bytes = out.dropped();
        observed.stderr = self.redact(err.text());
        observed.dropped_stderr_bytes = err.dropped();
    }

    /// `fault` with the tail of the guest's (redacted) stderr in its text, and that
    /// stderr emitted through `tracing`.
    ///
    /// Stderr is traced once, when the unit faults, rather than line by line as it
    /// is written: that is one bounded event per fault (at most [`MAX_STREAM_BYTES`]),
    /// needs no line buffering inside the stream, and a guest printing a megabyte
    /// cannot flood the host's logs; the tail kept is the traceback or panic message
    /// that explains the fault. Output of units that end well stays in [`Observed`].
    pub(crate) fn fault_with_output(&mut self, fault: GuestFault) -> GuestFault {
        let captured = self.stderr.snapshot();
        if captured.bytes.is_empty() {
            return fault;
        }
        let text = self.redact(captured.text());
        if captured.written > self.stderr_traced {
            self.stderr_traced = captured.written;
            let (tenant, connector) = (self.tenant(), self.connector());
            let (record_id, trace_id) = (&self.unit.record_id, &self.unit.trace_id);
            // Escaped: one line, so guest output cannot pose as a line of the host's.
            let shown = crate::journal::escape_control(&text);
            tracing::warn!(target: "switchboard::connector", tenant, connector, record_id,
                trace_id, dropped_bytes = captured.dropped(), fault = fault.kind(),
                "guest stderr before the fault: {shown}");
        }
        with_stderr(fault, &text)
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

    fn yield_cpu(&self) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> {
        self.cpu.as_ref().map(|slot| slot.requeue(&self.budget))
    }
}
