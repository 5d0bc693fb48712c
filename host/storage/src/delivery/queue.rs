//! Queue transitions: enqueue, lease, ack, requeue, release.

use std::collections::HashMap;
use std::sync::mpsc::Sender;

use sled::Batch;

use super::codec::{
    DUE, ITEM, ItemRow, decode_item, decode_key_state, due_key, due_key_id, encode_item,
    encode_key_state, item_key, lane_prefix, parse_item_key, record_key,
};
use super::store::Inner;
use super::wal::LoggedItem;
use super::{DeliveryError, Enqueued, KeyState, Lease, Leased, MAX_RECORD_ID_BYTES, NewItem};
use crate::scope::Scope;

/// Checks, deduplicates and numbers `items`, then either logs them (sending them to the
/// applier through `sink`) or, without a log, writes them into sled directly. One atomic
/// change either way: all are accepted or none.
pub(super) fn enqueue(
    inner: &Inner,
    items: &[NewItem<'_>],
    sink: Option<&Sender<Vec<LoggedItem>>>,
) -> Result<Vec<Enqueued>, DeliveryError> {
    for item in items {
        check_record_id(item.record_id)?;
        check_lane(item.lane)?;
    }
    let _guard = inner.lock();
    let mut out = Vec::with_capacity(items.len());
    let mut fresh = Vec::new();
    let mut seen: HashMap<(&Scope, &str), u64> = HashMap::new();
    {
        let unapplied = inner.unapplied();
        for item in items {
            if let Some(&id) = seen.get(&(item.lane, item.record_id)) {
                out.push(Enqueued::Duplicate {
                    id,
                    state: KeyState::Pending,
                });
                continue;
            }
            let key = record_key(item.lane, item.record_id);
            if let Some(&id) = unapplied.get(&key) {
                out.push(Enqueued::Duplicate {
                    id,
                    state: KeyState::Pending,
                });
                continue;
            }
            if let Some(existing) = inner.tree()?.get(&key)? {
                let (state, id) = decode_key_state(&existing)?;
                out.push(Enqueued::Duplicate { id, state });
                continue;
            }
            let id = inner.next_id()?;
            fresh.push(LoggedItem {
                id,
                due_ms: item.due_ms,
                lane: item.lane.clone(),
                record_id: item.record_id.to_owned(),
                body: item.body.to_vec(),
            });
            seen.insert((item.lane, item.record_id), id);
            out.push(Enqueued::New(id));
        }
    }
    match (&inner.wal, sink) {
        (Some(wal), Some(sink)) if !fresh.is_empty() => {
            let mut unapplied = inner.unapplied();
            for item in &fresh {
                wal.append(item);
                unapplied.insert(record_key(&item.lane, &item.record_id), item.id);
            }
            drop(unapplied);
            sink.send(fresh)
                .map_err(|_| DeliveryError::Storage("the ingest applier has stopped".to_owned()))?;
        }
        _ => apply_items(inner, &fresh)?,
    }
    Ok(out)
}

/// Writes new items into sled: item row, schedule row, record-id row. Items whose record id
/// sled already has (a log replayed twice) are skipped.
pub(super) fn apply_items(inner: &Inner, items: &[LoggedItem]) -> Result<(), DeliveryError> {
    let mut batch = Batch::default();
    for item in items {
        let key = record_key(&item.lane, &item.record_id);
        if inner.tree()?.contains_key(&key)? {
            continue;
        }
        let row = ItemRow {
            due_ms: item.due_ms,
            token: 0,
            record_id: item.record_id.clone(),
            body: item.body.clone(),
        };
        batch.insert(item_key(&item.lane, item.id), encode_item(&row));
        batch.insert(due_key(&item.lane, item.due_ms, item.id), &[][..]);
        batch.insert(key, &encode_key_state(KeyState::Pending, item.id)[..]);
    }
    inner.tree()?.apply_batch(batch)?;
    Ok(())
}

fn check_lane(lane: &Scope) -> Result<(), DeliveryError> {
    for (what, name) in [("tenant", &lane.tenant), ("deployment", &lane.deployment)] {
        if name.is_empty() || name.len() > 1024 {
            return Err(DeliveryError::Invalid {
                what,
                reason: format!("must be 1 to 1024 bytes, got {}", name.len()),
            });
        }
    }
    Ok(())
}

pub(super) fn lease(
    inner: &Inner,
    lane: &Scope,
    now_ms: u64,
    lease_ms: u64,
    max: usize,
) -> Result<Vec<Leased>, DeliveryError> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let until_ms = now_ms.saturating_add(lease_ms.max(1));
    inner.wait_applied(&lane_prefix(super::codec::KEY, lane));
    let _guard = inner.lock();
    let start = lane_prefix(DUE, lane);
    let end = due_key(lane, now_ms.saturating_add(1), 0);
    let mut batch = Batch::default();
    let mut out = Vec::new();
    for entry in inner.tree()?.range(start..end).take(max) {
        let (due, _) = entry?;
        let id = due_key_id(&due)?;
        let key = item_key(lane, id);
        let Some(value) = inner.tree()?.get(&key)? else {
            // A schedule row without its item: left by nothing we write; drop it.
            batch.remove(due);
            continue;
        };
        let mut row = decode_item(&value)?;
        let token = inner.next_id()?;
        batch.remove(due);
        batch.insert(due_key(lane, until_ms, id), &[][..]);
        row.due_ms = until_ms;
        row.token = token;
        batch.insert(key, encode_item(&row));
        out.push(Leased {
            lease: Lease {
                lane: lane.clone(),
                item_id: id,
                token,
                until_ms,
            },
            record_id: row.record_id,
            body: row.body,
        });
    }
    inner.tree()?.apply_batch(batch)?;
    Ok(out)
}

/// Reads the item `lease` points at, if the lease is still held.
pub(super) fn held(inner: &Inner, lease: &Lease) -> Result<ItemRow, DeliveryError> {
    let lost = DeliveryError::LeaseLost {
        item_id: lease.item_id,
        token: lease.token,
    };
    let Some(value) = inner.tree()?.get(item_key(&lease.lane, lease.item_id))? else {
        return Err(lost);
    };
    let row = decode_item(&value)?;
    if row.token != lease.token {
        return Err(lost);
    }
    Ok(row)
}

pub(super) fn ack(inner: &Inner, lease: &Lease) -> Result<(), DeliveryError> {
    let _guard = inner.lock();
    let row = held(inner, lease)?;
    let mut batch = Batch::default();
    remove_item(&mut batch, lease, &row);
    batch.insert(
        record_key(&lease.lane, &row.record_id),
        &encode_key_state(KeyState::Delivered, lease.item_id)[..],
    );
    inner.tree()?.apply_batch(batch)?;
    Ok(())
}

/// Adds the removal of a held item and its schedule row to `batch`.
pub(super) fn remove_item(batch: &mut Batch, lease: &Lease, row: &ItemRow) {
    batch.remove(item_key(&lease.lane, lease.item_id));
    batch.remove(due_key(&lease.lane, row.due_ms, lease.item_id));
}

/// Ends the lease; the item is due at `due_ms`, with `body` if given.
pub(super) fn requeue(
    inner: &Inner,
    lease: &Lease,
    due_ms: u64,
    body: Option<&[u8]>,
) -> Result<(), DeliveryError> {
    let _guard = inner.lock();
    let mut row = held(inner, lease)?;
    let mut batch = Batch::default();
    batch.remove(due_key(&lease.lane, row.due_ms, lease.item_id));
    batch.insert(due_key(&lease.lane, due_ms, lease.item_id), &[][..]);
    row.due_ms = due_ms;
    row.token = 0;
    if let Some(body) = body {
        row.body = body.to_vec();
    }
    batch.insert(item_key(&lease.lane, lease.item_id), encode_item(&row));
    inner.tree()?.apply_batch(batch)?;
    Ok(())
}

pub(super) fn release_all(inner: &Inner, now_ms: u64) -> Result<usize, DeliveryError> {
    let _guard = inner.lock();
    let mut batch = Batch::default();
    let mut released = 0;
    for entry in inner.tree()?.scan_prefix([ITEM]) {
        let (key, value) = entry?;
        let mut row = decode_item(&value)?;
        if row.token == 0 {
            continue;
        }
        let (lane, id) = parse_item_key(&key)?;
        batch.remove(due_key(&lane, row.due_ms, id));
        batch.insert(due_key(&lane, now_ms, id), &[][..]);
        row.due_ms = now_ms;
        row.token = 0;
        batch.insert(key, encode_item(&row));
        released += 1;
    }
    inner.tree()?.apply_batch(batch)?;
    Ok(released)
}

pub(super) fn pending(inner: &Inner, lane: &Scope) -> Result<usize, DeliveryError> {
    let prefix = lane_prefix(super::codec::KEY, lane);
    let mut count = inner
        .unapplied()
        .keys()
        .filter(|k| k.starts_with(&prefix))
        .count();
    for entry in inner.tree()?.scan_prefix(lane_prefix(ITEM, lane)) {
        entry?;
        count += 1;
    }
    Ok(count)
}

pub(super) fn next_due(inner: &Inner, lane: &Scope) -> Result<Option<u64>, DeliveryError> {
    let prefix = lane_prefix(DUE, lane);
    let Some(entry) = inner.tree()?.scan_prefix(&prefix).next() else {
        return Ok(None);
    };
    let (key, _) = entry?;
    let time = key
        .get(prefix.len()..prefix.len() + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .ok_or_else(|| DeliveryError::Corrupt("schedule key is too short".to_owned()))?;
    Ok(Some(u64::from_be_bytes(time)))
}

pub(super) fn key_state(
    inner: &Inner,
    lane: &Scope,
    record_id: &str,
) -> Result<Option<KeyState>, DeliveryError> {
    match inner.tree()?.get(record_key(lane, record_id))? {
        Some(value) => Ok(Some(decode_key_state(&value)?.0)),
        None => Ok(None),
    }
}

fn check_record_id(record_id: &str) -> Result<(), DeliveryError> {
    if record_id.is_empty() || record_id.len() > MAX_RECORD_ID_BYTES {
        return Err(DeliveryError::Invalid {
            what: "record id",
            reason: format!(
                "must be 1 to {MAX_RECORD_ID_BYTES} bytes, got {}",
                record_id.len()
            ),
        });
    }
    Ok(())
}
