//! The on-disk encoding of jobs (format version 1).
//!
//! Key in tree `jobs`:      `scope prefix | not_before_ms (u64 BE) | id (20 ASCII digits)`
//! Value in tree `jobs`:    `0x01 | created_ms (u64 BE) | kind length (u16 BE) | kind (UTF-8) | payload`
//! Key in tree `job_ids`:   `scope prefix | id (20 ASCII digits)`
//! Value in tree `job_ids`: `not_before_ms (u64 BE)`
//!
//! Big-endian times and zero-padded ids make sled's byte order equal to
//! (not_before, creation) order, so due jobs are a range scan.

use crate::error::QueueError;
use crate::jobs::Job;

/// Version byte at the start of every job value.
const FORMAT_V1: u8 = 1;
/// Length of an encoded id.
pub(crate) const ID_LEN: usize = 20;

/// Formats a sled-generated id so lexical order equals numeric (creation) order.
pub(crate) fn format_id(raw: u64) -> String {
    format!("{raw:0width$}", width = ID_LEN)
}

/// Whether `id` has the shape of an id made by [`format_id`].
pub(crate) fn is_id(id: &str) -> bool {
    id.len() == ID_LEN && id.bytes().all(|b| b.is_ascii_digit())
}

/// `prefix | not_before | id`.
pub(crate) fn job_key(prefix: &[u8], not_before_ms: u64, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + 8 + id.len());
    key.extend_from_slice(prefix);
    key.extend_from_slice(&not_before_ms.to_be_bytes());
    key.extend_from_slice(id.as_bytes());
    key
}

/// `prefix | id`.
pub(crate) fn index_key(prefix: &[u8], id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + id.len());
    key.extend_from_slice(prefix);
    key.extend_from_slice(id.as_bytes());
    key
}

/// Encodes the value part of a job. `kind` must be at most `u16::MAX` bytes.
pub(crate) fn encode_value(created_ms: u64, kind: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(11 + kind.len() + payload.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&created_ms.to_be_bytes());
    out.extend_from_slice(&(kind.len() as u16).to_be_bytes());
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// Decodes a job from its key (after the scope prefix) and value.
pub(crate) fn decode(key_rest: &[u8], value: &[u8]) -> Result<Job, QueueError> {
    let corrupt = |what: &str| QueueError::Corrupt(what.to_owned());
    if key_rest.len() != 8 + ID_LEN {
        return Err(corrupt("job key has the wrong length"));
    }
    let (not_before, id) = key_rest.split_at(8);
    let not_before_ms = u64::from_be_bytes(array8(not_before).ok_or_else(|| corrupt("key"))?);
    let id = std::str::from_utf8(id)
        .ok()
        .filter(|id| is_id(id))
        .ok_or_else(|| corrupt("job id is not 20 digits"))?;

    let (&version, rest) = value
        .split_first()
        .ok_or_else(|| corrupt("empty job value"))?;
    if version != FORMAT_V1 {
        return Err(QueueError::Corrupt(format!(
            "unknown job format version {version}"
        )));
    }
    if rest.len() < 10 {
        return Err(corrupt("job value is truncated"));
    }
    let (created, rest) = rest.split_at(8);
    let created_ms = u64::from_be_bytes(array8(created).ok_or_else(|| corrupt("value"))?);
    let (kind_len, rest) = rest.split_at(2);
    let kind_len = usize::from(u16::from_be_bytes([kind_len[0], kind_len[1]]));
    if rest.len() < kind_len {
        return Err(corrupt("job kind is truncated"));
    }
    let (kind, payload) = rest.split_at(kind_len);
    let kind = std::str::from_utf8(kind).map_err(|_| corrupt("job kind is not UTF-8"))?;
    Ok(Job {
        id: id.to_owned(),
        kind: kind.to_owned(),
        payload: payload.to_vec(),
        not_before_ms,
        created_ms,
    })
}

fn array8(bytes: &[u8]) -> Option<[u8; 8]> {
    <[u8; 8]>::try_from(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_job() {
        let key = job_key(b"", 42, &format_id(7));
        let value = encode_value(40, "push", b"\x00payload\xff");
        let job = decode(&key, &value).unwrap();
        assert_eq!(job.id, "00000000000000000007");
        assert_eq!(
            (job.kind.as_str(), job.payload.as_slice()),
            ("push", &b"\x00payload\xff"[..])
        );
        assert_eq!((job.not_before_ms, job.created_ms), (42, 40));
    }

    #[test]
    fn formatted_ids_sort_like_numbers() {
        assert!(format_id(9) < format_id(10));
        assert!(format_id(999) < format_id(1000));
        assert_eq!(format_id(u64::MAX).len(), ID_LEN);
    }

    #[test]
    fn refuses_truncated_or_unknown_values() {
        let key = job_key(b"", 1, &format_id(1));
        let good = encode_value(1, "push", b"p");
        assert!(decode(&key, &good[..5]).is_err());
        assert!(decode(&key, &good[..12]).is_err());
        let mut v2 = good.clone();
        v2[0] = 2;
        assert!(decode(&key, &v2).is_err());
        assert!(decode(&key[..10], &good).is_err());
    }
}
