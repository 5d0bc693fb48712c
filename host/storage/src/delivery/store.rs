//! [`SledDeliveryStore`]: the sled implementation of [`DeliveryStore`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sled::Tree;

use super::applier::{self, Applier};
use super::wal::Wal;
use super::{
    DeadLetter, DeliveryError, DeliveryStore, DlqFilter, Enqueued, KeyState, LanePause, Lease,
    Leased, NewDeadLetter, NewItem, codec, dlq, lock, queue,
};
use crate::cell::{Cell, Health};
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
    /// The database (replaced in place when it is reopened after a failure).
    pub(super) cell: Arc<Cell>,
    write: Mutex<()>,
    /// The ingest log, when the store has a directory (see `wal`).
    pub(super) wal: Option<Wal>,
    /// Logged items not yet in sled: record-id key → item id.
    unapplied: Mutex<HashMap<Vec<u8>, u64>>,
    /// Signalled whenever logged items reach sled.
    pub(super) applied: Condvar,
    /// Log size at which the applier empties the log even while items keep coming.
    pub(super) truncate_at: u64,
}

/// Longest a lease waits for a lane's logged items to reach sled.
const APPLY_WAIT: Duration = Duration::from_millis(200);

/// The log size at which the applier empties the log even while items keep coming (it
/// empties it whenever it is idle, too).
const TRUNCATE_AT: u64 = 32 << 20;

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
        Ok(self.cell.get()?.db.generate_id()? + 1)
    }

    /// The delivery tree of the current database.
    pub(super) fn tree(&self) -> sled::Result<Tree> {
        Ok(self.cell.get()?.delivery.clone())
    }
}

impl SledDeliveryStore {
    /// A store over the delivery tree of `cell`. With `wal`, new items go through the
    /// ingest log at that path: what the log holds from a previous run is applied to sled
    /// first.
    pub(crate) fn new(cell: Arc<Cell>, wal: Option<&Path>) -> Result<Self, DeliveryError> {
        Self::with_truncate_at(cell, wal, TRUNCATE_AT)
    }

    fn with_truncate_at(
        cell: Arc<Cell>,
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
            cell,
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
            applier::persist_sled(&inner)?;
        }
        wal.truncate()?;
        let applier = Applier::start(inner.clone())?;
        Ok(Self {
            inner,
            applier: Some(Arc::new(applier)),
        })
    }
}

impl SledDeliveryStore {
    /// Passes `result` on; a failure turns the store's health to failing (the applier then
    /// works on recovering it).
    fn report(&self, result: Result<(), DeliveryError>) -> Result<(), DeliveryError> {
        if let Err(e) = &result {
            self.inner.cell.failing(&e.to_string());
        }
        result
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
        let synced = match &self.inner.wal {
            Some(wal) => wal.sync(),
            None => self.flush(),
        };
        self.report(synced)
    }

    fn flush(&self) -> Result<(), DeliveryError> {
        let flushed = self
            .inner
            .cell
            .get()
            .map_err(DeliveryError::from)
            .and_then(|db| {
                db.db.flush()?;
                match &self.inner.wal {
                    Some(wal) => wal.sync(),
                    None => Ok(()),
                }
            });
        self.report(flushed)
    }

    fn health(&self) -> Health {
        self.inner.cell.health()
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
            .tree()?
            .insert(codec::pause_key(lane), codec::encode_pause(pause))?;
        Ok(())
    }

    fn saved_pause(&self, lane: &Scope) -> Result<Option<LanePause>, DeliveryError> {
        match self.inner.tree()?.get(codec::pause_key(lane))? {
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

    /// One item of 100 bytes per id, due now.
    fn items<'a>(lane: &'a Scope, ids: &'a [String]) -> Vec<NewItem<'a>> {
        ids.iter()
            .map(|id| NewItem {
                lane,
                record_id: id,
                body: &[7; 100],
                due_ms: 0,
            })
            .collect()
    }

    fn open(dir: &Path, truncate_at: u64) -> SledDeliveryStore {
        let db = crate::open::open_db(&sled::Config::new().path(dir)).unwrap();
        let cell = Arc::new(Cell::new(db, Some(dir.to_owned()), "test").unwrap());
        SledDeliveryStore::with_truncate_at(cell, Some(&dir.join("ingest.wal")), truncate_at)
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
                store.enqueue(&items(&lane, chunk)).unwrap();
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

    #[test]
    fn an_idle_log_is_emptied_however_small_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let lane = Scope::new("acme", "hubspot");
        let store = open(dir.path(), TRUNCATE_AT);
        let ids: Vec<String> = (0..20).map(|i| format!("r{i}")).collect();
        store.enqueue(&items(&lane, &ids)).unwrap();
        store.sync_enqueued().unwrap();
        let wal = store.inner.wal.as_ref().unwrap();
        assert!(wal.len() > 0);
        let deadline = Instant::now() + Duration::from_secs(60);
        while wal.len() > 0 {
            assert!(Instant::now() < deadline, "an idle log was never emptied");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(store.pending(&lane).unwrap(), 20);
    }
}
