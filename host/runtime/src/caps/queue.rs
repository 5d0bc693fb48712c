//! `queue`: durable follow-up jobs per deployment, under a quota: at most
//! [`MAX_QUEUED_JOBS`] jobs and [`MAX_QUEUED_BYTES`] of payload, and jobs older than
//! [`MAX_JOB_AGE`] expire (they are dropped, with a warning, at the next enqueue). Nothing
//! in the host runs queued jobs yet, so without the quota a guest could fill the disk.

use std::time::Duration;

use super::NOT_DURING_PREPARE;
use crate::bindings::queue::{Error, Host, Job};
use crate::host_state::HostState;

/// Largest job payload a guest may enqueue, in bytes.
const MAX_JOB_PAYLOAD: usize = 256 << 10;
/// Longest job kind, in bytes.
const MAX_JOB_KIND: usize = 128;
/// Most jobs one deployment may have queued.
pub const MAX_QUEUED_JOBS: u64 = 1000;
/// Most payload bytes one deployment may have queued.
pub const MAX_QUEUED_BYTES: u64 = 16 << 20;
/// How long a queued job is kept.
pub const MAX_JOB_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

impl Host for HostState {
    fn enqueue(&mut self, job: Job) -> wasmtime::Result<Result<String, Error>> {
        self.observed.call("queue.enqueue");
        let Some(ctx) = self.ctx.as_deref() else {
            return Ok(Err(Error::Storage(NOT_DURING_PREPARE.into())));
        };
        if ctx.holds_secret(&job.payload) {
            return Err(super::secret_stored("queue"));
        }
        if job.payload.len() > MAX_JOB_PAYLOAD {
            return Ok(Err(Error::TooLarge(MAX_JOB_PAYLOAD as u32)));
        }
        if job.kind.is_empty() || job.kind.len() > MAX_JOB_KIND {
            return Ok(Err(Error::Storage(format!(
                "job kind must be 1 to {MAX_JOB_KIND} bytes, got {}",
                job.kind.len()
            ))));
        }
        if let Err(full) = make_room(ctx, job.payload.len() as u64) {
            return Ok(Err(full));
        }
        let delay = Duration::from_millis(job.delay_ms);
        Ok(ctx
            .jobs
            .enqueue(&job.kind, &job.payload, delay)
            .map_err(|e| Error::Storage(e.to_string())))
    }
}

/// Expires jobs past [`MAX_JOB_AGE`], then checks the quota has room for `bytes` more.
fn make_room(ctx: &crate::deployment::DeploymentCtx, bytes: u64) -> Result<(), Error> {
    let storage = |e: switchboard_storage::QueueError| Error::Storage(e.to_string());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let cutoff = u64::try_from(now.saturating_sub(MAX_JOB_AGE).as_millis()).unwrap_or(0);
    let expired = ctx.jobs.expire_created_before(cutoff).map_err(storage)?;
    if expired > 0 {
        tracing::warn!(tenant = %ctx.tenant, deployment = %ctx.deployment, expired,
            "queued jobs older than {} days expired", MAX_JOB_AGE.as_secs() / 86_400);
    }
    let usage = ctx.jobs.usage().map_err(storage)?;
    if usage.jobs >= MAX_QUEUED_JOBS || usage.payload_bytes.saturating_add(bytes) > MAX_QUEUED_BYTES
    {
        return Err(Error::Storage(format!(
            "queue is full: {} jobs and {} payload bytes queued (at most {MAX_QUEUED_JOBS} jobs and {MAX_QUEUED_BYTES} bytes)",
            usage.jobs, usage.payload_bytes
        )));
    }
    Ok(())
}
