//! [`SledDeliveryStore`]: the sled implementation of [`DeliveryStore`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sled::{Db, Tree};

use super::wal::{LoggedItem, Wal};
use super::{
    DeadLetter, DeliveryError, DeliveryStore, DlqFilter, Enqueued, KeyState, LanePause, Lease,
    Leased, NewDeadLetter, NewItem, codec, dlq, lock, queue,
};
use crate::scope::Scope;

/// The tree holding every delivery row (see `codec` for the layout).
pub(crate) const DELIVERY_TREE: &str = "delivery";

/// Delivery queues and the DLQ in one sled tree. Cheap to clone; clones share one writer
/// lock, so every state change (read, check, write) is serialized and applied as one
/// atomic sled batch. Reads that only list take no lock.
#[derive(Debug, Clone)]
pub struct SledDeliveryStore {
    inner: Arc<Inner>,
    applier: Option<Arc<Applier>>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) db: Db,
    pub(super) tree: Tree,
    write: Mutex<()>,
    /// The ingest log, when the store has a directory (see `wal`).
    pub(super) wal: Option<Wal>,
    /// Logged items not yet in sled: record-id key → item id.
    unapplied: Mutex<HashMap<Vec<u8>, u64>>,
    /// Signalled whenever logged items reach sled.
    applied: Condvar,
    /// Log size at which the idle applier empties the log.
    truncate_at: u64,
}

/// Longest a lease waits for a lane's logged items to reach sled.
const APPLY_WAIT: Duration = Duration::from_millis(200);

/// The log size at which the applier, once idle, flushes sled and empties the log.
const TRUNCATE_AT: u64 = 32 << 20;

/// The thread that moves logged items into sled. Dropping the last handle lets it apply
/// what it has left and waits for it, so the database is closed when the store is.
#[derive(Debug)]
struct Applier {
    tx: Mutex<Option<Sender<Vec<LoggedItem>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Applier {
    fn drop(&mut self) {
        lock(&self.tx).take();
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

impl Inner {
    /// The writer lock. A panic while it was held cannot leave half a change (changes are
    /// single batches), so a poisoned lock is taken over.
    pub(super) fn lock(&self) -> MutexGuard<'_, ()> {
        lock(&self.write)
    }

    /// Logged items not yet in sled.
    pub(super) fn unapplied(&self) -> MutexGuard<'_, HashMap<Vec<u8>, u64>> {
        lock(&self.unapplied)
    }

    /// Waits (briefly) until the logged items of the lane with record-id prefix `prefix`
    /// that are on their way into sled when it is called have arrived, so a lease sees
    /// every item enqueued before it. Items logged during the wait are not waited for.
    pub(super) fn wait_applied(&self, prefix: &[u8]) {
        let deadline = Instant::now() + APPLY_WAIT;
        let mut unapplied = self.unapplied();
        let waiting: Vec<Vec<u8>> = unapplied
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        while waiting.iter().any(|k| unapplied.contains_key(k)) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            unapplied = self
                .applied
                .wait_timeout(unapplied, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// A fresh id, unique in this database.
    pub(super) fn next_id(&self) -> Result<u64, DeliveryError> {
        // sled ids start at 0; keep 0 free to mean "none".
        Ok(self.db.generate_id()? + 1)
    }
}

impl SledDeliveryStore {
    /// A store over `tree`. With `wal`, new items go through the ingest log at that path:
    /// what the log holds from a previous run is applied to sled first.
    pub(crate) fn new(db: Db, tree: Tree, wal: Option<&Path>) -> Result<Self, DeliveryError> {
        Self::with_truncate_at(db, tree, wal, TRUNCATE_AT)
    }

    fn with_truncate_at(
        db: Db,
        tree: Tree,
        wal: Option<&Path>,
        truncate_at: u64,
    ) -> Result<Self, DeliveryError> {
        let (wal, logged) = match wal {
            Some(path) => {
                let (wal, logged) = Wal::open(path)?;
                (Some(wal), logged)
            }
            None => (None, Vec::new()),
        };
        let inner = Arc::new(Inner {
            db,
            tree,
            write: Mutex::new(()),
            wal,
            unapplied: Mutex::new(HashMap::new()),
            applied: Condvar::new(),
            truncate_at,
        });
        let Some(wal) = &inner.wal else {
            return Ok(Self {
                inner,
                applier: None,
            });
        };
        if !logged.is_empty() {
            queue::apply_items(&inner, &logged)?;
            persist_sled(&inner)?;
        }
        wal.truncate()?;
        let (tx, rx) = channel();
        let worker = inner.clone();
        let thread = std::thread::Builder::new()
            .name("switchboard-ingest-applier".into())
            .spawn(move || apply_loop(&worker, &rx))
            .map_err(|e| DeliveryError::Storage(format!("cannot start the ingest applier: {e}")))?;
        Ok(Self {
            inner,
            applier: Some(Arc::new(Applier {
                tx: Mutex::new(Some(tx)),
                thread: Mutex::new(Some(thread)),
            })),
        })
    }
}

/// How often an idle applier looks at the log's size. Items reach the applier before
/// their bytes reach the file (the group commit writes them), so the size seen right
/// after the last batch can be short of the truth.
const IDLE_CHECK: Duration = Duration::from_millis(200);

/// Applies logged items to sled as they come; when idle with a large log, flushes sled and
/// empties the log (holding the writer lock, so no item is logged meanwhile).
fn apply_loop(inner: &Inner, rx: &Receiver<Vec<LoggedItem>>) {
    loop {
        let mut items = match rx.recv_timeout(IDLE_CHECK) {
            Ok(items) => items,
            Err(RecvTimeoutError::Timeout) => Vec::new(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        while let Ok(more) = rx.try_recv() {
            items.extend(more);
            if items.len() >= 4096 {
                break;
            }
        }
        if !items.is_empty() {
            apply_or_log(inner, &items);
        }
        let large = inner
            .wal
            .as_ref()
            .is_some_and(|w| w.len() >= inner.truncate_at);
        if large {
            let _guard = inner.lock();
            while let Ok(more) = rx.try_recv() {
                apply_or_log(inner, &more);
            }
            let result =
                persist_sled(inner).and_then(|()| inner.wal.as_ref().map_or(Ok(()), Wal::truncate));
            if let Err(e) = result {
                eprintln!("switchboard: could not empty the ingest log (it keeps growing): {e}");
            }
        }
    }
}

/// Makes sled's state durable before the ingest log is emptied: sled's flush, then an
/// `fsync` of its data file. sled 0.34's flush only `sync_file_range`s what it wrote, which
/// is not a power-loss guarantee; the log's entries are, so they must not be dropped on less.
fn persist_sled(inner: &Inner) -> Result<(), DeliveryError> {
    inner.db.flush()?;
    if let Some(dir) = inner.wal.as_ref().and_then(Wal::dir) {
        for file in ["db", "conf"] {
            let path = dir.join(file);
            if let Ok(f) = std::fs::File::open(&path) {
                f.sync_all().map_err(|e| {
                    DeliveryError::Storage(format!("cannot sync {:?}: {e}", path.display()))
                })?;
            }
        }
    }
    Ok(())
}

/// Applies items and forgets them as unapplied. A failure leaves them in the log, which is
/// applied again at the next start.
fn apply_or_log(inner: &Inner, items: &[LoggedItem]) {
    match queue::apply_items(inner, items) {
        Ok(()) => {
            let mut unapplied = inner.unapplied();
            for item in items {
                unapplied.remove(&super::codec::record_key(&item.lane, &item.record_id));
            }
            inner.applied.notify_all();
        }
        Err(e) => eprintln!("switchboard: could not apply logged items to the queue: {e}"),
    }
}

impl DeliveryStore for SledDeliveryStore {
    fn enqueue(&self, items: &[NewItem<'_>]) -> Result<Vec<Enqueued>, DeliveryError> {
        match &self.applier {
            Some(applier) => {
                let tx = lock(&applier.tx);
                queue::enqueue(&self.inner, items, tx.as_ref())
            }
            None => queue::enqueue(&self.inner, items, None),
        }
    }

    fn sync_enqueued(&self) -> Result<(), DeliveryError> {
        match &self.inner.wal {
            Some(wal) => wal.sync(),
            None => self.flush(),
        }
    }

    fn flush(&self) -> Result<(), DeliveryError> {
        self.inner.db.flush()?;
        if let Some(wal) = &self.inner.wal {
            wal.sync()?;
        }
        Ok(())
    }

    fn lease(
        &self,
        lane: &Scope,
        now_ms: u64,
        lease_ms: u64,
        max: usize,
    ) -> Result<Vec<Leased>, DeliveryError> {
        queue::lease(&self.inner, lane, now_ms, lease_ms, max)
    }

    fn ack(&self, lease: &Lease) -> Result<(), DeliveryError> {
        queue::ack(&self.inner, lease)
    }

    fn retry_later(&self, lease: &Lease, due_ms: u64, body: &[u8]) -> Result<(), DeliveryError> {
        queue::requeue(&self.inner, lease, due_ms, Some(body))
    }

    fn release(&self, lease: &Lease, now_ms: u64) -> Result<(), DeliveryError> {
        queue::requeue(&self.inner, lease, now_ms, None)
    }

    fn dead_letter(&self, lease: &Lease, letter: NewDeadLetter<'_>) -> Result<u64, DeliveryError> {
        dlq::dead_letter(&self.inner, lease, letter)
    }

    fn release_all_leases(&self, now_ms: u64) -> Result<usize, DeliveryError> {
        queue::release_all(&self.inner, now_ms)
    }

    fn pending(&self, lane: &Scope) -> Result<usize, DeliveryError> {
        queue::pending(&self.inner, lane)
    }

    fn next_due(&self, lane: &Scope) -> Result<Option<u64>, DeliveryError> {
        queue::next_due(&self.inner, lane)
    }

    fn key_state(&self, lane: &Scope, record_id: &str) -> Result<Option<KeyState>, DeliveryError> {
        queue::key_state(&self.inner, lane, record_id)
    }

    fn dlq_list(&self, filter: &DlqFilter) -> Result<Vec<DeadLetter>, DeliveryError> {
        dlq::list(&self.inner, filter)
    }

    fn dlq_get(&self, id: u64) -> Result<Option<DeadLetter>, DeliveryError> {
        dlq::get(&self.inner, id)
    }

    fn dlq_edit(&self, id: u64, body: &[u8]) -> Result<(), DeliveryError> {
        dlq::edit(&self.inner, id, body)
    }

    fn dlq_replay(
        &self,
        id: u64,
        now_ms: u64,
        note: &str,
        item_body: &dyn Fn(&DeadLetter) -> Result<Vec<u8>, String>,
    ) -> Result<u64, DeliveryError> {
        dlq::replay(&self.inner, id, now_ms, note, item_body)
    }

    fn dlq_resolve(&self, id: u64, now_ms: u64, note: &str) -> Result<(), DeliveryError> {
        dlq::resolve(&self.inner, id, now_ms, note)
    }

    fn save_pause(&self, lane: &Scope, pause: &LanePause) -> Result<(), DeliveryError> {
        let _write = self.inner.lock();
        self.inner
            .tree
            .insert(codec::pause_key(lane), codec::encode_pause(pause))?;
        Ok(())
    }

    fn saved_pause(&self, lane: &Scope) -> Result<Option<LanePause>, DeliveryError> {
        match self.inner.tree.get(codec::pause_key(lane))? {
            Some(value) => codec::decode_pause(&value).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::{DeliveryStore, NewItem};
    use crate::scope::Scope;

    #[test]
    fn a_saved_pause_survives_reopening_and_stays_with_its_lane() {
        let dir = tempfile::tempdir().unwrap();
        let (acme, globex) = (
            Scope::new("acme", "hubspot"),
            Scope::new("globex", "hubspot"),
        );
        let pause = LanePause {
            until_ms: 1_790_000_000_000,
            reason: "the CRM said daily (daily)".into(),
        };
        {
            let store = open(dir.path(), TRUNCATE_AT);
            assert_eq!(store.saved_pause(&acme).unwrap(), None);
            store.save_pause(&acme, &pause).unwrap();
            store.flush().unwrap();
        }
        let store = open(dir.path(), TRUNCATE_AT);
        assert_eq!(store.saved_pause(&acme).unwrap(), Some(pause));
        assert_eq!(store.saved_pause(&globex).unwrap(), None);
        let later = LanePause {
            until_ms: 1_790_000_100_000,
            reason: "the CRM said ten-secondly (burst)".into(),
        };
        store.save_pause(&acme, &later).unwrap();
        assert_eq!(store.saved_pause(&acme).unwrap(), Some(later));
        // Pause rows are not items: the lane has nothing pending.
        assert_eq!(store.pending(&acme).unwrap(), 0);
        assert_eq!(store.next_due(&acme).unwrap(), None);
    }

    fn open(dir: &Path, truncate_at: u64) -> SledDeliveryStore {
        let db = crate::open::open_db(&sled::Config::new().path(dir)).unwrap();
        let tree = db.open_tree(DELIVERY_TREE).unwrap();
        SledDeliveryStore::with_truncate_at(db, tree, Some(&dir.join("ingest.wal")), truncate_at)
            .unwrap()
    }

    #[test]
    fn the_log_is_emptied_once_its_items_are_in_sled_and_nothing_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let lane = Scope::new("acme", "hubspot");
        let ids: Vec<String> = (0..300).map(|i| format!("r{i}")).collect();
        {
            let store = open(dir.path(), 4096);
            for chunk in ids.chunks(30) {
                let items: Vec<NewItem<'_>> = chunk
                    .iter()
                    .map(|id| NewItem {
                        lane: &lane,
                        record_id: id,
                        body: &[7; 100],
                        due_ms: 0,
                    })
                    .collect();
                store.enqueue(&items).unwrap();
                store.sync_enqueued().unwrap();
            }
            let wal = store.inner.wal.as_ref().unwrap();
            // Generous: each emptying flushes and fsyncs sled, which a loaded CI machine can
            // make slow (10 s once timed out there); the point is that it happens.
            let deadline = Instant::now() + Duration::from_secs(60);
            while !(wal.len() < 4096 && store.inner.unapplied().is_empty()) {
                assert!(Instant::now() < deadline, "the log was never emptied");
                std::thread::sleep(Duration::from_millis(5));
            }
            assert_eq!(store.pending(&lane).unwrap(), 300);
        }
        let store = open(dir.path(), 4096);
        assert_eq!(store.pending(&lane).unwrap(), 300);
        assert_eq!(store.lease(&lane, 0, 1000, 1000).unwrap().len(), 300);
    }
}
