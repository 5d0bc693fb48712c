//! The on-disk encoding of audit entries (format version 1).
//!
//! Key in tree `audit`:           `time_ms (u64 BE) | seq (u64 BE)`
//! Value in tree `audit`:         `0x01 | str(tenant) | str(connector) | str(record_id) | str(trace_id) | body`
//! Key in tree `audit_tenant`:    `str(tenant) | time_ms (u64 BE) | seq (u64 BE)`
//! Key in tree `audit_record`:    `str(record_id) | str(tenant) | time_ms (u64 BE) | seq (u64 BE)`
//! Key in tree `audit_trace`:     `str(trace_id) | time_ms (u64 BE) | seq (u64 BE)`
//! Value in the three index trees: empty.
//!
//! `str(s)` is `len(s) (u16 BE) | s (UTF-8)`. Length-prefixing every string makes the string
//! part of an index key prefix-free: the keys of `("ab")` never start with the prefix of
//! `("a")`, and `("a/b", "c")` differs from `("a", "b/c")`. Big-endian times and seqs make
//! sled's byte order equal to (time, seq) order, so a time range is a range scan.

use crate::audit::{AuditEntry, AuditError};

/// Version byte at the start of every entry value.
const FORMAT_V1: u8 = 1;
/// Length of the `time_ms | seq` suffix that ends every key.
pub(crate) const SUFFIX_LEN: usize = 16;

/// The primary key of an entry: `time_ms | seq`.
pub(crate) fn primary_key(time_ms: u64, seq: u64) -> [u8; SUFFIX_LEN] {
    let mut key = [0; SUFFIX_LEN];
    key[..8].copy_from_slice(&time_ms.to_be_bytes());
    key[8..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// The length-prefixed encoding of `parts`, the start of an index key. Every part must be
/// at most `u16::MAX` bytes (checked by the caller).
pub(crate) fn index_prefix(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| 2 + p.len()).sum::<usize>() + 16);
    for part in parts {
        push_str(&mut out, part);
    }
    out
}

/// `prefix | time_ms | seq`.
pub(crate) fn index_key(prefix: &[u8], time_ms: u64, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + SUFFIX_LEN);
    key.extend_from_slice(prefix);
    key.extend_from_slice(&primary_key(time_ms, seq));
    key
}

/// The `(time_ms, seq)` at the end of a key that must be exactly `prefix_len + 16` bytes.
pub(crate) fn split_suffix(key: &[u8], prefix_len: usize) -> Result<(u64, u64), AuditError> {
    if key.len() != prefix_len + SUFFIX_LEN {
        return Err(AuditError::Corrupt(format!(
            "audit key has {} bytes, expected {}",
            key.len(),
            prefix_len + SUFFIX_LEN
        )));
    }
    Ok(time_seq(&key[prefix_len..]))
}

/// The `(time_ms, seq)` of a key in `audit_record` that starts with the record prefix
/// (`str(record_id)`, `prefix_len` bytes), checking that one length-prefixed tenant
/// follows it.
pub(crate) fn split_record_key(key: &[u8], prefix_len: usize) -> Result<(u64, u64), AuditError> {
    let rest = key.get(prefix_len..).unwrap_or_default();
    let tenant_len = match rest {
        [hi, lo, ..] => usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => return Err(AuditError::Corrupt("audit record key is truncated".into())),
    };
    split_suffix(key, prefix_len + 2 + tenant_len)
}

/// Encodes the value of an entry. Every string must be at most `u16::MAX` bytes (checked
/// by the caller).
pub(crate) fn encode_value(
    tenant: &str,
    connector: &str,
    record_id: &str,
    trace_id: &str,
    body: &[u8],
) -> Vec<u8> {
    let strings = [tenant, connector, record_id, trace_id];
    let len = 1 + strings.iter().map(|s| 2 + s.len()).sum::<usize>() + body.len();
    let mut out = Vec::with_capacity(len);
    out.push(FORMAT_V1);
    for s in strings {
        push_str(&mut out, s);
    }
    out.extend_from_slice(body);
    out
}

/// A decoded entry value, borrowing from the stored bytes: filters are checked on it before
/// anything is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryView<'a> {
    pub(crate) tenant: &'a str,
    pub(crate) connector: &'a str,
    pub(crate) record_id: &'a str,
    pub(crate) trace_id: &'a str,
    pub(crate) body: &'a [u8],
}

impl EntryView<'_> {
    /// The owned entry, with its key fields.
    pub(crate) fn to_entry(self, time_ms: u64, seq: u64) -> AuditEntry {
        AuditEntry {
            seq,
            time_ms,
            tenant: self.tenant.to_owned(),
            connector: self.connector.to_owned(),
            record_id: self.record_id.to_owned(),
            trace_id: self.trace_id.to_owned(),
            body: self.body.to_vec(),
        }
    }
}

/// Decodes an entry value. Never panics: a truncated value, an unknown version byte or a
/// string that is not UTF-8 is [`AuditError::Corrupt`].
pub(crate) fn decode_value(value: &[u8]) -> Result<EntryView<'_>, AuditError> {
    let (&version, mut rest) = value
        .split_first()
        .ok_or_else(|| AuditError::Corrupt("empty audit entry value".into()))?;
    if version != FORMAT_V1 {
        return Err(AuditError::Corrupt(format!(
            "unknown audit entry format version {version}"
        )));
    }
    let mut strings = [""; 4];
    for (slot, name) in strings
        .iter_mut()
        .zip(["tenant", "connector", "record_id", "trace_id"])
    {
        let (s, after) = take_str(rest).ok_or_else(|| {
            AuditError::Corrupt(format!("audit entry {name} is truncated or not UTF-8"))
        })?;
        *slot = s;
        rest = after;
    }
    let [tenant, connector, record_id, trace_id] = strings;
    Ok(EntryView {
        tenant,
        connector,
        record_id,
        trace_id,
        body: rest,
    })
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    let len = u16::try_from(s.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&s.as_bytes()[..usize::from(len)]);
}

fn take_str(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let [hi, lo, rest @ ..] = bytes else {
        return None;
    };
    let len = usize::from(u16::from_be_bytes([*hi, *lo]));
    if rest.len() < len {
        return None;
    }
    let (s, rest) = rest.split_at(len);
    Some((std::str::from_utf8(s).ok()?, rest))
}

fn time_seq(suffix: &[u8]) -> (u64, u64) {
    let mut time = [0; 8];
    let mut seq = [0; 8];
    time.copy_from_slice(&suffix[..8]);
    seq.copy_from_slice(&suffix[8..SUFFIX_LEN]);
    (u64::from_be_bytes(time), u64::from_be_bytes(seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_an_entry() {
        let value = encode_value("acme", "hubspot", "call-1", "abc", b"{\"a\":1}\xff");
        let view = decode_value(&value).unwrap();
        assert_eq!(
            view,
            EntryView {
                tenant: "acme",
                connector: "hubspot",
                record_id: "call-1",
                trace_id: "abc",
                body: b"{\"a\":1}\xff",
            }
        );
        let entry = view.to_entry(5, 7);
        assert_eq!((entry.time_ms, entry.seq), (5, 7));
    }

    #[test]
    fn keys_sort_by_time_then_seq() {
        assert!(primary_key(1, u64::MAX) < primary_key(2, 0));
        assert!(primary_key(2, 9) < primary_key(2, 10));
        let p = index_prefix(&["t"]);
        assert!(index_key(&p, 1, 300) < index_key(&p, 256, 1));
        assert_eq!(split_suffix(&index_key(&p, 3, 4), p.len()).unwrap(), (3, 4));
    }

    #[test]
    fn index_prefixes_are_prefix_free() {
        let pairs = [
            (vec!["ab"], vec!["a"]),
            (vec!["a/b", "c"], vec!["a", "b/c"]),
            (vec!["ab", ""], vec!["a", "b"]),
            (vec!["", "ab"], vec!["a", "b"]),
        ];
        for (x, y) in pairs {
            let (x, y) = (index_prefix(&x), index_prefix(&y));
            assert!(!x.starts_with(&y) && !y.starts_with(&x), "{x:?} vs {y:?}");
        }
    }

    #[test]
    fn record_keys_skip_the_tenant() {
        let record = index_prefix(&["r"]);
        let key = index_key(&index_prefix(&["r", "tenant"]), 9, 8);
        assert_eq!(split_record_key(&key, record.len()).unwrap(), (9, 8));
        assert!(split_record_key(&key[..key.len() - 1], record.len()).is_err());
        assert!(split_record_key(&record, record.len()).is_err());
    }

    #[test]
    fn refuses_corrupt_values_without_panicking() {
        let good = encode_value("t", "c", "r", "x", b"body");
        for len in 0..13 {
            assert!(decode_value(&good[..len]).is_err(), "prefix of {len} bytes");
        }
        assert!(decode_value(&good[..13]).is_ok(), "empty body is fine");
        let mut v2 = good.clone();
        v2[0] = 2;
        assert!(decode_value(&v2).is_err());
        let mut not_utf8 = good.clone();
        not_utf8[3] = 0xff;
        assert!(decode_value(&not_utf8).is_err());
        let mut huge_len = good;
        huge_len[1] = 0xff;
        assert!(decode_value(&huge_len).is_err());
    }
}
