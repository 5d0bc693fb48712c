//! Durable follow-up jobs.

use crate::__bindings::switchboard::connector::queue as wit;
pub use crate::__bindings::switchboard::connector::queue::Error as QueueError;

/// Enqueues a job of `kind` with `payload`, to run no earlier than `delay_ms` from now.
pub fn enqueue(kind: &str, payload: &[u8], delay_ms: u64) -> Result<String, QueueError> {
    wit::enqueue(&wit::Job {
        kind: kind.into(),
        payload: payload.to_vec(),
        delay_ms,
    })
}
