//! The durable job queue of one scope.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sled::transaction::Transactional;

use crate::cell::Cell;
use crate::error::{QueueError, flatten_tx};
use crate::job_codec::{decode, encode_value, format_id, index_key, is_id, job_key};

/// Longest job kind, in bytes.
const MAX_KIND_BYTES: usize = 255;

/// One queued unit of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Unique, monotonic id: 20 decimal digits, so lexical order is creation order.
    pub id: String,
    /// What to do, e.g. `"push"`; chosen by the caller, 1 to 255 bytes.
    pub kind: String,
    /// Opaque bytes for the worker.
    pub payload: Vec<u8>,
    /// Not to be run before this time (unix milliseconds).
    pub not_before_ms: u64,
    /// When it was enqueued (unix milliseconds).
    pub created_ms: u64,
}

/// One job to add with [`JobQueue::enqueue_many`].
#[derive(Debug, Clone, Copy)]
pub struct NewJob<'a> {
    /// The job's kind.
    pub kind: &'a str,
    /// The job's payload.
    pub payload: &'a [u8],
    /// How long from now before it is due.
    pub delay: Duration,
}

/// What one scope's queue holds, for quotas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueUsage {
    /// Jobs queued.
    pub jobs: u64,
    /// Their payloads, in bytes.
    pub payload_bytes: u64,
}

/// The job queue of one scope. Cheap to clone.
///
/// `enqueue` and `enqueue_many` flush before returning: a job whose id was returned
/// survives a process crash. `remove` does not flush, so after a crash a finished job may
/// come back (at-least-once delivery).
#[derive(Debug, Clone)]
pub struct JobQueue {
    cell: Arc<Cell>,
    prefix: Vec<u8>,
}

impl JobQueue {
    pub(crate) fn new(cell: Arc<Cell>, prefix: Vec<u8>) -> Self {
        Self { cell, prefix }
    }

    /// Adds a job due after `delay` and flushes; returns its id once it is durable.
    pub fn enqueue(
        &self,
        kind: &str,
        payload: &[u8],
        delay: Duration,
    ) -> Result<String, QueueError> {
        let mut ids = self.enqueue_many(&[NewJob {
            kind,
            payload,
            delay,
        }])?;
        ids.pop()
            .ok_or_else(|| QueueError::Storage("no id was generated".to_owned()))
    }

    /// Adds several jobs atomically with a single flush (group commit); returns their ids
    /// in order once all are durable.
    pub fn enqueue_many(&self, new_jobs: &[NewJob<'_>]) -> Result<Vec<String>, QueueError> {
        for job in new_jobs {
            if job.kind.is_empty() || job.kind.len() > MAX_KIND_BYTES {
                return Err(QueueError::InvalidKind {
                    kind: job.kind.to_owned(),
                });
            }
        }
        let now = now_ms();
        let mut rows = Vec::with_capacity(new_jobs.len());
        for job in new_jobs {
            let id = format_id(self.cell.get()?.db.generate_id()?);
            let not_before = now.saturating_add(duration_ms(job.delay));
            rows.push((
                job_key(&self.prefix, not_before, &id),
                encode_value(now, job.kind, job.payload),
                index_key(&self.prefix, &id),
                not_before.to_be_bytes(),
                id,
            ));
        }
        let db = self.cell.get()?;
        let result = (&db.jobs, &db.job_ids).transaction(|(jobs, ids)| {
            for (key, value, index, not_before, _) in &rows {
                jobs.insert(key.as_slice(), value.as_slice())?;
                ids.insert(index.as_slice(), &not_before[..])?;
            }
            Ok(())
        });
        flatten_tx::<(), QueueError>(result)?;
        self.cell.get()?.db.flush()?;
        Ok(rows.into_iter().map(|row| row.4).collect())
    }

    /// All jobs of the scope, ordered by `not_before_ms` then id.
    pub fn pending(&self) -> Result<Vec<Job>, QueueError> {
        self.collect(self.cell.get()?.jobs.scan_prefix(&self.prefix), usize::MAX)
    }

    /// Up to `max` jobs with `not_before_ms <= now_ms`, ordered by `not_before_ms` then id.
    /// Jobs stay queued until [`JobQueue::remove`]d.
    pub fn due(&self, now_ms: u64, max: usize) -> Result<Vec<Job>, QueueError> {
        match now_ms.checked_add(1) {
            Some(end) => {
                let end = job_key(&self.prefix, end, "");
                self.collect(self.cell.get()?.jobs.range(self.prefix.clone()..end), max)
            }
            None => self.collect(self.cell.get()?.jobs.scan_prefix(&self.prefix), max),
        }
    }

    /// The job with this id, if it is queued.
    pub fn get(&self, id: &str) -> Result<Option<Job>, QueueError> {
        let Some(key) = self.job_key_of(id)? else {
            return Ok(None);
        };
        match self.cell.get()?.jobs.get(&key)? {
            Some(value) => decode(&key[self.prefix.len()..], &value).map(Some),
            None => Ok(None),
        }
    }

    /// Removes a job (done, or moved elsewhere); returns whether it was queued.
    /// Not flushed: see the type's docs.
    pub fn remove(&self, id: &str) -> Result<bool, QueueError> {
        if !is_id(id) {
            return Ok(false);
        }
        let index = index_key(&self.prefix, id);
        let prefix = &self.prefix;
        let db = self.cell.get()?;
        let result = (&db.jobs, &db.job_ids).transaction(|(jobs, ids)| {
            let Some(not_before) = ids.remove(index.as_slice())? else {
                return Ok(false);
            };
            let not_before = <[u8; 8]>::try_from(&not_before[..]).map_err(|_| {
                sled::transaction::ConflictableTransactionError::Abort(QueueError::Corrupt(
                    "job index entry is not 8 bytes".to_owned(),
                ))
            })?;
            jobs.remove(job_key(prefix, u64::from_be_bytes(not_before), id))?;
            Ok(true)
        });
        flatten_tx(result)
    }

    /// How many jobs the scope holds and their payload bytes (a scan: O(jobs)).
    pub fn usage(&self) -> Result<QueueUsage, QueueError> {
        let mut usage = QueueUsage::default();
        for entry in self.cell.get()?.jobs.scan_prefix(&self.prefix) {
            let (key, value) = entry?;
            let job = decode(&key[self.prefix.len()..], &value)?;
            usage.jobs += 1;
            usage.payload_bytes += job.payload.len() as u64;
        }
        Ok(usage)
    }

    /// Removes every job enqueued before `cutoff_ms` (unix ms); returns how many. Not
    /// flushed, like [`JobQueue::remove`].
    pub fn expire_created_before(&self, cutoff_ms: u64) -> Result<usize, QueueError> {
        let mut expired = 0;
        for job in self.pending()? {
            if job.created_ms < cutoff_ms && self.remove(&job.id)? {
                expired += 1;
            }
        }
        Ok(expired)
    }

    /// How many jobs the scope holds (a scan: O(jobs)).
    pub fn len(&self) -> Result<usize, QueueError> {
        let mut count = 0;
        for entry in self.cell.get()?.job_ids.scan_prefix(&self.prefix) {
            entry?;
            count += 1;
        }
        Ok(count)
    }

    /// Whether the scope holds no jobs.
    pub fn is_empty(&self) -> Result<bool, QueueError> {
        Ok(self
            .cell
            .get()?
            .job_ids
            .scan_prefix(&self.prefix)
            .next()
            .transpose()?
            .is_none())
    }

    fn job_key_of(&self, id: &str) -> Result<Option<Vec<u8>>, QueueError> {
        if !is_id(id) {
            return Ok(None);
        }
        let Some(not_before) = self.cell.get()?.job_ids.get(index_key(&self.prefix, id))? else {
            return Ok(None);
        };
        let not_before = <[u8; 8]>::try_from(&not_before[..])
            .map_err(|_| QueueError::Corrupt("job index entry is not 8 bytes".to_owned()))?;
        Ok(Some(job_key(
            &self.prefix,
            u64::from_be_bytes(not_before),
            id,
        )))
    }

    fn collect(&self, iter: sled::Iter, max: usize) -> Result<Vec<Job>, QueueError> {
        let mut out = Vec::new();
        for entry in iter.take(max) {
            let (key, value) = entry?;
            out.push(decode(&key[self.prefix.len()..], &value)?);
        }
        Ok(out)
    }
}

/// The current time in unix milliseconds (0 if the clock is before 1970).
pub(crate) fn now_ms() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    duration_ms(since_epoch)
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
