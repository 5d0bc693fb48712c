//! The on-disk encoding of the delivery store (format version 1), all in one sled tree so
//! that every state change is one atomic batch.
//!
//! | Key | Value |
//! |---|---|
//! | `I \| lane \| item id` | `0x01 \| due_ms \| lease token (0: not leased) \| u16 len \| record id \| body` |
//! | `D \| lane \| due_ms \| item id` | empty: the schedule, in due order |
//! | `K \| lane \| record id` | `state (P, A, X) \| id` (item id, or DLQ id when dead-lettered) |
//! | `P \| lane` | `0x01 \| until_ms \| reason` (the lane's last rate-limit pause) |
//! | `L \| dlq id` | `0x01 \| time_ms \| status (O, R, S) \| status_ms \| 5 × (u32 len \| text) \| body` (texts: tenant, deployment, record id, reason, note) |
//!
//! Integers are u64 big-endian, so byte order is numeric order. `lane` is the scope's
//! length-prefixed encoding, which no other lane's keys start with.

use super::{DeadLetter, DeliveryError, DlqStatus, KeyState, LanePause};
use crate::scope::Scope;

const FORMAT_V1: u8 = 1;

/// Tag of item rows.
pub(super) const ITEM: u8 = b'I';
/// Tag of schedule rows.
pub(super) const DUE: u8 = b'D';
/// Tag of record-id rows.
pub(super) const KEY: u8 = b'K';
/// Tag of dead-letter rows.
pub(super) const DLQ: u8 = b'L';
/// Tag of the per-lane rate-limit pause row.
pub(super) const PAUSE: u8 = b'P';

/// A decoded item row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ItemRow {
    pub due_ms: u64,
    pub token: u64,
    pub record_id: String,
    pub body: Vec<u8>,
}

/// `tag | lane`: the prefix of one lane's rows of one kind.
pub(super) fn lane_prefix(tag: u8, lane: &Scope) -> Vec<u8> {
    let prefix = lane.prefix();
    let mut key = Vec::with_capacity(1 + prefix.len() + 16);
    key.push(tag);
    key.extend_from_slice(&prefix);
    key
}

pub(super) fn item_key(lane: &Scope, id: u64) -> Vec<u8> {
    let mut key = lane_prefix(ITEM, lane);
    key.extend_from_slice(&id.to_be_bytes());
    key
}

pub(super) fn due_key(lane: &Scope, due_ms: u64, id: u64) -> Vec<u8> {
    let mut key = lane_prefix(DUE, lane);
    key.extend_from_slice(&due_ms.to_be_bytes());
    key.extend_from_slice(&id.to_be_bytes());
    key
}

pub(super) fn record_key(lane: &Scope, record_id: &str) -> Vec<u8> {
    let mut key = lane_prefix(KEY, lane);
    key.extend_from_slice(record_id.as_bytes());
    key
}

pub(super) fn pause_key(lane: &Scope) -> Vec<u8> {
    lane_prefix(PAUSE, lane)
}

pub(super) fn encode_pause(pause: &LanePause) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + pause.reason.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&pause.until_ms.to_be_bytes());
    out.extend_from_slice(pause.reason.as_bytes());
    out
}

pub(super) fn decode_pause(value: &[u8]) -> Result<LanePause, DeliveryError> {
    let mut r = Reader(value);
    r.version()?;
    let until_ms = r.u64()?;
    let rest = r.0.len();
    Ok(LanePause {
        until_ms,
        reason: r.text(rest)?,
    })
}

pub(super) fn dlq_key(id: u64) -> [u8; 9] {
    let mut key = [DLQ; 9];
    key[1..].copy_from_slice(&id.to_be_bytes());
    key
}

/// The item id at the end of a `D` key.
pub(super) fn due_key_id(key: &[u8]) -> Result<u64, DeliveryError> {
    tail_u64(key).ok_or_else(|| corrupt("schedule key is too short"))
}

/// The lane and item id of an `I` key.
pub(super) fn parse_item_key(key: &[u8]) -> Result<(Scope, u64), DeliveryError> {
    let rest = key
        .strip_prefix(&[ITEM])
        .ok_or_else(|| corrupt("item key has the wrong tag"))?;
    let mut reader = Reader(rest);
    let tenant = reader.text_u64()?;
    let deployment = reader.text_u64()?;
    let id = reader.u64()?;
    Ok((Scope::new(tenant, deployment), id))
}

pub(super) fn encode_item(row: &ItemRow) -> Vec<u8> {
    let mut out = Vec::with_capacity(19 + row.record_id.len() + row.body.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&row.due_ms.to_be_bytes());
    out.extend_from_slice(&row.token.to_be_bytes());
    // Record ids are capped at MAX_RECORD_ID_BYTES, far below u16::MAX.
    out.extend_from_slice(&(row.record_id.len() as u16).to_be_bytes());
    out.extend_from_slice(row.record_id.as_bytes());
    out.extend_from_slice(&row.body);
    out
}

pub(super) fn decode_item(value: &[u8]) -> Result<ItemRow, DeliveryError> {
    let mut r = Reader(value);
    r.version()?;
    let due_ms = r.u64()?;
    let token = r.u64()?;
    let len = usize::from(r.u16()?);
    let record_id = r.text(len)?;
    Ok(ItemRow {
        due_ms,
        token,
        record_id,
        body: r.0.to_vec(),
    })
}

pub(super) fn encode_key_state(state: KeyState, id: u64) -> [u8; 9] {
    let mut out = [0u8; 9];
    out[0] = match state {
        KeyState::Pending => b'P',
        KeyState::Delivered => b'A',
        KeyState::DeadLettered => b'X',
    };
    out[1..].copy_from_slice(&id.to_be_bytes());
    out
}

pub(super) fn decode_key_state(value: &[u8]) -> Result<(KeyState, u64), DeliveryError> {
    let (&tag, rest) = value
        .split_first()
        .ok_or_else(|| corrupt("record-id row is empty"))?;
    let state = match tag {
        b'P' => KeyState::Pending,
        b'A' => KeyState::Delivered,
        b'X' => KeyState::DeadLettered,
        other => return Err(corrupt(&format!("record-id row has state byte {other}"))),
    };
    let id = Reader(rest).u64()?;
    Ok((state, id))
}

pub(super) fn encode_dead_letter(d: &DeadLetter) -> Vec<u8> {
    let texts = [
        d.lane.tenant.as_str(),
        d.lane.deployment.as_str(),
        d.record_id.as_str(),
        d.reason.as_str(),
        d.note.as_str(),
    ];
    let mut out = Vec::with_capacity(18 + 20 + texts.iter().map(|t| t.len()).sum::<usize>());
    out.push(FORMAT_V1);
    out.extend_from_slice(&d.time_ms.to_be_bytes());
    out.push(match d.status {
        DlqStatus::Open => b'O',
        DlqStatus::Replayed => b'R',
        DlqStatus::Resolved => b'S',
    });
    out.extend_from_slice(&d.status_ms.to_be_bytes());
    for text in texts {
        out.extend_from_slice(&u32::try_from(text.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(&d.body);
    out
}

pub(super) fn decode_dead_letter(id: u64, value: &[u8]) -> Result<DeadLetter, DeliveryError> {
    let mut r = Reader(value);
    r.version()?;
    let time_ms = r.u64()?;
    let status = match r.byte()? {
        b'O' => DlqStatus::Open,
        b'R' => DlqStatus::Replayed,
        b'S' => DlqStatus::Resolved,
        other => return Err(corrupt(&format!("dead letter has status byte {other}"))),
    };
    let status_ms = r.u64()?;
    let tenant = r.text_u32()?;
    let deployment = r.text_u32()?;
    let record_id = r.text_u32()?;
    let reason = r.text_u32()?;
    let note = r.text_u32()?;
    Ok(DeadLetter {
        id,
        lane: Scope::new(tenant, deployment),
        record_id,
        reason,
        time_ms,
        status,
        status_ms,
        note,
        body: r.0.to_vec(),
    })
}

/// The id in an `L` key.
pub(super) fn dlq_key_id(key: &[u8]) -> Result<u64, DeliveryError> {
    tail_u64(key).ok_or_else(|| corrupt("dead-letter key is too short"))
}

fn tail_u64(key: &[u8]) -> Option<u64> {
    let start = key.len().checked_sub(8)?;
    Some(u64::from_be_bytes(key[start..].try_into().ok()?))
}

fn corrupt(what: &str) -> DeliveryError {
    DeliveryError::Corrupt(what.to_owned())
}

/// Reads fields off the front of a byte slice, failing cleanly when it runs out.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DeliveryError> {
        if self.0.len() < n {
            return Err(corrupt("value is truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, DeliveryError> {
        Ok(self.take(1)?[0])
    }

    fn version(&mut self) -> Result<(), DeliveryError> {
        match self.byte()? {
            FORMAT_V1 => Ok(()),
            other => Err(corrupt(&format!("unknown format version {other}"))),
        }
    }

    fn u16(&mut self) -> Result<u16, DeliveryError> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn u64(&mut self) -> Result<u64, DeliveryError> {
        let bytes = self.take(8)?;
        let mut buf = [0u8; 8];
        buf.copy_from_slice(bytes);
        Ok(u64::from_be_bytes(buf))
    }

    fn text(&mut self, len: usize) -> Result<String, DeliveryError> {
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| corrupt("text is not UTF-8"))
    }

    fn text_u32(&mut self) -> Result<String, DeliveryError> {
        let bytes = self.take(4)?;
        let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        self.text(usize::try_from(len).map_err(|_| corrupt("length overflows"))?)
    }

    fn text_u64(&mut self) -> Result<String, DeliveryError> {
        let len = self.u64()?;
        self.text(usize::try_from(len).map_err(|_| corrupt("length overflows"))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_round_trips_and_truncation_is_an_error() {
        let row = ItemRow {
            due_ms: 5,
            token: 9,
            record_id: "r-1".into(),
            body: b"{}".to_vec(),
        };
        let bytes = encode_item(&row);
        assert_eq!(decode_item(&bytes), Ok(row));
        assert!(matches!(
            decode_item(&bytes[..10]),
            Err(DeliveryError::Corrupt(_))
        ));
    }

    #[test]
    fn item_key_parses_back_to_lane_and_id() {
        let lane = Scope::new("acme", "hub/spot");
        let key = item_key(&lane, 42);
        assert_eq!(parse_item_key(&key), Ok((lane, 42)));
    }

    #[test]
    fn due_keys_sort_by_time_then_id() {
        let lane = Scope::new("t", "d");
        assert!(due_key(&lane, 1, 9) < due_key(&lane, 2, 1));
        assert!(due_key(&lane, 2, 1) < due_key(&lane, 2, 2));
        assert_eq!(due_key_id(&due_key(&lane, 7, 3)), Ok(3));
    }

    #[test]
    fn dead_letter_round_trips() {
        let d = DeadLetter {
            id: 3,
            lane: Scope::new("acme", "hubspot"),
            record_id: "c-1".into(),
            reason: "validation".into(),
            time_ms: 10,
            status: DlqStatus::Resolved,
            status_ms: 11,
            note: "fixed by hand".into(),
            body: b"{\"x\":1}".to_vec(),
        };
        assert_eq!(decode_dead_letter(3, &encode_dead_letter(&d)), Ok(d));
    }
}
