//! `queue`: durable follow-up jobs per tenant and connector.

use std::time::Duration;

use super::NOT_DURING_PREPARE;
use crate::bindings::queue::{Error, Host, Job};
use crate::host_state::HostState;

/// Largest job payload a guest may enqueue, in bytes.
const MAX_JOB_PAYLOAD: usize = 256 << 10;
/// Longest job kind, in bytes.
const MAX_JOB_KIND: usize = 128;

impl Host for HostState {
    fn enqueue(&mut self, job: Job) -> wasmtime::Result<Result<String, Error>> {
        self.observed.call("queue.enqueue");
        let Some(ctx) = self.ctx.as_deref() else {
            return Ok(Err(Error::Storage(NOT_DURING_PREPARE.into())));
        };
        if job.payload.len() > MAX_JOB_PAYLOAD {
            return Ok(Err(Error::TooLarge(MAX_JOB_PAYLOAD as u32)));
        }
        if job.kind.is_empty() || job.kind.len() > MAX_JOB_KIND {
            return Ok(Err(Error::Storage(format!(
                "job kind must be 1 to {MAX_JOB_KIND} bytes, got {}",
                job.kind.len()
            ))));
        }
        let delay = Duration::from_millis(job.delay_ms);
        Ok(ctx
            .jobs
            .enqueue(&job.kind, &job.payload, delay)
            .map_err(|e| Error::Storage(e.to_string())))
    }
}
