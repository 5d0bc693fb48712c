//! Durable connector state and job queues for Switchboard, in one embedded sled database.
//!
//! A [`Storage`] is one sled database directory. Data is owned by a [`Scope`] (tenant +
//! deployment, as the operator named it): [`Storage::state`] gives its key-value [`StateStore`] and [`Storage::jobs`]
//! its [`JobQueue`]. Scopes never see each other's data. [`Storage::audit`] gives the
//! [`AuditLog`] of delivery transitions, shared by all scopes and searched by tenant.
//!
//! # On-disk layout
//!
//! Sled trees. `prefix` is the scope's length-prefixed encoding
//! (`u64 BE len(tenant) | tenant | u64 BE len(deployment) | deployment`), which no other
//! scope's keys can start with.
//!
//! | Tree | Key | Value |
//! |---|---|---|
//! | `state` | `prefix \| key (UTF-8)` | the value bytes |
//! | `state_counts` | `prefix` | number of keys of the scope, `u64 BE` |
//! | `jobs` | `prefix \| not_before_ms u64 BE \| id (20 digits)` | `0x01 \| created_ms u64 BE \| u16 BE kind len \| kind \| payload` |
//! | `job_ids` | `prefix \| id (20 digits)` | `not_before_ms u64 BE` |
//! | `meta` | `scopes-by-deployment`, `key-identity/ \| prefix`, `copying/ \| prefix` | markers of the scope migration (see [`Storage::migrate_scopes`]) |
//! | `audit` | `time_ms u64 BE \| seq u64 BE` | `0x01 \| str(tenant) \| str(connector) \| str(record_id) \| str(trace_id) \| body` |
//! | `audit_tenant` | `str(tenant) \| time_ms u64 BE \| seq u64 BE` | empty |
//! | `audit_record` | `str(record_id) \| str(tenant) \| time_ms u64 BE \| seq u64 BE` | empty |
//! | `audit_trace` | `str(trace_id) \| time_ms u64 BE \| seq u64 BE` | empty |
//!
//! The audit trees are not scoped: `str(s)` is `u16 BE len(s) | s`, which keeps the string
//! part of index keys prefix-free in the same way.
//!
//! Multi-tree updates (a value and its count, a job and its index entry, an audit entry and
//! its index rows) are sled transactions, so they are applied together or not at all.
//!
//! # Durability
//!
//! - [`JobQueue::enqueue`] and [`JobQueue::enqueue_many`] flush before returning.
//! - [`StateStore::set`]/[`StateStore::delete`] and [`JobQueue::remove`] do not; they become
//!   durable at the next [`Storage::flush`] (or any enqueue's flush) or sled's background
//!   flush (every 500 ms). A crash may lose them; a lost `remove` re-runs a job
//!   (at-least-once).
//! - [`AuditLog::append`] and [`AuditLog::purge_older_than`] do not flush either: the
//!   pipeline flushes as part of its own group commit.
//! - sled 0.34's flush writes and `sync_file_range`s its log: flushed data survives a crash
//!   of the process (proven by this crate's abort tests); surviving power loss is not
//!   proven.

#![warn(missing_docs)]

mod audit;
mod audit_codec;
mod cell;
pub mod delivery;
mod error;
mod job_codec;
mod jobs;
mod migrate;
mod open;
mod scope;
mod state;
mod storage;

pub use audit::{AuditCursor, AuditEntry, AuditError, AuditLog, AuditQuery, NewAuditEntry};
pub use cell::Health;
pub use error::{QueueError, StateError, StorageError};
pub use jobs::{Job, JobQueue, NewJob, QueueUsage};
pub use migrate::{Adopted, LegacyClaim};
pub use scope::Scope;
pub use state::{StateLimits, StateStore};
pub use storage::Storage;
