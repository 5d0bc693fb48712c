//! The ingest log: newly enqueued items are appended to one file and synced with
//! `fdatasync` (one sync shared by every item of a group commit); a background thread then
//! writes them into the sled queue, and the log is emptied once sled has flushed them.
//!
//! Why: writing an item into sled costs three tree inserts and sled's flush (about 70 µs of
//! CPU per item on the development machine), which capped durable ingest near 7,000
//! items/s. Appending to the log costs a copy and a checksum, so acknowledging an item no
//! longer waits for sled.
//!
//! # Format
//!
//! A sequence of entries, `u32 LE length | u32 LE crc32 of the payload | payload`, where the
//! payload is `0x01 | item id u64 BE | due_ms u64 BE | 3 × (u16 BE length | text)`
//! (tenant, deployment, record id) `| body`. Recovery reads entries until the end of the
//! file or the first torn or corrupt one (a crash mid-append leaves at most a torn tail,
//! whose items were never acknowledged).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{DeliveryError, lock};
use crate::scope::Scope;

const FORMAT_V1: u8 = 1;
/// Largest entry accepted when reading back (guards against a corrupt length).
const MAX_ENTRY: usize = 64 << 20;

/// One item as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LoggedItem {
    pub id: u64,
    pub due_ms: u64,
    pub lane: Scope,
    pub record_id: String,
    pub body: Vec<u8>,
}

/// The log file. Appends go to an in-memory buffer; [`Wal::sync`] writes and syncs it.
#[derive(Debug)]
pub(super) struct Wal {
    path: PathBuf,
    /// Entries appended since the last sync.
    pending: Mutex<Vec<u8>>,
    /// The file; held for the whole write + sync, so syncs are ordered.
    file: Mutex<LogFile>,
}

/// The open file and how much of it is intact.
#[derive(Debug)]
struct LogFile {
    file: File,
    /// Bytes of whole, synced entries. A longer file ends in the torn remains of a failed
    /// write, cut off before the next write (appends would land after them, where a reader
    /// stopping at the torn entry would never see them).
    good_len: u64,
}

impl Wal {
    /// Opens (or creates) the log at `path` and returns it with every intact entry in it.
    pub(super) fn open(path: &Path) -> Result<(Self, Vec<LoggedItem>), DeliveryError> {
        let io = |what: &str, e: std::io::Error| {
            DeliveryError::Storage(format!("ingest log {:?}: {what}: {e}", path.display()))
        };
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| io("cannot open", e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io("cannot read", e))?;
        let (items, good_len) = decode_prefix(&bytes);
        Ok((
            Self {
                path: path.to_owned(),
                pending: Mutex::new(Vec::new()),
                file: Mutex::new(LogFile { file, good_len }),
            },
            items,
        ))
    }

    /// Adds `item` to the next sync.
    pub(super) fn append(&self, item: &LoggedItem) {
        encode(item, &mut lock(&self.pending));
    }

    /// Writes every appended entry and syncs the file's data (`fdatasync`). When it returns,
    /// every entry appended before the call is on disk.
    ///
    /// On failure (a full disk, a file-size limit) the file is cut back to its length before
    /// the write (at once, or at the start of the next sync, which writes nothing until it
    /// has), so no torn entry hides the entries written after it, and the entries stay
    /// pending for the next sync: the log never drops an entry it was given.
    pub(super) fn sync(&self) -> Result<(), DeliveryError> {
        let mut log = lock(&self.file);
        // What a failed write left behind goes first; until it is gone nothing is written.
        let len = log
            .file
            .metadata()
            .map_err(|e| self.error("cannot read the length of", e))?
            .len();
        if len != log.good_len {
            log.file
                .set_len(log.good_len)
                .map_err(|e| self.error("cannot cut off a failed write in", e))?;
        }
        let bytes = std::mem::take(&mut *lock(&self.pending));
        if bytes.is_empty() {
            return log
                .file
                .sync_data()
                .map_err(|e| self.error("cannot sync", e));
        }
        let written = log
            .file
            .write_all(&bytes)
            .map_err(|e| self.error("cannot write", e))
            .and_then(|()| {
                log.file
                    .sync_data()
                    .map_err(|e| self.error("cannot sync", e))
            });
        match written {
            Ok(()) => log.good_len += bytes.len() as u64,
            Err(_) => {
                // Cut back now if possible (else before the next write), and keep the
                // entries for the next sync.
                let _ = log.file.set_len(log.good_len);
                let mut pending = lock(&self.pending);
                let newer = std::mem::replace(&mut *pending, bytes);
                pending.extend_from_slice(&newer);
            }
        }
        written
    }

    /// Every intact entry in the file now (for a replay after sled was reopened).
    pub(super) fn read_back(&self) -> Result<Vec<LoggedItem>, DeliveryError> {
        let _file = lock(&self.file);
        let bytes = std::fs::read(&self.path).map_err(|e| self.error("cannot read", e))?;
        Ok(decode_all(&bytes))
    }

    /// Empties the file. The caller guarantees every entry in it is durable elsewhere.
    /// Entries appended but not yet synced stay pending and go to the emptied file.
    pub(super) fn truncate(&self) -> Result<(), DeliveryError> {
        let mut log = lock(&self.file);
        log.file
            .set_len(0)
            .map_err(|e| self.error("cannot truncate", e))?;
        log.good_len = 0;
        log.file
            .sync_all()
            .map_err(|e| self.error("cannot sync", e))
    }

    /// The directory the log is in (the database directory).
    pub(super) fn dir(&self) -> Option<&Path> {
        self.path.parent()
    }

    /// Bytes in the file (its length).
    pub(super) fn len(&self) -> u64 {
        lock(&self.file)
            .file
            .metadata()
            .map(|m| m.len())
            .unwrap_or(0)
    }

    fn error(&self, what: &str, e: std::io::Error) -> DeliveryError {
        DeliveryError::Storage(format!("ingest log {:?}: {what}: {e}", self.path.display()))
    }
}

fn encode(item: &LoggedItem, out: &mut Vec<u8>) {
    let texts = [
        item.lane.tenant.as_bytes(),
        item.lane.deployment.as_bytes(),
        item.record_id.as_bytes(),
    ];
    let len = 17 + texts.iter().map(|t| 2 + t.len()).sum::<usize>() + item.body.len();
    let start = out.len();
    out.extend_from_slice(&[0; 8]);
    out.push(FORMAT_V1);
    out.extend_from_slice(&item.id.to_be_bytes());
    out.extend_from_slice(&item.due_ms.to_be_bytes());
    for text in texts {
        // Names and record ids are validated far below u16::MAX bytes before logging.
        out.extend_from_slice(&(text.len() as u16).to_be_bytes());
        out.extend_from_slice(text);
    }
    out.extend_from_slice(&item.body);
    let crc = crc32fast::hash(&out[start + 8..]);
    out[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// Every intact entry, in order, up to the first torn or corrupt one.
fn decode_all(bytes: &[u8]) -> Vec<LoggedItem> {
    decode_prefix(bytes).0
}

/// [`decode_all`], and how many bytes the intact entries take.
fn decode_prefix(mut bytes: &[u8]) -> (Vec<LoggedItem>, u64) {
    let total = bytes.len();
    let mut items = Vec::new();
    while bytes.len() >= 8 {
        let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let crc = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        let Some(payload) = bytes.get(8..8 + len).filter(|_| len <= MAX_ENTRY) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Some(item) = decode(payload) else {
            break;
        };
        items.push(item);
        bytes = &bytes[8 + len..];
    }
    (items, (total - bytes.len()) as u64)
}

fn decode(payload: &[u8]) -> Option<LoggedItem> {
    let (&version, rest) = payload.split_first()?;
    if version != FORMAT_V1 {
        return None;
    }
    let id = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?);
    let due_ms = u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?);
    let mut rest = &rest[16..];
    let mut texts = Vec::with_capacity(3);
    for _ in 0..3 {
        let len = usize::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?));
        let text = std::str::from_utf8(rest.get(2..2 + len)?).ok()?.to_owned();
        texts.push(text);
        rest = &rest[2 + len..];
    }
    let record_id = texts.pop()?;
    let deployment = texts.pop()?;
    let tenant = texts.pop()?;
    Some(LoggedItem {
        id,
        due_ms,
        lane: Scope::new(tenant, deployment),
        record_id,
        body: rest.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: u64) -> LoggedItem {
        LoggedItem {
            id,
            due_ms: 7,
            lane: Scope::new("acme", "hubspot"),
            record_id: format!("r{id}"),
            body: b"{\"x\":1}".to_vec(),
        }
    }

    #[test]
    fn synced_entries_are_read_back_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ingest.wal");
        {
            let (wal, items) = Wal::open(&path).unwrap();
            assert!(items.is_empty());
            wal.append(&item(1));
            wal.append(&item(2));
            wal.sync().unwrap();
            wal.append(&item(3));
            wal.sync().unwrap();
        }
        // A crash in the middle of the next append leaves a torn entry.
        let mut torn = Vec::new();
        encode(&item(4), &mut torn);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&torn[..torn.len() - 3]).unwrap();
        drop(file);
        let (wal, items) = Wal::open(&path).unwrap();
        assert_eq!(items, vec![item(1), item(2), item(3)]);
        wal.truncate().unwrap();
        assert_eq!(wal.len(), 0);
        drop(wal);
        assert!(Wal::open(&path).unwrap().1.is_empty());
    }

    #[test]
    fn what_a_failed_write_left_behind_is_cut_off_before_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ingest.wal");
        let (wal, _) = Wal::open(&path).unwrap();
        wal.append(&item(1));
        wal.sync().unwrap();
        // The remains of a write that failed and could not be cut back at once.
        let mut torn = Vec::new();
        encode(&item(2), &mut torn);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&torn[..torn.len() / 2]).unwrap();
        drop(file);
        wal.append(&item(3));
        wal.sync().unwrap();
        drop(wal);
        // Without the cut, entry 3 would sit behind the torn entry, unreadable.
        assert_eq!(Wal::open(&path).unwrap().1, vec![item(1), item(3)]);
    }

    #[test]
    fn a_flipped_byte_ends_the_readable_log() {
        let mut bytes = Vec::new();
        encode(&item(1), &mut bytes);
        let first = bytes.len();
        encode(&item(2), &mut bytes);
        bytes[first + 12] ^= 0xff;
        assert_eq!(decode_all(&bytes), vec![item(1)]);
    }
}
