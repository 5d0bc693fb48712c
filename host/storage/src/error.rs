//! Errors at the crate boundary. sled's own error type stays private: callers see strings.

/// The storage could not be opened or flushed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The database directory could not be opened (missing permissions, locked by another
    /// process, corrupt files, ...).
    #[error("cannot open storage at {path:?}: {reason}")]
    Open {
        /// The directory given to `Storage::open` (`"<temporary>"` for temporary storage).
        path: String,
        /// What sled reported.
        reason: String,
    },
    /// Any other storage failure, e.g. a failed flush.
    #[error("storage error: {0}")]
    Io(String),
}

/// A state operation was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The key is longer than `StateLimits::max_key_bytes`.
    #[error("state key is longer than {limit} bytes")]
    KeyTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The value is larger than `StateLimits::max_value_bytes`.
    #[error("state value is larger than {limit} bytes")]
    ValueTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Adding the key would exceed `StateLimits::max_keys`.
    #[error("state already holds the maximum of {limit} keys")]
    TooManyKeys {
        /// The limit, in keys.
        limit: u64,
    },
    /// The underlying storage failed.
    #[error("storage error: {0}")]
    Storage(String),
}

/// A queue operation was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The job kind is empty or longer than 255 bytes.
    #[error("invalid job kind {kind:?}: must be 1 to 255 bytes")]
    InvalidKind {
        /// The refused kind.
        kind: String,
    },
    /// A stored job could not be decoded.
    #[error("corrupt job record: {0}")]
    Corrupt(String),
    /// The underlying storage failed.
    #[error("storage error: {0}")]
    Storage(String),
}

impl From<sled::Error> for StorageError {
    fn from(e: sled::Error) -> Self {
        StorageError::Io(e.to_string())
    }
}

impl From<sled::Error> for StateError {
    fn from(e: sled::Error) -> Self {
        StateError::Storage(e.to_string())
    }
}

impl From<sled::Error> for QueueError {
    fn from(e: sled::Error) -> Self {
        QueueError::Storage(e.to_string())
    }
}

/// Flattens a sled transaction result: aborts become our error, storage failures `E::from`.
pub(crate) fn flatten_tx<T, E: From<sled::Error>>(
    result: sled::transaction::TransactionResult<T, E>,
) -> Result<T, E> {
    match result {
        Ok(value) => Ok(value),
        Err(sled::transaction::TransactionError::Abort(e)) => Err(e),
        Err(sled::transaction::TransactionError::Storage(e)) => Err(E::from(e)),
    }
}
