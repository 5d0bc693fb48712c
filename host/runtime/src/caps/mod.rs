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
