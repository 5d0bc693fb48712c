//! The database handle: opening, scoping and flushing.

use std::path::Path;

use sled::{Db, Tree};

use crate::audit::AuditLog;
use crate::delivery::SledDeliveryStore;
use crate::error::StorageError;
use crate::jobs::JobQueue;
use crate::scope::Scope;
use crate::state::StateStore;

/// The delivery store's ingest log, inside the database directory.
const INGEST_LOG: &str = "ingest.wal";
/// Tree holding state values.
const STATE_TREE: &str = "state";
/// Tree holding the number of state keys per scope.
const STATE_COUNTS_TREE: &str = "state_counts";
/// Tree holding jobs ordered by due time.
const JOBS_TREE: &str = "jobs";
/// Tree mapping job ids to their due time.
const JOB_IDS_TREE: &str = "job_ids";
/// Tree of database-wide markers (see `migrate.rs`).
const META_TREE: &str = "meta";

/// An open sled database holding the state and job queues of every scope. Cheap to clone;
/// the database closes when the last clone (and every store or queue made from it) drops.
#[derive(Debug, Clone)]
pub struct Storage {
    pub(crate) db: Db,
    pub(crate) state: Tree,
    pub(crate) state_counts: Tree,
    pub(crate) jobs: Tree,
    pub(crate) job_ids: Tree,
    pub(crate) meta: Tree,
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
        Self::from_db(db, &dir.display().to_string(), Some(&dir.join(INGEST_LOG)))
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

    fn from_db(db: Db, path: &str, ingest_log: Option<&Path>) -> Result<Self, StorageError> {
        let tree = |name: &str| {
            db.open_tree(name).map_err(|e| StorageError::Open {
                path: path.to_owned(),
                reason: format!("cannot open tree {name:?}: {e}"),
            })
        };
        Ok(Self {
            state: tree(STATE_TREE)?,
            state_counts: tree(STATE_COUNTS_TREE)?,
            jobs: tree(JOBS_TREE)?,
            job_ids: tree(JOB_IDS_TREE)?,
            meta: tree(META_TREE)?,
            audit: AuditLog::open(&db, path)?,
            delivery: SledDeliveryStore::new(
                db.clone(),
                tree(crate::delivery::DELIVERY_TREE)?,
                ingest_log,
            )
            .map_err(|e| StorageError::Open {
                path: path.to_owned(),
                reason: e.to_string(),
            })?,
            db,
        })
    }

    /// The key-value state of `scope`, with default [`StateLimits`](crate::StateLimits).
    pub fn state(&self, scope: &Scope) -> StateStore {
        StateStore::new(
            self.state.clone(),
            self.state_counts.clone(),
            scope.prefix(),
        )
    }

    /// The job queue of `scope`.
    pub fn jobs(&self, scope: &Scope) -> JobQueue {
        JobQueue::new(
            self.db.clone(),
            self.jobs.clone(),
            self.job_ids.clone(),
            scope.prefix(),
        )
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
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(|e| StorageError::Io(format!("flush task failed: {e}")))??;
        Ok(())
    }
}
