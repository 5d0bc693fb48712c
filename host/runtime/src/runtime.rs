//! The runtime: one engine, one linker with every host capability, the
//! compile cache and the storage, shared by all deployments in a process.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

use crate::bindings::Connector;
use crate::cache::CompileCache;
use crate::cpu::CpuShares;
use crate::engine::{EngineConfig, EpochTicker, build_engine};
use crate::error::LoadError;
use crate::host_state::HostState;
use crate::loader::LoadedConnector;

/// Options for [`Runtime::new`].
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Engine sizing.
    pub engine: EngineConfig,
    /// Where compiled components are cached.
    pub cache_dir: PathBuf,
}

impl RuntimeOptions {
    /// Defaults with the compile cache in `cache_dir`.
    pub fn with_cache_dir(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            engine: EngineConfig::default(),
            cache_dir: cache_dir.into(),
        }
    }
}

pub(crate) struct RuntimeInner {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<HostState>,
    pub(crate) cache: CompileCache,
    pub(crate) storage: switchboard_storage::Storage,
    pub(crate) max_memory_bytes: usize,
    /// The epoch timer. Every [`LoadedConnector`] holds a clone: instances may
    /// outlive this `Runtime` value (`serve` keeps only its deployments), and a
    /// guest without a running clock has neither time budget nor yield points.
    pub(crate) ticker: Arc<EpochTicker>,
    /// Every tenant's CPU slots (see [`crate::cpu`]).
    pub(crate) cpu: CpuShares,
}

/// Loads connectors and deploys them; cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<RuntimeInner>,
}

impl Runtime {
    /// Builds the engine and linker and starts the epoch timer.
    pub fn new(
        options: RuntimeOptions,
        storage: switchboard_storage::Storage,
    ) -> anyhow::Result<Self> {
        let engine = build_engine(&options.engine)?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| anyhow::anyhow!("adding WASI to the linker: {e}"))?;
        Connector::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(|e| anyhow::anyhow!("adding the connector imports to the linker: {e}"))?;
        crate::v0_2::Connector::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(|e| {
                anyhow::anyhow!("adding the 0.2.0 connector imports to the linker: {e}")
            })?;
        let cache = CompileCache::new(&options.cache_dir, &engine).map_err(|e| {
            anyhow::anyhow!(
                "opening compile cache {:?}: {e}",
                options.cache_dir.display()
            )
        })?;
        let ticker = Arc::new(EpochTicker::start(&engine)?);
        Ok(Self {
            inner: Arc::new(RuntimeInner {
                engine,
                linker,
                cache,
                storage,
                max_memory_bytes: options.engine.max_memory_bytes,
                ticker,
                cpu: CpuShares::default(),
            }),
        })
    }

    /// Loads the connector at `path`: checks it is a component of a
    /// `switchboard:connector` world the host supports ([`crate::ContractVersion`]), pre-initializes and compiles it
    /// (or takes it from the compile cache), and calls `describe`.
    pub async fn load(&self, path: &Path) -> Result<LoadedConnector, LoadError> {
        crate::loader::load(&self.inner, path).await
    }

    /// The storage shared by all deployments.
    pub fn storage(&self) -> &switchboard_storage::Storage {
        &self.inner.storage
    }
}
