//! Pre-initialization: run the connector's `prepare` export once at load
//! and snapshot its memory (wasmtime-wizer), so every fresh instance starts
//! with warm tables. With the pooling allocator the snapshot is mapped
//! copy-on-write, so a fresh instance costs microseconds instead of the
//! ~100 ms a phone-metadata parse costs on first use.

use crate::host_state::{HostState, WorkUnit};
use crate::instance::new_store;
use crate::loader::{LOAD_LIMITS, PREPARE_EXPORT};
use crate::runtime::RuntimeInner;

/// Returns the pre-initialized component bytes.
pub(crate) async fn preinitialize(rt: &RuntimeInner, wasm: &[u8]) -> Result<Vec<u8>, String> {
    let state = HostState::new(
        LOAD_LIMITS.memory_bytes,
        LOAD_LIMITS.time_budget,
        None,
        WorkUnit::default(),
    );
    let mut store = new_store(&rt.engine, state);
    let mut wizer = wasmtime_wizer::Wizer::new();
    wizer.init_func(PREPARE_EXPORT).keep_init_func(true);
    let linker = &rt.linker;
    let (snapshot, _) = wizer
        .run_component(&mut store, wasm, async |store, component| {
            linker.instantiate_async(store, component).await
        })
        .await
        .map_err(|e| {
            let fault = crate::instance::fault_from(&e, "prepare");
            format!("{fault}")
        })?;
    Ok(snapshot)
}
