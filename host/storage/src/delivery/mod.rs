//! The delivery store: durable per-deployment queues of records to deliver, with leases,
//! scheduled retries and a dead-letter queue, behind one trait.
//!
//! The pipeline (workers, ingest API, DLQ tools) only talks to [`DeliveryStore`]; sled is
//! one implementation ([`SledDeliveryStore`]). Another backend replaces it by implementing
//! the trait, without touching the pipeline.
//!
//! # The life of an item
//!
//! ```text
//! enqueue ──► queued(due) ──lease──► leased(until) ──ack──────────► gone (key: delivered)
//!                 ▲                      │  ├──retry_later──► queued(new due)
//!                 │                      │  └──dead_letter──► DLQ entry (key: dead)
//!                 ├──────── lease expires / release ─┘
//!                 └──────── dlq_replay ◄── DLQ entry (open) ──dlq_resolve──► resolved
//! ```
//!
//! Every arrow is one atomic write. Items carry an opaque `body` (the pipeline's record and
//! attempt history); the store only knows what it needs to schedule and to filter.
//!
//! # Durability
//!
//! No method flushes, except [`DeliveryStore::sync_enqueued`] and [`DeliveryStore::flush`].
//! The ingest path enqueues, then waits for a `sync_enqueued` shared with concurrent
//! requests (group commit) before answering. A lost `ack` after a crash re-runs a delivered
//! record, which the connector's idempotency key makes harmless.
//!
//! [`SledDeliveryStore`] on a directory appends new items to an ingest log (`wal`) that
//! `sync_enqueued` syncs with `fdatasync`; a background thread writes them into sled, and
//! the log is replayed into sled when the store opens. Without a directory (temporary
//! storage) items go straight into sled and `sync_enqueued` is sled's flush.
//!
//! # Storage failures
//!
//! A failed write (a full disk, a file-size limit, an I/O error) turns the store's
//! [`Health`] to failing. The ingest log keeps every item sled has not taken and is only
//! emptied once sled holds all of them durably; the applier retries, reopens sled in place
//! when sled refuses to go on (see `cell`), replays the log into it, and turns the health
//! back to durable once the log and sled both accept writes again. No restart is needed.

mod applier;
mod codec;
mod dlq;
mod queue;
mod store;
mod wal;

pub(crate) use store::DELIVERY_TREE;
pub use store::SledDeliveryStore;

use std::sync::{Mutex, MutexGuard};

pub use crate::cell::Health;
use crate::scope::Scope;

/// Locks `m`. Every change under these locks is one sled batch or one file write, so a
/// panic while one was held leaves nothing half done: a poisoned lock is taken over.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Most bytes of a record id.
pub const MAX_RECORD_ID_BYTES: usize = 512;
/// Most bytes of a dead-letter reason tag.
pub const MAX_REASON_BYTES: usize = 64;

/// A record to add to one deployment's queue.
#[derive(Debug, Clone, Copy)]
pub struct NewItem<'a> {
    /// The tenant and deployment (the queue).
    pub lane: &'a Scope,
    /// The caller's record id; at most one live or delivered item per lane has it.
    pub record_id: &'a str,
    /// Opaque bytes for the worker.
    pub body: &'a [u8],
    /// Not to be leased before this time (unix ms).
    pub due_ms: u64,
}

/// What enqueueing one [`NewItem`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Added as a new item with this id.
    New(u64),
    /// The lane already had this record id: nothing was added.
    Duplicate {
        /// The id of the item that has (or had) it.
        id: u64,
        /// Where that item is now.
        state: KeyState,
    },
}

/// Where the item that holds a record id is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Queued or leased.
    Pending,
    /// Delivered and acknowledged.
    Delivered,
    /// In the dead-letter queue.
    DeadLettered,
}

impl KeyState {
    /// `pending`, `delivered` or `dead-lettered`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Pending => "pending",
            KeyState::Delivered => "delivered",
            KeyState::DeadLettered => "dead-lettered",
        }
    }
}

/// A lane's rate-limit pause, kept so a restarted host does not meet the CRM's limit again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanePause {
    /// Unix time in ms until which the lane sends nothing.
    pub until_ms: u64,
    /// Why, as the audit log said it.
    pub reason: String,
}

/// A leased item: the worker owns it until `lease.until_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    /// Proof of ownership for ack, retry, release and dead-letter.
    pub lease: Lease,
    /// The record id.
    pub record_id: String,
    /// The body given at enqueue or at the last `retry_later`.
    pub body: Vec<u8>,
}

/// Ownership of one leased item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The queue.
    pub lane: Scope,
    /// The item.
    pub item_id: u64,
    /// Unique per lease: an expired lease cannot ack an item someone else leased since.
    pub token: u64,
    /// When the lease expires (unix ms).
    pub until_ms: u64,
}

/// An item moving to the dead-letter queue.
#[derive(Debug, Clone, Copy)]
pub struct NewDeadLetter<'a> {
    /// Why, as a short tag (`validation`, `retries-exhausted`, ...), 1 to 64 bytes.
    pub reason: &'a str,
    /// Opaque bytes: the record, the normalized payload, every attempt.
    pub body: &'a [u8],
    /// When (unix ms).
    pub time_ms: u64,
}

/// Where a dead letter is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DlqStatus {
    /// Waiting for an operator.
    Open,
    /// Sent back to the queue (the entry is kept for the record).
    Replayed,
    /// Acknowledged by an operator without replay (kept for the record).
    Resolved,
}

impl DlqStatus {
    /// `open`, `replayed` or `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            DlqStatus::Open => "open",
            DlqStatus::Replayed => "replayed",
            DlqStatus::Resolved => "resolved",
        }
    }

    /// Parses [`DlqStatus::as_str`]'s text.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Open, Self::Replayed, Self::Resolved]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One dead-letter queue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The entry id (creation order).
    pub id: u64,
    /// The tenant and deployment it came from.
    pub lane: Scope,
    /// The record id.
    pub record_id: String,
    /// The reason tag.
    pub reason: String,
    /// When it was dead-lettered (unix ms).
    pub time_ms: u64,
    /// Where it is now.
    pub status: DlqStatus,
    /// When the status last changed (unix ms).
    pub status_ms: u64,
    /// Operator's note on resolve or replay.
    pub note: String,
    /// Opaque bytes from [`NewDeadLetter::body`], or an operator's edit.
    pub body: Vec<u8>,
}

/// Which dead letters to list; every set field must match.
#[derive(Debug, Clone, Default)]
pub struct DlqFilter {
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only this deployment.
    pub deployment: Option<String>,
    /// Only this reason tag.
    pub reason: Option<String>,
    /// Only this status.
    pub status: Option<DlqStatus>,
    /// Dead-lettered at or after (unix ms).
    pub from_ms: Option<u64>,
    /// Dead-lettered before (unix ms).
    pub to_ms: Option<u64>,
    /// Only entries with an id below this (paging, newest first).
    pub before_id: Option<u64>,
    /// At most this many (0 means the default of 100).
    pub limit: usize,
}

/// A delivery-store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The lease expired and the item was leased again, acked or moved since.
    #[error("lease {token} on item {item_id} is no longer held")]
    LeaseLost {
        /// The item.
        item_id: u64,
        /// The lost lease.
        token: u64,
    },
    /// No dead letter has this id.
    #[error("no dead letter with id {0}")]
    NoSuchDeadLetter(u64),
    /// The dead letter is not open (already replayed or resolved).
    #[error("dead letter {id} is {status}, not open")]
    NotOpen {
        /// The entry.
        id: u64,
        /// Its status.
        status: &'static str,
    },
    /// An argument is out of range (empty record id, reason too long, ...).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which argument.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// Stored bytes could not be decoded.
    #[error("corrupt delivery record: {0}")]
    Corrupt(String),
    /// The backend failed.
    #[error("storage error: {0}")]
    Storage(String),
}

impl From<sled::Error> for DeliveryError {
    fn from(e: sled::Error) -> Self {
        DeliveryError::Storage(e.to_string())
    }
}

/// Durable delivery queues and the dead-letter queue. Each method is one atomic state
/// change (see the module docs); none flushes except [`DeliveryStore::flush`].
pub trait DeliveryStore: Send + Sync + 'static {
    /// Adds items, all or none. A record id the lane already has is reported as
    /// [`Enqueued::Duplicate`] and not added (also when it appears twice in `items`).
    fn enqueue(&self, items: &[NewItem<'_>]) -> Result<Vec<Enqueued>, DeliveryError>;

    /// Makes every enqueue so far durable (what the ingest API waits for before its 202).
    /// May be cheaper than [`DeliveryStore::flush`]; by default it is that.
    fn sync_enqueued(&self) -> Result<(), DeliveryError> {
        self.flush()
    }

    /// Makes every change so far durable.
    fn flush(&self) -> Result<(), DeliveryError>;

    /// Whether new records can be made durable now. While it is [`Health::Failing`], the
    /// ingest API refuses records (503) rather than accept what it might lose.
    fn health(&self) -> Health {
        Health::Durable
    }

    /// Leases up to `max` items of `lane` that are due at `now_ms` (queued with
    /// `due_ms <= now_ms`, or leased with an expired lease), oldest due first, for `lease_ms`.
    /// Sees every item enqueued before the call; may block briefly to do so.
    fn lease(
        &self,
        lane: &Scope,
        now_ms: u64,
        lease_ms: u64,
        max: usize,
    ) -> Result<Vec<Leased>, DeliveryError>;

    /// The item was delivered: removes it and marks its record id delivered.
    fn ack(&self, lease: &Lease) -> Result<(), DeliveryError>;

    /// Puts the item back, due at `due_ms`, with a new body (the attempt history so far).
    fn retry_later(&self, lease: &Lease, due_ms: u64, body: &[u8]) -> Result<(), DeliveryError>;

    /// Gives the item back unchanged, due at `now_ms` (graceful shutdown).
    fn release(&self, lease: &Lease, now_ms: u64) -> Result<(), DeliveryError>;

    /// Moves the item to the dead-letter queue; returns the entry id.
    fn dead_letter(&self, lease: &Lease, letter: NewDeadLetter<'_>) -> Result<u64, DeliveryError>;

    /// Ends every lease (at start-up: the store is owned by one process, so any lease
    /// found belongs to a process that died). Returns how many were released.
    fn release_all_leases(&self, now_ms: u64) -> Result<usize, DeliveryError>;

    /// Items queued or leased in `lane`.
    fn pending(&self, lane: &Scope) -> Result<usize, DeliveryError>;

    /// The earliest `due_ms` in `lane`, if it has items (leased items count at lease end).
    fn next_due(&self, lane: &Scope) -> Result<Option<u64>, DeliveryError>;

    /// Where the item holding `record_id` in `lane` is, if any.
    fn key_state(&self, lane: &Scope, record_id: &str) -> Result<Option<KeyState>, DeliveryError>;

    /// Dead letters matching `filter`, newest first.
    fn dlq_list(&self, filter: &DlqFilter) -> Result<Vec<DeadLetter>, DeliveryError>;

    /// One dead letter.
    fn dlq_get(&self, id: u64) -> Result<Option<DeadLetter>, DeliveryError>;

    /// Replaces an open entry's body (an operator's fix before replay).
    fn dlq_edit(&self, id: u64, body: &[u8]) -> Result<(), DeliveryError>;

    /// Sends an open entry back to its lane's queue, due at `now_ms`, under the same record
    /// id (so the same idempotency key); marks it replayed. `item_body` turns the entry's
    /// body into the new item's body (called once, inside the atomic change; its error
    /// aborts the replay). Returns the new item id.
    fn dlq_replay(
        &self,
        id: u64,
        now_ms: u64,
        note: &str,
        item_body: &dyn Fn(&DeadLetter) -> Result<Vec<u8>, String>,
    ) -> Result<u64, DeliveryError>;

    /// Marks an open entry resolved without replay; it is kept for the record.
    fn dlq_resolve(&self, id: u64, now_ms: u64, note: &str) -> Result<(), DeliveryError>;

    /// Keeps `pause` as `lane`'s rate-limit pause, replacing the one before. Durable with
    /// the next flush, like every other change.
    fn save_pause(&self, lane: &Scope, pause: &LanePause) -> Result<(), DeliveryError>;

    /// The pause last saved for `lane`, expired or not.
    fn saved_pause(&self, lane: &Scope) -> Result<Option<LanePause>, DeliveryError>;
}
