//! Durable key-value state of one scope, with size and count limits.

use std::sync::Arc;

use sled::transaction::{ConflictableTransactionError, Transactional, abort};

use crate::cell::Cell;
use crate::error::{StateError, flatten_tx};

/// Limits applied by a [`StateStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateLimits {
    /// Longest key, in bytes. Default 256.
    pub max_key_bytes: usize,
    /// Largest value, in bytes. Default 16384.
    pub max_value_bytes: usize,
    /// Most keys one scope may hold. Default 10000.
    pub max_keys: u64,
}

impl Default for StateLimits {
    fn default() -> Self {
        Self {
            max_key_bytes: 256,
            max_value_bytes: 16_384,
            max_keys: 10_000,
        }
    }
}

/// The key-value state of one scope. Cheap to clone.
///
/// Writes are atomic but not flushed: they become durable at the next
/// [`Storage::flush`](crate::Storage::flush) or background flush (see the crate docs).
#[derive(Debug, Clone)]
pub struct StateStore {
    cell: Arc<Cell>,
    prefix: Vec<u8>,
    limits: StateLimits,
}

impl StateStore {
    pub(crate) fn new(cell: Arc<Cell>, prefix: Vec<u8>) -> Self {
        Self {
            cell,
            prefix,
            limits: StateLimits::default(),
        }
    }

    /// The same store with different limits. Lowering `max_keys` below the current count
    /// refuses new keys but keeps existing ones.
    pub fn with_limits(mut self, limits: StateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &StateLimits {
        &self.limits
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        let full = self.full_key(key)?;
        Ok(self.cell.get()?.state.get(full)?.map(|v| v.to_vec()))
    }

    /// Stores `value` under `key`, replacing any previous value. Refused when the key or
    /// value is too large, or when the key is new and the scope already holds `max_keys`.
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), StateError> {
        let full = self.full_key(key)?;
        if value.len() > self.limits.max_value_bytes {
            return Err(StateError::ValueTooLarge {
                limit: self.limits.max_value_bytes,
            });
        }
        let max_keys = self.limits.max_keys;
        let db = self.cell.get()?;
        let result = (&db.state, &db.state_counts).transaction(|(values, counts)| {
            let previous = values.insert(full.as_slice(), value)?;
            if previous.is_none() {
                let count = decode_count(counts.get(&self.prefix)?.as_deref())
                    .map_err(ConflictableTransactionError::Abort)?;
                if count >= max_keys {
                    return abort(StateError::TooManyKeys { limit: max_keys });
                }
                counts.insert(self.prefix.as_slice(), &(count + 1).to_be_bytes())?;
            }
            Ok(())
        });
        flatten_tx(result)
    }

    /// Removes `key`; returns whether it existed.
    pub fn delete(&self, key: &str) -> Result<bool, StateError> {
        let full = self.full_key(key)?;
        let db = self.cell.get()?;
        let result = (&db.state, &db.state_counts).transaction(|(values, counts)| {
            if values.remove(full.as_slice())?.is_none() {
                return Ok(false);
            }
            let count = decode_count(counts.get(&self.prefix)?.as_deref())
                .map_err(ConflictableTransactionError::Abort)?;
            counts.insert(
                self.prefix.as_slice(),
                &count.saturating_sub(1).to_be_bytes(),
            )?;
            Ok(true)
        });
        flatten_tx(result)
    }

    /// How many keys the scope holds.
    pub fn len(&self) -> Result<u64, StateError> {
        decode_count(self.cell.get()?.state_counts.get(&self.prefix)?.as_deref())
    }

    /// Whether the scope holds no keys.
    pub fn is_empty(&self) -> Result<bool, StateError> {
        Ok(self.len()? == 0)
    }

    fn full_key(&self, key: &str) -> Result<Vec<u8>, StateError> {
        if key.len() > self.limits.max_key_bytes {
            return Err(StateError::KeyTooLong {
                limit: self.limits.max_key_bytes,
            });
        }
        let mut full = Vec::with_capacity(self.prefix.len() + key.len());
        full.extend_from_slice(&self.prefix);
        full.extend_from_slice(key.as_bytes());
        Ok(full)
    }
}

/// Decodes a stored key count (8 bytes, big-endian); absent means 0.
fn decode_count(raw: Option<&[u8]>) -> Result<u64, StateError> {
    match raw {
        None => Ok(0),
        Some(bytes) => match <[u8; 8]>::try_from(bytes) {
            Ok(b) => Ok(u64::from_be_bytes(b)),
            Err(_) => Err(StateError::Storage(format!(
                "corrupt state key count: {} bytes instead of 8",
                bytes.len()
            ))),
        },
    }
}
