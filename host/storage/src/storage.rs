//! The database handle: opening, scoping and flushing.

use std::path::Path;

use std::sync::Arc;

use sled::Db;

use crate::audit::AuditLog;
use crate::cell::{Cell, Health};
use crate::delivery::SledDeliveryStore;
use crate::error::StorageError;
use crate::jobs::JobQueue;
use crate::scope::Scope;
use crate::state::StateStore;

/// The delivery store's ingest log, inside the database directory.
const INGEST_LOG: &str = "ingest.wal";

/// An open sled database holding the state and job queues of every scope. Cheap to clone;
/// the database closes when the last clone (and every store or queue made from it) drops.
///
/// After a failed write the database is reopened in place (see `cell`): every store made
/// from it keeps working once the cause is gone, without a restart.
#[derive(Debug, Clone)]
pub struct Storage {
    pub(crate) cell: Arc<Cell>,
    audit: AuditLog,
    delivery: SledDeliveryStore,
}

impl Storage {
    /// Opens (or creates) the database in directory `dir`. Fails if another process has it
    /// open (after waiting up to a second for a handle this process just dropped to let
    /// go; see `open`).
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        let db = crate::open::open_db(&sled::Config::new().path(dir)).map_err(|e| {
            StorageError::Open {
                path: dir.display().to_string(),
                reason: e.to_string(),
            }
        })?;
        Self::from_db(db, &dir.display().to_string(), Some(dir))
    }

    /// A database that lives in memory-backed temporary files and is deleted on drop; for
    /// tests and benchmarks.
    pub fn temporary() -> Result<Self, StorageError> {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .map_err(|e| StorageError::Open {
                path: "<temporary>".to_owned(),
                reason: e.to_string(),
            })?;
        Self::from_db(db, "<temporary>", None)
    }

    fn from_db(db: Db, path: &str, dir: Option<&Path>) -> Result<Self, StorageError> {
        let cell = Arc::new(Cell::new(db, dir.map(Path::to_owned), path)?);
        let ingest_log = dir.map(|d| d.join(INGEST_LOG));
        Ok(Self {
            audit: AuditLog::new(cell.clone()),
            delivery: SledDeliveryStore::new(cell.clone(), ingest_log.as_deref()).map_err(|e| {
                StorageError::Open {
                    path: path.to_owned(),
                    reason: e.to_string(),
                }
            })?,
            cell,
        })
    }

    /// Keeps `bytes` free on the database's filesystem: below it the store counts as
    /// failing (new records are refused) until there is room again. `0` (the default)
    /// turns the check off; it is checked about once a second.
    pub fn set_min_free_bytes(&self, bytes: u64) {
        self.cell.set_min_free(bytes);
        if let Some(short) = self.cell.short_of_space() {
            self.cell.failing(&short);
        }
    }

    /// Whether records can be made durable now (see [`Health`]).
    pub fn health(&self) -> Health {
        self.cell.health()
    }

    /// The key-value state of `scope`, with default [`StateLimits`](crate::StateLimits).
    pub fn state(&self, scope: &Scope) -> StateStore {
        StateStore::new(self.cell.clone(), scope.prefix())
    }

    /// The job queue of `scope`.
    pub fn jobs(&self, scope: &Scope) -> JobQueue {
        JobQueue::new(self.cell.clone(), scope.prefix())
    }

    /// The delivery queues and dead-letter queue of every tenant and deployment.
    pub fn delivery(&self) -> SledDeliveryStore {
        self.delivery.clone()
    }

    /// The audit log of every scope (searchable by tenant, record id, trace id and time).
    pub fn audit(&self) -> AuditLog {
        self.audit.clone()
    }

    /// Makes every write made so far durable (sled's flush: written and
    /// `sync_file_range`d; see the crate docs for what that survives). Runs on a blocking
    /// thread, so it does not block the async runtime.
    pub async fn flush(&self) -> Result<(), StorageError> {
        // On a blocking thread rather than sled's `flush_async`, whose worker may hold the
        // database a moment after the future resolves (a reopen right after then fails).
        let cell = self.cell.clone();
        tokio::task::spawn_blocking(move || cell.get()?.db.flush())
            .await
            .map_err(|e| StorageError::Io(format!("flush task failed: {e}")))??;
        Ok(())
    }
}
