//! Audit retention: every minute (and at start), delete audit entries older than the
//! retention period, in bounded batches so writers are never stalled for long.

use std::time::Duration;

use switchboard_pipeline::{Audit, now_ms};
use tokio::sync::watch;

/// Entries deleted per batch.
const BATCH: usize = 10_000;
/// Time between sweeps.
const EVERY: Duration = Duration::from_secs(60);

pub(crate) async fn run(audit: Audit, retention: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        let cutoff =
            now_ms().saturating_sub(u64::try_from(retention.as_millis()).unwrap_or(u64::MAX));
        loop {
            if *stop.borrow() {
                return;
            }
            match audit.purge(cutoff, BATCH) {
                Ok(n) if n == BATCH => tokio::task::yield_now().await,
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(purged = n, "audit retention");
                    }
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "audit retention failed");
                    break;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            () = crate::http::stopped(&mut stop) => return,
        }
    }
}
