//! Pre-initialization: run the connector's `prepare` export once at load
//! and snapshot its memory (wasmtime-wizer), so every fresh instance starts
//! with warm tables. With the pooling allocator the snapshot is mapped
//! copy-on-write, so a fresh instance costs microseconds instead of the
//! ~100 ms a phone-metadata parse costs on first use.

use crate::host_state::{HostState, WorkUnit};
use crate::instance::new_store;
use crate::limits::Budget;
use crate::loader::{LOAD_LIMITS, PREPARE_EXPORT};
use crate::runtime::RuntimeInner;

/// Returns the pre-initialized component bytes.
///
/// Runs on a task of its own: wizer unwraps the results of the calls it makes to read
/// the snapshot, so a guest that exhausts its budget there panics inside wizer; the
/// task turns that panic (with its message) into this load's error instead of the
/// host's end.
pub(crate) async fn preinitialize(rt: &RuntimeInner, wasm: &[u8]) -> Result<Vec<u8>, String> {
    let (engine, linker, wasm) = (rt.engine.clone(), rt.linker.clone(), wasm.to_vec());
    let task = tokio::spawn(async move {
        let state = HostState::new(
            LOAD_LIMITS.memory_bytes,
            LOAD_LIMITS.time_budget,
            None,
            WorkUnit::default(),
        );
        let mut store = new_store(&engine, state);
        // Wizer reads each linear memory back as one `list<u8>`, which wasmtime charges
        // to the hostcall fuel (128 MiB by default): allow the whole load-time memory cap,
        // or a `prepare` that grew past 128 MiB would fail while being snapshotted.
        store.set_hostcall_fuel(LOAD_LIMITS.memory_bytes);
        let mut wizer = wasmtime_wizer::Wizer::new();
        wizer.init_func(PREPARE_EXPORT).keep_init_func(true);
        let result = wizer
            .run_component(&mut store, &wasm, async |store, component| {
                // The budget counts the guest's own time: compiling the component
                // (seconds for a large one on a busy machine) happened before this.
                store.data_mut().budget = Budget::new(LOAD_LIMITS.time_budget);
                linker.instantiate_async(store, component).await
            })
            .await;
        result.map(|(snapshot, _)| snapshot).map_err(|e| {
            let fault = crate::instance::fault_from(&e, "prepare");
            store.data_mut().fault_with_output(fault).to_string()
        })
    });
    match task.await {
        Ok(result) => result,
        Err(e) if e.is_panic() => Err(format!(
            "pre-initialization failed while snapshotting the guest after `prepare`: {}",
            panic_text(e.into_panic().as_ref())
        )),
        Err(e) => Err(format!("pre-initialization did not finish: {e}")),
    }
}

/// The message of a panic payload (a `String` or `&str` in practice).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("no message")
}
