//! Counters of what the pipeline did, rendered in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide counters since start.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Records accepted by the ingest API (per deployment they fan out to).
    pub enqueued: AtomicU64,
    /// Records refused as duplicates of a record id the deployment already had.
    pub duplicates: AtomicU64,
    /// Delivery attempts run.
    pub attempts: AtomicU64,
    /// Records delivered and acknowledged.
    pub delivered: AtomicU64,
    /// Retries scheduled.
    pub retries: AtomicU64,
    /// Records moved to the dead-letter queue (the DLQ alert counter).
    pub dead_lettered: AtomicU64,
    /// Dead letters replayed.
    pub replayed: AtomicU64,
    /// Alert webhooks that failed.
    pub webhook_failures: AtomicU64,
    /// Store operations that failed (the item is retried when its lease expires).
    pub store_errors: AtomicU64,
}

impl Metrics {
    /// Adds one to `counter`.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters as Prometheus text, with `flushes` (group commits) appended.
    pub fn render(&self, flushes: u64) -> String {
        let rows: [(&str, &str, u64); 10] = [
            (
                "switchboard_enqueued_total",
                "Records queued for a deployment.",
                self.enqueued.load(Ordering::Relaxed),
            ),
            (
                "switchboard_duplicates_total",
                "Records refused as duplicates.",
                self.duplicates.load(Ordering::Relaxed),
            ),
            (
                "switchboard_attempts_total",
                "Delivery attempts run.",
                self.attempts.load(Ordering::Relaxed),
            ),
            (
                "switchboard_delivered_total",
                "Records delivered.",
                self.delivered.load(Ordering::Relaxed),
            ),
            (
                "switchboard_retries_total",
                "Retries scheduled.",
                self.retries.load(Ordering::Relaxed),
            ),
            (
                "switchboard_dead_lettered_total",
                "Records moved to the dead-letter queue.",
                self.dead_lettered.load(Ordering::Relaxed),
            ),
            (
                "switchboard_replayed_total",
                "Dead letters replayed.",
                self.replayed.load(Ordering::Relaxed),
            ),
            (
                "switchboard_webhook_failures_total",
                "Alert webhooks that failed.",
                self.webhook_failures.load(Ordering::Relaxed),
            ),
            (
                "switchboard_store_errors_total",
                "Failed store operations.",
                self.store_errors.load(Ordering::Relaxed),
            ),
            (
                "switchboard_commit_flushes_total",
                "Durable flushes run by ingest.",
                flushes,
            ),
        ];
        let mut out = String::new();
        for (name, help, value) in rows {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        out
    }
}
