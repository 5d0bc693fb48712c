//! `config`: the deployment's non-secret settings, read-only.

use crate::bindings::config::Host;
use crate::host_state::HostState;

impl Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        self.observed.call("config.get");
        self.observed.config_key(&key);
        Ok(self
            .ctx
            .as_deref()
            .and_then(|c| c.config.get(&key).cloned()))
    }

    fn get_all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        self.observed.call("config.get-all");
        self.observed.config_key("*");
        Ok(self.ctx.as_deref().map_or_else(Vec::new, |c| {
            c.config
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }))
    }
}
