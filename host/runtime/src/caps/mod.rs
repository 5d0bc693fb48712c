//! Host implementations of the contract's imports, one file per interface.
//! Each maps the capability crate's API to the WIT types and treats every
//! argument from the guest as hostile.

mod audit;
mod config;
mod http;
mod limits;
mod log;
mod queue;
mod state;

use crate::host_state::HostState;

impl crate::bindings::types::Host for HostState {}

/// The message a capability returns while the connector is being prepared
/// or described, when only `log` is available.
pub(crate) const NOT_DURING_PREPARE: &str =
    "not available while the connector is being prepared or described";

/// The trap that stops a unit whose connector tried to store a secret value (it can
/// only have one by a host reflecting it back). Stopping, rather than storing a
/// redacted copy, keeps what the guest reads back equal to what it wrote: a redacted
/// read-back would let it test guesses against the secret offline.
pub(crate) fn secret_stored(sink: &str) -> wasmtime::Error {
    wasmtime::Error::msg(format!(
        "the connector tried to store a secret value in {sink}; the unit is stopped"
    ))
}
