//! The audit log: one entry per delivery transition, searchable and retention-bounded.
//!
//! The delivery pipeline appends an entry for every attempt and every other transition
//! (enqueued, dead-lettered, replayed, acknowledged). This crate knows nothing of those
//! types: an entry is an opaque `body` (the pipeline stores JSON) plus the fields it is
//! searched by: time, tenant, connector, record id and trace id.
//!
//! # Layout
//!
//! The tree `audit` holds the entries, keyed by `(time_ms, seq)`. Three index trees point
//! into it, each keyed by length-prefixed strings then `(time_ms, seq)`, with empty values:
//! `audit_tenant` by tenant, `audit_record` by (record id, tenant), `audit_trace` by trace
//! id. An entry and its three index rows are written and removed in one sled transaction.
//! The byte layout is in the crate docs.
//!
//! How searches use the indexes, what they cost, retention and durability: see
//! [`AuditLog`].

use std::cmp::Reverse;
use std::ops::Bound;

use sled::transaction::Transactional;
use std::sync::Arc;

use sled::{IVec, Tree};

use crate::cell::Cell;

use crate::audit_codec::{
    EntryView, decode_value, encode_value, index_key, index_prefix, primary_key, split_record_key,
    split_suffix,
};
use crate::error::flatten_tx;

/// Most entries removed in one purge transaction.
const PURGE_CHUNK: usize = 64;

/// One entry to add with [`AuditLog::append`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAuditEntry<'a> {
    /// When the transition happened (unix milliseconds). Chosen by the caller; entries are
    /// ordered and purged by it.
    pub time_ms: u64,
    /// The tenant. At most [`AuditLog::MAX_FIELD_BYTES`], like the other strings.
    pub tenant: &'a str,
    /// The connector (deployment) of the tenant.
    pub connector: &'a str,
    /// The id of the record delivered.
    pub record_id: &'a str,
    /// The trace id of the delivery.
    pub trace_id: &'a str,
    /// Opaque details (the pipeline stores JSON). At most [`AuditLog::MAX_BODY_BYTES`].
    pub body: &'a [u8],
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Unique, increasing with append order (from sled's `generate_id`, which job ids share,
    /// so seqs have gaps).
    pub seq: u64,
    /// When the transition happened (unix milliseconds).
    pub time_ms: u64,
    /// The tenant.
    pub tenant: String,
    /// The connector (deployment) of the tenant.
    pub connector: String,
    /// The id of the record.
    pub record_id: String,
    /// The trace id.
    pub trace_id: String,
    /// The opaque details given to [`AuditLog::append`].
    pub body: Vec<u8>,
}

impl AuditEntry {
    /// The cursor that continues a search after this entry: pass it as
    /// [`AuditQuery::before`] to get the next (older) page.
    pub fn cursor(&self) -> AuditCursor {
        AuditCursor {
            time_ms: self.time_ms,
            seq: self.seq,
        }
    }
}

/// A position in the newest-first order of search results: the `(time_ms, seq)` of an
/// entry. Both are needed because `time_ms` is chosen by the caller, so seq order alone is
/// not time order. It stays valid after its entry is purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuditCursor {
    /// The entry's time (unix milliseconds).
    pub time_ms: u64,
    /// The entry's seq.
    pub seq: u64,
}

/// What [`AuditLog::search`] looks for. Every condition that is set must hold; unset ones
/// match everything. Build it with struct update syntax:
/// `AuditQuery { trace_id: Some(id), ..AuditQuery::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries of this tenant.
    pub tenant: Option<String>,
    /// Only entries of this connector (not indexed: checked on each examined entry).
    pub connector: Option<String>,
    /// Only entries of this record id (of any tenant unless `tenant` is set).
    pub record_id: Option<String>,
    /// Only entries of this trace id.
    pub trace_id: Option<String>,
    /// Only entries with `time_ms >= from_ms`.
    pub from_ms: Option<u64>,
    /// Only entries with `time_ms < to_ms` (exclusive).
    pub to_ms: Option<u64>,
    /// At most this many entries; capped at [`AuditLog::MAX_SEARCH_LIMIT`]. Default 100.
    pub limit: usize,
    /// Only entries after this one in newest-first order (strictly older `(time_ms, seq)`):
    /// the [`AuditEntry::cursor`] of the last entry of the previous page.
    pub before: Option<AuditCursor>,
}

impl Default for AuditQuery {
    /// Matches everything, newest 100 entries.
    fn default() -> Self {
        Self {
            tenant: None,
            connector: None,
            record_id: None,
            trace_id: None,
            from_ms: None,
            to_ms: None,
            limit: 100,
            before: None,
        }
    }
}

/// An audit operation was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// A string field is longer than [`AuditLog::MAX_FIELD_BYTES`] or the body is larger
    /// than [`AuditLog::MAX_BODY_BYTES`]. Nothing of the batch was written.
    #[error("audit entry {field} is {len} bytes, more than the limit of {limit}")]
    TooLong {
        /// `"tenant"`, `"connector"`, `"record_id"`, `"trace_id"` or `"body"`.
        field: &'static str,
        /// Its length, in bytes.
        len: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A stored entry or index row could not be decoded.
    #[error("corrupt audit record: {0}")]
    Corrupt(String),
    /// The underlying storage failed.
    #[error("storage error: {0}")]
    Storage(String),
}

impl From<sled::Error> for AuditError {
    fn from(e: sled::Error) -> Self {
        AuditError::Storage(e.to_string())
    }
}

/// The audit log of every scope. Cheap to clone; get it from
/// [`Storage::audit`](crate::Storage::audit).
///
/// # Searching
///
/// [`AuditLog::search`] returns entries newest first (descending `(time_ms, seq)`), at
/// most [`AuditQuery::limit`]. It reads the most selective index the query allows:
///
/// | Query has | Reads | Cost |
/// |---|---|---|
/// | `trace_id` | `audit_trace`, range `[from, to)` in reverse | the trace's rows in range |
/// | `record_id` and `tenant` | `audit_record`, range `[from, to)` in reverse | the record's rows in range |
/// | `record_id` only | `audit_record`, every tenant's rows of that id, then sorted | all rows with that record id |
/// | `tenant` | `audit_tenant`, range `[from, to)` in reverse | the tenant's rows, newest first, until `limit` matches |
/// | none of these | `audit`, range `[from, to)` in reverse | every entry, newest first, until `limit` matches |
///
/// Conditions the index does not cover (e.g. `connector`) are checked on the entry, which
/// costs a point read per examined row; a rare connector of a busy tenant over a wide time
/// range therefore scans many rows. A search is not a snapshot: entries appended or purged
/// while it runs may or may not be returned.
///
/// # Retention and durability
///
/// [`AuditLog::purge_older_than`] removes the oldest entries with their index rows, at
/// most `max` per call, in transactions of at most 64 entries. [`AuditLog::append`] does
/// not flush: the caller makes entries durable with
/// [`Storage::flush`](crate::Storage::flush), usually as part of its own group commit.
///
/// sled 0.34 applies a transaction's writes under a process-wide lock that every other
/// sled write (state, jobs, other trees) waits for, so transaction size is latency for
/// every writer. Appending costs about 4 tree writes per entry (measured 70-120 µs per
/// entry on a loaded 2-core machine with a million entries stored; `benches/audit.rs`): keep
/// append batches to tens or a few hundred entries, and purge in calls of a few thousand.
#[derive(Debug, Clone)]
pub struct AuditLog {
    cell: Arc<Cell>,
}

/// Where a search reads its candidates from.
enum Plan {
    /// An index tree: every key is `prefix | time | seq`.
    Index(Tree, Vec<u8>),
    /// `audit_record` by record id alone: keys are `prefix | str(tenant) | time | seq`.
    RecordAnyTenant(Vec<u8>),
    /// The entries tree itself.
    Entries,
}

impl AuditLog {
    /// Longest tenant, connector, record id or trace id, in bytes.
    pub const MAX_FIELD_BYTES: usize = 1024;
    /// Largest body, in bytes.
    pub const MAX_BODY_BYTES: usize = 1 << 20;
    /// Most entries one search returns, whatever [`AuditQuery::limit`] asks for.
    pub const MAX_SEARCH_LIMIT: usize = 10_000;

    /// The audit log of the database in `cell`.
    pub(crate) fn new(cell: Arc<Cell>) -> Self {
        Self { cell }
    }

    /// Adds entries atomically (one sled transaction: all of them with their index rows, or
    /// none); returns their seqs in order.
    ///
    /// Does **not** flush: the entries become durable at the caller's next
    /// [`Storage::flush`](crate::Storage::flush) (or any flush, or sled's background flush
    /// every 500 ms). One transaction per call: batch entries (tens to a few hundred; see the
    /// type docs on transaction size).
    pub fn append(&self, entries: &[NewAuditEntry<'_>]) -> Result<Vec<u64>, AuditError> {
        for entry in entries {
            check_entry(entry)?;
        }
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let db = self.cell.get()?;
        let mut rows = Vec::with_capacity(entries.len());
        for entry in entries {
            let seq = db.db.generate_id()?;
            let t = entry.time_ms;
            rows.push(Row {
                seq,
                key: primary_key(t, seq),
                value: encode_value(
                    entry.tenant,
                    entry.connector,
                    entry.record_id,
                    entry.trace_id,
                    entry.body,
                ),
                tenant: index_key(&index_prefix(&[entry.tenant]), t, seq),
                record: index_key(&index_prefix(&[entry.record_id, entry.tenant]), t, seq),
                trace: index_key(&index_prefix(&[entry.trace_id]), t, seq),
            });
        }
        let trees = (
            &db.audit,
            &db.audit_tenant,
            &db.audit_record,
            &db.audit_trace,
        );
        let result = trees.transaction(|(entries, by_tenant, by_record, by_trace)| {
            for row in &rows {
                entries.insert(&row.key[..], row.value.as_slice())?;
                by_tenant.insert(row.tenant.as_slice(), &[][..])?;
                by_record.insert(row.record.as_slice(), &[][..])?;
                by_trace.insert(row.trace.as_slice(), &[][..])?;
            }
            Ok(())
        });
        flatten_tx::<(), AuditError>(result)?;
        Ok(rows.into_iter().map(|row| row.seq).collect())
    }

    /// The entries matching `query`, newest first (descending `(time_ms, seq)`), at most
    /// `query.limit` (capped at [`AuditLog::MAX_SEARCH_LIMIT`]). See the type docs for
    /// which index is used and what it costs.
    ///
    /// A stored entry that cannot be decoded fails the search with
    /// [`AuditError::Corrupt`]; index rows whose entry is gone (purged meanwhile) are
    /// skipped.
    pub fn search(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, AuditError> {
        let limit = query.limit.min(Self::MAX_SEARCH_LIMIT);
        let from = query.from_ms.unwrap_or(0);
        // Exclusive upper bound on (time, seq): the smaller of `to` and the cursor.
        let upper = match (query.to_ms.map(|to| (to, 0)), query.before) {
            (Some(to), Some(c)) => Some(to.min((c.time_ms, c.seq))),
            (to, cursor) => to.or(cursor.map(|c| (c.time_ms, c.seq))),
        };
        if limit == 0 || upper.is_some_and(|upper| upper <= (from, 0)) {
            return Ok(Vec::new());
        }
        let filter = Filter { query, from, upper };
        let mut out = Vec::new();
        match self.plan(query)? {
            Plan::Entries => {
                for row in self.cell.get()?.audit.range(bounds(&[], from, upper)).rev() {
                    let (key, value) = row?;
                    let (time_ms, seq) = split_suffix(&key, 0)?;
                    filter.push_if_match(time_ms, seq, &value, &mut out)?;
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            Plan::Index(tree, prefix) => {
                for key in tree.range(bounds(&prefix, from, upper)).keys().rev() {
                    let (time_ms, seq) = split_suffix(&key?, prefix.len())?;
                    self.push_if_match(&filter, time_ms, seq, &mut out)?;
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            Plan::RecordAnyTenant(prefix) => {
                let mut candidates = Vec::new();
                for key in self.cell.get()?.audit_record.scan_prefix(&prefix).keys() {
                    let (time_ms, seq) = split_record_key(&key?, prefix.len())?;
                    if filter.in_range(time_ms, seq) {
                        candidates.push((time_ms, seq));
                    }
                }
                candidates.sort_unstable_by_key(|&c| Reverse(c));
                for (time_ms, seq) in candidates {
                    self.push_if_match(&filter, time_ms, seq, &mut out)?;
                    if out.len() >= limit {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Removes up to `max` of the oldest entries with `time_ms < cutoff_ms`, with their
    /// index rows; returns how many were removed. Call it again while it returns `max`.
    ///
    /// Works in transactions of at most 64 entries (a few ms each), so other writers wait
    /// at most for one of them, never for the whole call. Not flushed, like [`AuditLog::append`]. An entry whose value is
    /// corrupt is removed too; its index rows cannot be found and stay behind, and searches
    /// skip them.
    pub fn purge_older_than(&self, cutoff_ms: u64, max: usize) -> Result<usize, AuditError> {
        let end = primary_key(cutoff_ms, 0);
        let mut removed = 0;
        while removed < max {
            let chunk = (max - removed).min(PURGE_CHUNK);
            let keys = self
                .cell
                .get()?
                .audit
                .range(..&end[..])
                .keys()
                .take(chunk)
                .collect::<Result<Vec<IVec>, _>>()?;
            if keys.is_empty() {
                break;
            }
            removed += self.purge_keys(&keys)?;
            if keys.len() < chunk {
                break;
            }
        }
        Ok(removed)
    }

    /// How many entries the log holds. A full scan of the entries tree's keys, O(entries)
    /// (about a second per million): for tests and occasional monitoring, not hot paths.
    pub fn len(&self) -> Result<usize, AuditError> {
        let mut count = 0;
        for key in self.cell.get()?.audit.iter().keys() {
            key?;
            count += 1;
        }
        Ok(count)
    }

    /// Whether the log holds no entries (cheap).
    pub fn is_empty(&self) -> Result<bool, AuditError> {
        Ok(self.cell.get()?.audit.first()?.is_none())
    }

    fn plan(&self, query: &AuditQuery) -> Result<Plan, AuditError> {
        let db = self.cell.get()?;
        Ok(match (&query.trace_id, &query.record_id, &query.tenant) {
            (Some(trace), _, _) => Plan::Index(db.audit_trace.clone(), index_prefix(&[trace])),
            (None, Some(record), Some(tenant)) => {
                Plan::Index(db.audit_record.clone(), index_prefix(&[record, tenant]))
            }
            (None, Some(record), None) => Plan::RecordAnyTenant(index_prefix(&[record])),
            (None, None, Some(tenant)) => {
                Plan::Index(db.audit_tenant.clone(), index_prefix(&[tenant]))
            }
            (None, None, None) => Plan::Entries,
        })
    }

    /// Reads the entry an index row points to and keeps it if it matches.
    fn push_if_match(
        &self,
        filter: &Filter<'_>,
        time_ms: u64,
        seq: u64,
        out: &mut Vec<AuditEntry>,
    ) -> Result<(), AuditError> {
        match self.cell.get()?.audit.get(primary_key(time_ms, seq))? {
            Some(value) => filter.push_if_match(time_ms, seq, &value, out),
            // Purged between reading the index row and the entry.
            None => Ok(()),
        }
    }

    /// Removes the entries with these keys and their index rows, in one transaction;
    /// returns how many were still there.
    fn purge_keys(&self, keys: &[IVec]) -> Result<usize, AuditError> {
        let db = self.cell.get()?;
        let trees = (
            &db.audit,
            &db.audit_tenant,
            &db.audit_record,
            &db.audit_trace,
        );
        let result = trees.transaction(|(entries, by_tenant, by_record, by_trace)| {
            let mut removed = 0;
            for key in keys {
                let Some(value) = entries.remove(key)? else {
                    continue; // removed by a concurrent purge
                };
                removed += 1;
                let (Ok((t, seq)), Ok(entry)) = (split_suffix(key, 0), decode_value(&value)) else {
                    continue; // corrupt: its index rows cannot be found
                };
                by_tenant.remove(index_key(&index_prefix(&[entry.tenant]), t, seq))?;
                by_record.remove(index_key(
                    &index_prefix(&[entry.record_id, entry.tenant]),
                    t,
                    seq,
                ))?;
                by_trace.remove(index_key(&index_prefix(&[entry.trace_id]), t, seq))?;
            }
            Ok(removed)
        });
        flatten_tx::<usize, AuditError>(result)
    }
}

/// One entry of an append, encoded.
struct Row {
    seq: u64,
    key: [u8; 16],
    value: Vec<u8>,
    tenant: Vec<u8>,
    record: Vec<u8>,
    trace: Vec<u8>,
}

/// A query with its time bounds resolved.
struct Filter<'a> {
    query: &'a AuditQuery,
    from: u64,
    /// Exclusive upper bound on `(time_ms, seq)`.
    upper: Option<(u64, u64)>,
}

impl Filter<'_> {
    fn in_range(&self, time_ms: u64, seq: u64) -> bool {
        time_ms >= self.from && self.upper.is_none_or(|upper| (time_ms, seq) < upper)
    }

    fn matches(&self, time_ms: u64, seq: u64, entry: &EntryView<'_>) -> bool {
        let q = self.query;
        let is = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        self.in_range(time_ms, seq)
            && is(&q.tenant, entry.tenant)
            && is(&q.connector, entry.connector)
            && is(&q.record_id, entry.record_id)
            && is(&q.trace_id, entry.trace_id)
    }

    /// Decodes an entry value and keeps it if it matches.
    fn push_if_match(
        &self,
        time_ms: u64,
        seq: u64,
        value: &[u8],
        out: &mut Vec<AuditEntry>,
    ) -> Result<(), AuditError> {
        let entry = decode_value(value).map_err(|e| match e {
            AuditError::Corrupt(why) => {
                AuditError::Corrupt(format!("entry seq {seq} at time_ms {time_ms}: {why}"))
            }
            other => other,
        })?;
        if self.matches(time_ms, seq, &entry) {
            out.push(entry.to_entry(time_ms, seq));
        }
        Ok(())
    }
}

/// Key bounds of `prefix | time | seq` for `time >= from` and `(time, seq) < upper`.
fn bounds(prefix: &[u8], from: u64, upper: Option<(u64, u64)>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let start = Bound::Included(index_key(prefix, from, 0));
    let end = match upper {
        Some((time, seq)) => Bound::Excluded(index_key(prefix, time, seq)),
        None => Bound::Included(index_key(prefix, u64::MAX, u64::MAX)),
    };
    (start, end)
}

fn check_entry(entry: &NewAuditEntry<'_>) -> Result<(), AuditError> {
    let fields = [
        ("tenant", entry.tenant),
        ("connector", entry.connector),
        ("record_id", entry.record_id),
        ("trace_id", entry.trace_id),
    ];
    for (field, value) in fields {
        if value.len() > AuditLog::MAX_FIELD_BYTES {
            return Err(AuditError::TooLong {
                field,
                len: value.len(),
                limit: AuditLog::MAX_FIELD_BYTES,
            });
        }
    }
    if entry.body.len() > AuditLog::MAX_BODY_BYTES {
        return Err(AuditError::TooLong {
            field: "body",
            len: entry.body.len(),
            limit: AuditLog::MAX_BODY_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Searches skip index rows without an entry, so only the raw trees show whether purge
    /// removed them.
    #[test]
    fn purge_removes_every_index_row_of_its_entries() {
        let storage = crate::Storage::temporary().unwrap();
        let log = storage.audit();
        let tenants = ["a", "b", "c"];
        let entries: Vec<NewAuditEntry<'_>> = (0..600u64)
            .map(|i| NewAuditEntry {
                time_ms: i / 2,
                tenant: tenants[i as usize % 3],
                connector: "c",
                record_id: if i % 2 == 0 { "r1" } else { "r2" },
                trace_id: tenants[i as usize % 3],
                body: b"{}",
            })
            .collect();
        log.append(&entries).unwrap();
        let rows = |log: &AuditLog| {
            let db = log.cell.get().unwrap();
            [
                &db.audit,
                &db.audit_tenant,
                &db.audit_record,
                &db.audit_trace,
            ]
            .map(|t| t.len())
        };
        assert_eq!(rows(&log), [600; 4]);
        assert_eq!(log.purge_older_than(150, 1000).unwrap(), 300);
        assert_eq!(rows(&log), [300; 4]);
        let db = log.cell.get().unwrap();
        for tree in [&db.audit_tenant, &db.audit_record, &db.audit_trace] {
            for key in tree.iter().keys() {
                let key = key.unwrap();
                let (time_ms, _) = split_suffix(&key, key.len() - 16).unwrap();
                assert!(time_ms >= 150, "{key:?}");
            }
        }
        assert_eq!(log.purge_older_than(u64::MAX, usize::MAX).unwrap(), 300);
        assert_eq!(rows(&log), [0; 4]);
    }
}
