//! The wasmtime engine: pooling allocator, copy-on-write memory images,
//! epoch interruption, and the one timer thread that drives epochs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch timer ticks. Time budgets are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Bytes of each memory slot kept resident between instances.
const KEEP_RESIDENT_BYTES: usize = 8 << 20;

/// Sizing of the engine, shared by every deployment in one process.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How many connector instances may be alive at once (pool slots).
    pub max_instances: u32,
    /// The largest linear memory any deployment may ask for, in bytes.
    /// A deployment's own `limits.memory_mb` must fit under it.
    pub max_memory_bytes: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            max_instances: 256,
            max_memory_bytes: 512 << 20,
        }
    }
}

/// Builds the engine used for every connector.
pub(crate) fn build_engine(cfg: &EngineConfig) -> anyhow::Result<Engine> {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(cfg.max_instances)
        // Rust and Python components carry a handful of core instances and
        // memories each (main module, WASI adapter shims).
        .total_core_instances(cfg.max_instances * 8)
        .total_memories(cfg.max_instances * 2)
        .total_tables(cfg.max_instances * 8)
        .total_stacks(cfg.max_instances)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        .max_core_instances_per_component(32)
        .max_component_instance_size(1 << 20)
        .max_core_instance_size(1 << 20)
        .table_elements(100_000)
        .max_memory_size(cfg.max_memory_bytes)
        // After an instance ends, reset only the pages it touched (found
        // with Linux's PAGEMAP_SCAN where available) by copying the image
        // back, and keep them resident: the next instance in the slot then
        // starts without page faults. Measured: a fresh instance's first
        // phone parse went from ~170 faults to ~0 (see README benchmarks).
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(64 << 10)
        .pagemap_scan(wasmtime::Enabled::Auto);

    let mut config = Config::new();
    config
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .memory_init_cow(true)
        .epoch_interruption(true)
        .wasm_component_model(true)
        // Component-model async is not used by the contract: keep the
        // per-store concurrency machinery off (it costs on every call).
        .concurrency_support(false)
        .cranelift_opt_level(wasmtime::OptLevel::Speed);
    Engine::new(&config).map_err(|e| anyhow::anyhow!("building the wasmtime engine: {e}"))
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on one thread, until dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts the timer thread for `engine`.
    pub(crate) fn start(engine: &Engine) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.weak();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("switchboard-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
