//! Errors at the runtime's boundary.

use std::path::PathBuf;
use std::time::Duration;

/// Why a `.wasm` file could not be loaded as a connector.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path:?}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not WebAssembly at all.
    #[error("{path:?}: not a WebAssembly file (it does not start with the `\\0asm` magic bytes)")]
    NotWasm {
        /// The file.
        path: PathBuf,
    },
    /// A core module, not a component.
    #[error(
        "{path:?}: is a core WebAssembly module, not a component; build connectors for `wasm32-wasip2` (or wrap the module with `wasm-tools component new`)"
    )]
    NotComponent {
        /// The file.
        path: PathBuf,
    },
    /// The component failed validation or compilation.
    #[error("{path:?}: invalid component: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What wasmtime reported.
        reason: String,
    },
    /// Built against a contract version this host does not support.
    #[error("{path:?}: built against {found:?}, but this host supports {supported:?}")]
    WrongVersion {
        /// The file.
        path: PathBuf,
        /// What the component exports or imports.
        found: String,
        /// What the host supports.
        supported: String,
    },
    /// A required export is missing.
    #[error(
        "{path:?}: does not export {missing:?} (it exports {found:?}); is it a Switchboard connector?"
    )]
    MissingExport {
        /// The file.
        path: PathBuf,
        /// The missing export.
        missing: String,
        /// What it does export.
        found: Vec<String>,
    },
    /// The component imports something the host does not provide, or its
    /// exports have the wrong types.
    #[error("{path:?}: does not match the `switchboard:connector/connector` world: {reason}")]
    WorldMismatch {
        /// The file.
        path: PathBuf,
        /// What did not match.
        reason: String,
    },
    /// Pre-initialization (`prepare`) failed.
    #[error("{path:?}: `prepare` failed: {reason}")]
    Prepare {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `describe` failed or returned nonsense.
    #[error("{path:?}: `describe` failed: {reason}")]
    Describe {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Why a loaded connector could not be deployed with a manifest.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The manifest and the connector disagree, or a limit is out of range.
    #[error("{manifest}: {reason}")]
    Mismatch {
        /// The manifest file.
        manifest: String,
        /// Why.
        reason: String,
    },
    /// A secret could not be resolved.
    #[error("{0}")]
    Secret(String),
    /// Storage could not be opened for the deployment.
    #[error("storage: {0}")]
    Storage(String),
}

/// A misbehaving guest, reported for the one unit of work it broke.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
pub enum GuestFault {
    /// The guest ran longer than its time budget (e.g. an infinite loop).
    #[error("time budget of {0:?} exceeded")]
    TimeBudget(Duration),
    /// The guest tried to grow memory past its cap.
    #[error(
        "memory limit exceeded: asked for {requested} bytes, limit {limit} bytes ({} MiB)",
        .limit >> 20
    )]
    MemoryLimit {
        /// Bytes asked for.
        requested: usize,
        /// The cap.
        limit: usize,
    },
    /// The unit took longer than its wall-clock limit.
    #[error("wall-clock limit of {0:?} exceeded")]
    WallTimeout(Duration),
    /// The guest trapped (panic, unreachable, out-of-bounds access, ...).
    #[error("guest trapped: {0}")]
    Trap(String),
    /// No instance could be created (pool exhausted, instantiation trap).
    #[error("instantiation failed: {0}")]
    Instantiate(String),
}

impl GuestFault {
    /// The fault's name in one word: `time-budget`, `memory-limit`,
    /// `wall-timeout`, `trap` or `instantiate`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            GuestFault::TimeBudget(_) => "time-budget",
            GuestFault::MemoryLimit { .. } => "memory-limit",
            GuestFault::WallTimeout(_) => "wall-timeout",
            GuestFault::Trap(_) => "trap",
            GuestFault::Instantiate(_) => "instantiate",
        }
    }
}
