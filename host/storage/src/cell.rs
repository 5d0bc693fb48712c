//! The open database, replaceable in place.
//!
//! Once a write of sled 0.34 fails (a full disk, a file-size limit, an I/O error), sled
//! refuses every later operation until the database is opened again. Every store made from
//! one [`Storage`](crate::Storage) therefore reaches sled through one [`Cell`]: each
//! operation takes the current [`Handles`], and [`Cell::reopen`] swaps in a freshly opened
//! database when writes can succeed again (the ingest applier does this; see
//! `delivery::applier`). Reopening is a crash recovery in place: what sled had flushed is
//! there, the ingest log supplies the queue items sled had not, and writes that were
//! neither are lost as they would be in a crash (acks, retries, dead letters and DLQ
//! actions, state and job writes, audit entries, saved pauses). Reads that take no lock
//! may see the reopened database for a moment before the log is replayed into it.
//!
//! The cell also keeps the store's [`Health`]: whether records can be made durable now,
//! and if not, why.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use sled::{Db, Tree};

use crate::error::StorageError;

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
/// Audit entries by `(time_ms, seq)`.
const AUDIT_TREE: &str = "audit";
/// Audit index by tenant.
const AUDIT_TENANT_TREE: &str = "audit_tenant";
/// Audit index by record id.
const AUDIT_RECORD_TREE: &str = "audit_record";
/// Audit index by trace id.
const AUDIT_TRACE_TREE: &str = "audit_trace";

/// One opened database and every tree of it.
#[derive(Debug)]
pub(crate) struct Handles {
    pub db: Db,
    pub state: Tree,
    pub state_counts: Tree,
    pub jobs: Tree,
    pub job_ids: Tree,
    pub meta: Tree,
    pub delivery: Tree,
    pub audit: Tree,
    pub audit_tenant: Tree,
    pub audit_record: Tree,
    pub audit_trace: Tree,
}

impl Handles {
    fn open(db: Db, path: &str) -> Result<Self, StorageError> {
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
            delivery: tree(crate::delivery::DELIVERY_TREE)?,
            audit: tree(AUDIT_TREE)?,
            audit_tenant: tree(AUDIT_TENANT_TREE)?,
            audit_record: tree(AUDIT_RECORD_TREE)?,
            audit_trace: tree(AUDIT_TRACE_TREE)?,
            db,
        })
    }
}

/// Whether the store can make records durable now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Writes succeed.
    Durable,
    /// A write failed; the store refuses new records until it has recovered.
    Failing {
        /// What failed, as the operating system or sled said it.
        reason: String,
        /// When the failure was first seen, in Unix milliseconds.
        since_ms: u64,
    },
}

/// The current database of a [`Storage`](crate::Storage) and its health.
#[derive(Debug)]
pub(crate) struct Cell {
    /// The directory, for reopening; `None` for a temporary database (not reopened).
    dir: Option<PathBuf>,
    /// For error messages.
    path: String,
    /// `None` only while [`Cell::reopen`] is between the old database and the new.
    current: RwLock<Option<Arc<Handles>>>,
    health: Mutex<Health>,
    /// Free bytes the filesystem must keep (0: not checked).
    min_free: AtomicU64,
}

impl Cell {
    /// A cell over `db`, opened from `dir` (or temporary).
    pub(crate) fn new(db: Db, dir: Option<PathBuf>, path: &str) -> Result<Self, StorageError> {
        Ok(Self {
            current: RwLock::new(Some(Arc::new(Handles::open(db, path)?))),
            dir,
            path: path.to_owned(),
            health: Mutex::new(Health::Durable),
            min_free: AtomicU64::new(0),
        })
    }

    /// The current database; an error while it is being reopened.
    pub(crate) fn get(&self) -> sled::Result<Arc<Handles>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        current.clone().ok_or_else(|| {
            sled::Error::Io(std::io::Error::other(
                "the store is being reopened after a write failure",
            ))
        })
    }

    /// Closes the current database and opens it again from its directory. Fails for a
    /// temporary database, and when the open fails (the lock is still held by a handle
    /// being dropped, or sled cannot recover yet); the cell then has no database until a
    /// later call succeeds.
    pub(crate) fn reopen(&self) -> Result<Arc<Handles>, StorageError> {
        let Some(dir) = &self.dir else {
            return Err(StorageError::Io(
                "a temporary store cannot be reopened".to_owned(),
            ));
        };
        // Dropped here, outside the lock: the old database closes once every operation
        // still holding it has finished.
        let old = self
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(old);
        let db = crate::open::open_db(&sled::Config::new().path(dir)).map_err(|e| {
            StorageError::Open {
                path: self.path.clone(),
                reason: e.to_string(),
            }
        })?;
        let handles = Arc::new(Handles::open(db, &self.path)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(handles.clone());
        Ok(handles)
    }

    /// Sets the free space the filesystem must keep (0: not checked).
    pub(crate) fn set_min_free(&self, bytes: u64) {
        self.min_free.store(bytes, Ordering::Relaxed);
    }

    /// Why the store should not take new records for lack of space, if it should not: the
    /// filesystem of the directory has less free space than the minimum.
    pub(crate) fn short_of_space(&self) -> Option<String> {
        let min = self.min_free.load(Ordering::Relaxed);
        let dir = self.dir.as_ref()?;
        if min == 0 {
            return None;
        }
        let free = free_bytes(dir)?;
        (free < min).then(|| {
            format!(
                "only {} MiB free on the filesystem of {:?}, below storage.min_free_bytes ({} MiB)",
                free >> 20,
                self.path,
                min >> 20
            )
        })
    }

    /// The store's health now.
    pub(crate) fn health(&self) -> Health {
        self.health
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records a failed write (the first reason and time are kept until recovery).
    pub(crate) fn failing(&self, reason: &str) {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if *health == Health::Durable {
            tracing::error!(
                reason,
                "storage cannot make records durable; ingest answers 503 until it recovers"
            );
            *health = Health::Failing {
                reason: reason.to_owned(),
                since_ms: now_ms(),
            };
        }
    }

    /// Records that writes succeed again.
    pub(crate) fn durable(&self) {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if let Health::Failing { since_ms, .. } = &*health {
            tracing::warn!(
                down_ms = now_ms().saturating_sub(*since_ms),
                "storage recovered; records are durable again"
            );
            *health = Health::Durable;
        }
    }
}

/// Bytes an unprivileged process may still write on the filesystem of `dir`; `None` when
/// it cannot be asked.
#[cfg(unix)]
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `path` is a NUL-terminated string and `stat` is writable memory of the right
    // type; `statvfs` only writes into it, and it is read only after success.
    let stat = unsafe {
        if libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) != 0 {
            return None;
        }
        stat.assume_init()
    };
    #[allow(clippy::useless_conversion)] // the field types differ between platforms
    Some(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

#[cfg(not(unix))]
fn free_bytes(_dir: &std::path::Path) -> Option<u64> {
    None
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
