//! On-disk cache of compiled (and pre-initialized) components.
//!
//! Keyed by the SHA-256 of the original `.wasm` bytes plus wasmtime's
//! compatibility hash of the engine settings, so a restart with the same
//! connector and the same engine deserializes native code instead of
//! recompiling, and an engine upgrade never loads stale code. Writes go to a
//! temporary file that is renamed into place, so a crash never leaves a torn
//! entry behind.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A directory of serialized components.
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: PathBuf,
    engine_tag: String,
}

impl CompileCache {
    /// Uses `dir` (created if missing) for components compiled by `engine`.
    pub(crate) fn new(dir: &Path, engine: &Engine) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(Self {
            dir: dir.to_path_buf(),
            engine_tag: format!("{:016x}", hasher.finish()),
        })
    }

    /// The cache file for `wasm` bytes.
    pub(crate) fn path_for(&self, wasm: &[u8]) -> PathBuf {
        self.dir
            .join(format!("{}-{}.cwasm", content_hash(wasm), self.engine_tag))
    }

    /// Loads a cached component, or `None` when absent or unreadable (an
    /// unreadable entry is removed and recompiled, never trusted).
    pub(crate) fn load(&self, engine: &Engine, wasm: &[u8]) -> Option<Component> {
        let path = self.path_for(wasm);
        // Read into memory rather than `deserialize_file`: a file that is
        // mmapped and then truncated by someone else kills the process with
        // SIGBUS; a copy in memory cannot be changed under us.
        let bytes = std::fs::read(&path).ok()?;
        // SAFETY: the bytes were written by `store` below from
        // `Component::serialize` of this engine configuration (the engine tag
        // is part of the name) into a directory owned by this host; wasmtime
        // additionally checks the header and engine compatibility and
        // rejects anything else.
        match unsafe { Component::deserialize(engine, &bytes) } {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "discarding unreadable compiled component");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores a compiled component for `wasm` bytes atomically.
    pub(crate) fn store(&self, wasm: &[u8], component: &Component) -> anyhow::Result<()> {
        let bytes = component
            .serialize()
            .map_err(|e| anyhow::anyhow!("serializing compiled component: {e}"))?;
        let path = self.path_for(wasm);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &bytes)
            .map_err(|e| anyhow::anyhow!("writing {:?}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| anyhow::anyhow!("renaming into {:?}: {e}", path.display()))?;
        Ok(())
    }
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
