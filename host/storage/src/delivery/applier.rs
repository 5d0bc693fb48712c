//! The ingest applier: the thread that moves logged items into sled, empties the ingest log
//! once sled holds them durably, and brings the store back after a failed write.
//!
//! Invariant: an item leaves the log only after sled has taken it and sled's flush and
//! `fsync` have succeeded. Items sled could not take wait in memory (and in the log) and are
//! applied again on each recovery attempt; a restart applies them from the log.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::store::Inner;
use super::wal::LoggedItem;
use super::{DeliveryError, Health, codec, lock, queue};

/// How long the applier waits for new items before it counts as idle. Items reach the
/// applier before their bytes reach the log file (the group commit writes them), so the
/// log is only looked at after a quiet spell or when it is large.
const IDLE_CHECK: Duration = Duration::from_millis(200);

/// How long no item must have arrived before the log is emptied (it is emptied sooner
/// once it is `truncate_at` bytes long).
const EMPTY_WHEN_QUIET_FOR: Duration = Duration::from_secs(1);

/// Most items applied in one sled batch.
const MAX_BATCH: usize = 4096;

/// Time between attempts to recover from a failed write.
const RECOVER_EVERY: Duration = Duration::from_secs(1);

/// Time between checks of the free space and, while idle, that sled still accepts writes
/// (sled refuses every write after one has failed, including those of acks and audit
/// entries).
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The applier thread. Dropping the last handle lets it apply what it has left and waits
/// for it, so the database is closed when the store is.
#[derive(Debug)]
pub(super) struct Applier {
    pub(super) tx: Mutex<Option<Sender<Vec<LoggedItem>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Applier {
    /// Starts the applier of `inner`, fed by the returned handle's sender.
    pub(super) fn start(inner: Arc<Inner>) -> Result<Self, DeliveryError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("switchboard-ingest-applier".into())
            .spawn(move || run(&inner, &rx))
            .map_err(|e| DeliveryError::Storage(format!("cannot start the ingest applier: {e}")))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }
}

impl Drop for Applier {
    fn drop(&mut self) {
        lock(&self.tx).take();
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

/// The applier's loop: apply what arrives; when idle (or when the log is large) flush sled
/// and empty the log; while the store is failing, try to recover every [`RECOVER_EVERY`].
fn run(inner: &Inner, rx: &Receiver<Vec<LoggedItem>>) {
    // Items received and not yet in sled.
    let mut waiting: Vec<LoggedItem> = Vec::new();
    let mut last_recovery = Instant::now();
    let mut last_probe = Instant::now();
    let mut last_item = Instant::now();
    loop {
        let idle = match rx.recv_timeout(IDLE_CHECK) {
            Ok(items) => {
                waiting.extend(items);
                last_item = Instant::now();
                false
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => {
                // Closing: what sled does not take now stays in the log for the next start.
                let _ = apply(inner, &mut waiting);
                return;
            }
        };
        while waiting.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(more) => waiting.extend(more),
                Err(_) => break,
            }
        }
        if inner.cell.health() != Health::Durable {
            if last_recovery.elapsed() >= RECOVER_EVERY {
                last_recovery = Instant::now();
                if let Err(e) = recover(inner, rx, &mut waiting) {
                    // The failure was logged when it began, and recovery will be.
                    tracing::debug!(error = %e, "storage has not recovered yet; trying again");
                }
            }
            continue;
        }
        if let Err(e) = apply(inner, &mut waiting) {
            inner
                .cell
                .failing(&format!("could not apply logged items to the queue: {e}"));
            continue;
        }
        let log_len = inner.wal.as_ref().map_or(0, |w| w.len());
        let quiet = idle && last_item.elapsed() >= EMPTY_WHEN_QUIET_FOR;
        let emptied = if log_len >= inner.truncate_at {
            empty_log(inner, rx, &mut waiting, true)
        } else if quiet && log_len > 0 {
            empty_log(inner, rx, &mut waiting, false)
        } else {
            Ok(())
        };
        if let Err(e) = emptied {
            inner
                .cell
                .failing(&format!("could not empty the ingest log: {e}"));
        }
        if last_probe.elapsed() >= PROBE_EVERY {
            last_probe = Instant::now();
            probe(inner, idle);
        }
    }
}

/// Turns the store's health to failing when its filesystem is short of the free-space
/// minimum, or (only when `idle`: a busy applier finds out by applying) when sled refuses
/// writes.
fn probe(inner: &Inner, idle: bool) {
    if let Some(short) = inner.cell.short_of_space() {
        inner.cell.failing(&short);
    } else if idle && let Err(e) = inner.cell.get().and_then(|db| db.db.flush()) {
        inner
            .cell
            .failing(&format!("the queue database refuses writes: {e}"));
    }
}

/// Applies `waiting` to sled; on success forgets the items as unapplied and empties it.
fn apply(inner: &Inner, waiting: &mut Vec<LoggedItem>) -> Result<(), DeliveryError> {
    if waiting.is_empty() {
        return Ok(());
    }
    queue::apply_items(inner, waiting)?;
    applied(inner, waiting);
    waiting.clear();
    Ok(())
}

/// Forgets `items` as unapplied and wakes leases waiting for them.
fn applied(inner: &Inner, items: &[LoggedItem]) {
    let mut unapplied = inner.unapplied();
    for item in items {
        unapplied.remove(&codec::record_key(&item.lane, &item.record_id));
    }
    inner.applied.notify_all();
}

/// Takes the writer lock, so no item is logged while it is held, and moves every item
/// already logged and sent into `waiting`.
fn hold_logging<'a>(
    inner: &'a Inner,
    rx: &Receiver<Vec<LoggedItem>>,
    waiting: &mut Vec<LoggedItem>,
) -> MutexGuard<'a, ()> {
    let guard = inner.lock();
    while let Ok(more) = rx.try_recv() {
        waiting.extend(more);
    }
    guard
}

/// Empties the log once sled holds every item in it durably (applied, flushed and
/// `fsync`ed). With `now` (the log is large and items keep coming) the writer lock is held
/// throughout, so nothing is logged meanwhile. Without it (after a quiet spell) the lock
/// is held only to apply what has arrived and, after the `fsync`, to check that nothing
/// was logged meanwhile (if something was, the log is kept until the next quiet spell):
/// leases, acks and ingest do not wait for the `fsync`.
fn empty_log(
    inner: &Inner,
    rx: &Receiver<Vec<LoggedItem>>,
    waiting: &mut Vec<LoggedItem>,
    now: bool,
) -> Result<(), DeliveryError> {
    let Some(wal) = &inner.wal else {
        return Ok(());
    };
    let guard = hold_logging(inner, rx, waiting);
    apply(inner, waiting)?;
    let held = now.then_some(guard);
    persist_sled(inner)?;
    let _guard = held.unwrap_or_else(|| hold_logging(inner, rx, waiting));
    if waiting.is_empty() {
        wal.truncate()?;
    }
    Ok(())
}

/// One recovery attempt, under the writer lock: writes what earlier log syncs could not,
/// reopens sled if it refuses writes, replays the whole log into it, applies what is
/// waiting, and makes sled durable. Success turns the store's health back to durable.
fn recover(
    inner: &Inner,
    rx: &Receiver<Vec<LoggedItem>>,
    waiting: &mut Vec<LoggedItem>,
) -> Result<(), DeliveryError> {
    let Some(wal) = &inner.wal else {
        return Ok(());
    };
    let _guard = hold_logging(inner, rx, waiting);
    wal.sync()?;
    if inner.cell.get().and_then(|db| db.db.flush()).is_err() {
        inner
            .cell
            .reopen()
            .map_err(|e| DeliveryError::Storage(e.to_string()))?;
        tracing::warn!("reopened the queue database; replaying the ingest log into it");
    }
    // Every attempt replays the whole log, not only the one that reopened sled: an attempt
    // that reopened it and then failed must not leave the next one thinking sled has
    // everything. sled lost what it had not flushed; the log holds every item since it
    // was last emptied (those sled has are skipped).
    let logged = wal.read_back()?;
    queue::apply_items(inner, &logged)?;
    applied(inner, &logged);
    apply(inner, waiting)?;
    persist_sled(inner)?;
    if let Some(short) = inner.cell.short_of_space() {
        return Err(DeliveryError::Storage(short));
    }
    inner.cell.durable();
    Ok(())
}

/// Makes sled's state durable before the ingest log is emptied: sled's flush, then an
/// `fsync` of its data file, its blob files and their directories. sled 0.34's flush only `sync_file_range`s what it wrote, which
/// is not a power-loss guarantee; the log's entries are, so they must not be dropped on less.
pub(super) fn persist_sled(inner: &Inner) -> Result<(), DeliveryError> {
    inner.cell.get()?.db.flush()?;
    let Some(dir) = inner.wal.as_ref().and_then(|w| w.dir()) else {
        return Ok(());
    };
    // sled writes values over its blob threshold to files of their own in `blobs/`.
    let blobs = dir.join("blobs");
    let mut paths = vec![dir.join("db"), dir.join("conf")];
    if let Ok(entries) = std::fs::read_dir(&blobs) {
        paths.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        paths.push(blobs);
    }
    paths.push(dir.to_owned());
    for path in paths {
        // A file sled removed meanwhile needs no sync.
        if let Ok(f) = std::fs::File::open(&path) {
            f.sync_all().map_err(|e| {
                DeliveryError::Storage(format!("cannot sync {:?}: {e}", path.display()))
            })?;
        }
    }
    Ok(())
}
