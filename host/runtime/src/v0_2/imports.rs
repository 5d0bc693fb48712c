//! The host's imports for 0.2.0 guests: each converts its arguments, calls the
//! current contract's implementation in [`crate::caps`], and converts the result.

use super::bindings::{audit, config, http, limits, log, queue, state, types};
use super::convert::Convert;
use crate::bindings as now;
use crate::host_state::HostState;

impl types::Host for HostState {}

impl http::Host for HostState {
    async fn send(&mut self, req: http::Request) -> Result<http::Response, http::Error> {
        <Self as now::http::Host>::send(self, req.convert())
            .await
            .map(Convert::convert)
            .map_err(Convert::convert)
    }
}

impl log::Host for HostState {
    fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        <Self as now::log::Host>::log(self, level.convert(), message)
    }
}

impl config::Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        <Self as now::config::Host>::get(self, key)
    }

    fn get_all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        <Self as now::config::Host>::get_all(self)
    }
}

impl state::Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, state::Error>> {
        Ok(<Self as now::state::Host>::get(self, key)?.map_err(Convert::convert))
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), state::Error>> {
        Ok(<Self as now::state::Host>::set(self, key, value)?.map_err(Convert::convert))
    }

    /// 0.2.0's name for `remove`.
    fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, state::Error>> {
        Ok(<Self as now::state::Host>::remove(self, key)?.map_err(Convert::convert))
    }
}

impl queue::Host for HostState {
    fn enqueue(&mut self, job: queue::Job) -> wasmtime::Result<Result<String, queue::Error>> {
        Ok(<Self as now::queue::Host>::enqueue(self, job.convert())?.map_err(Convert::convert))
    }
}

impl audit::Host for HostState {
    fn annotate(&mut self, key: String, value: String) -> wasmtime::Result<()> {
        <Self as now::audit::Host>::annotate(self, key, value)
    }
}

impl limits::Host for HostState {
    fn report(&mut self, report: limits::BudgetReport) -> wasmtime::Result<()> {
        <Self as now::limits::Host>::report(self, report.convert())
    }
}
