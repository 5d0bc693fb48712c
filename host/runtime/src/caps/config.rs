//! `config`: the deployment's non-secret settings, read-only.

use crate::bindings::config::Host;
use crate::host_state::HostState;

impl Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self
            .ctx
            .as_deref()
            .and_then(|c| c.config.get(&key).cloned()))
    }

    fn get_all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self.ctx.as_deref().map_or_else(Vec::new, |c| {
            c.config
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }))
    }
}
