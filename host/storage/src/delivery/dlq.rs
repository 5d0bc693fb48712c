//! Dead-letter transitions: dead-letter, list, get, edit, replay, resolve.

use sled::Batch;

use super::codec::{
    DLQ, ItemRow, decode_dead_letter, dlq_key, dlq_key_id, due_key, encode_dead_letter,
    encode_item, encode_key_state, item_key, record_key,
};
use super::queue::{held, remove_item};
use super::store::Inner;
use super::{
    DeadLetter, DeliveryError, DlqFilter, DlqStatus, KeyState, Lease, MAX_REASON_BYTES,
    NewDeadLetter,
};

/// Default page size of [`list`].
const DEFAULT_LIMIT: usize = 100;

pub(super) fn dead_letter(
    inner: &Inner,
    lease: &Lease,
    letter: NewDeadLetter<'_>,
) -> Result<u64, DeliveryError> {
    if letter.reason.is_empty() || letter.reason.len() > MAX_REASON_BYTES {
        return Err(DeliveryError::Invalid {
            what: "dead-letter reason",
            reason: format!("must be 1 to {MAX_REASON_BYTES} bytes"),
        });
    }
    let _guard = inner.lock();
    let row = held(inner, lease)?;
    let id = inner.next_id()?;
    let entry = DeadLetter {
        id,
        lane: lease.lane.clone(),
        record_id: row.record_id.clone(),
        reason: letter.reason.to_owned(),
        time_ms: letter.time_ms,
        status: DlqStatus::Open,
        status_ms: letter.time_ms,
        note: String::new(),
        body: letter.body.to_vec(),
    };
    let mut batch = Batch::default();
    remove_item(&mut batch, lease, &row);
    batch.insert(
        record_key(&lease.lane, &row.record_id),
        &encode_key_state(KeyState::DeadLettered, id)[..],
    );
    batch.insert(&dlq_key(id)[..], encode_dead_letter(&entry));
    inner.tree()?.apply_batch(batch)?;
    Ok(id)
}

/// Newest first. A scan over the DLQ from the newest entry (or `before_id`) down: cheap while
/// the DLQ holds what operators can work through; filters are applied as it goes.
pub(super) fn list(inner: &Inner, filter: &DlqFilter) -> Result<Vec<DeadLetter>, DeliveryError> {
    let limit = if filter.limit == 0 {
        DEFAULT_LIMIT
    } else {
        filter.limit
    };
    let end = dlq_key(filter.before_id.unwrap_or(u64::MAX));
    let mut out = Vec::new();
    for entry in inner.tree()?.range(&[DLQ][..]..&end[..]).rev() {
        let (key, value) = entry?;
        let entry = decode_dead_letter(dlq_key_id(&key)?, &value)?;
        if matches(filter, &entry) {
            out.push(entry);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

fn matches(f: &DlqFilter, e: &DeadLetter) -> bool {
    f.tenant.as_ref().is_none_or(|t| *t == e.lane.tenant)
        && f.deployment
            .as_ref()
            .is_none_or(|d| *d == e.lane.deployment)
        && f.reason.as_ref().is_none_or(|r| *r == e.reason)
        && f.status.is_none_or(|s| s == e.status)
        && f.from_ms.is_none_or(|from| e.time_ms >= from)
        && f.to_ms.is_none_or(|to| e.time_ms < to)
}

pub(super) fn get(inner: &Inner, id: u64) -> Result<Option<DeadLetter>, DeliveryError> {
    match inner.tree()?.get(dlq_key(id))? {
        Some(value) => Ok(Some(decode_dead_letter(id, &value)?)),
        None => Ok(None),
    }
}

/// The entry, if it exists and is open.
fn open(inner: &Inner, id: u64) -> Result<DeadLetter, DeliveryError> {
    let entry = get(inner, id)?.ok_or(DeliveryError::NoSuchDeadLetter(id))?;
    if entry.status != DlqStatus::Open {
        return Err(DeliveryError::NotOpen {
            id,
            status: entry.status.as_str(),
        });
    }
    Ok(entry)
}

pub(super) fn edit(inner: &Inner, id: u64, body: &[u8]) -> Result<(), DeliveryError> {
    let _guard = inner.lock();
    let mut entry = open(inner, id)?;
    entry.body = body.to_vec();
    inner
        .tree()?
        .insert(dlq_key(id), encode_dead_letter(&entry))?;
    Ok(())
}

pub(super) fn replay(
    inner: &Inner,
    id: u64,
    now_ms: u64,
    note: &str,
    item_body: &dyn Fn(&DeadLetter) -> Result<Vec<u8>, String>,
) -> Result<u64, DeliveryError> {
    let _guard = inner.lock();
    let mut entry = open(inner, id)?;
    let body = item_body(&entry).map_err(|reason| DeliveryError::Invalid {
        what: "dead letter body",
        reason,
    })?;
    let item_id = inner.next_id()?;
    let lane = entry.lane.clone();
    let row = ItemRow {
        due_ms: now_ms,
        token: 0,
        record_id: entry.record_id.clone(),
        body,
    };
    entry.status = DlqStatus::Replayed;
    entry.status_ms = now_ms;
    entry.note = note.to_owned();
    let mut batch = Batch::default();
    batch.insert(item_key(&lane, item_id), encode_item(&row));
    batch.insert(due_key(&lane, now_ms, item_id), &[][..]);
    batch.insert(
        record_key(&lane, &entry.record_id),
        &encode_key_state(KeyState::Pending, item_id)[..],
    );
    batch.insert(&dlq_key(id)[..], encode_dead_letter(&entry));
    inner.tree()?.apply_batch(batch)?;
    Ok(item_id)
}

pub(super) fn resolve(
    inner: &Inner,
    id: u64,
    now_ms: u64,
    note: &str,
) -> Result<(), DeliveryError> {
    let _guard = inner.lock();
    let mut entry = open(inner, id)?;
    entry.status = DlqStatus::Resolved;
    entry.status_ms = now_ms;
    entry.note = note.to_owned();
    inner
        .tree()?
        .insert(dlq_key(id), encode_dead_letter(&entry))?;
    Ok(())
}
