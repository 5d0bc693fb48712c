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
    /// Attempts the CRM answered with a rate limit (429, REQUEST_LIMIT_EXCEEDED, ...).
    pub rate_limited: AtomicU64,
    /// Times a deployment was paused (or its pause extended) because of a CRM rate limit.
    pub rate_limit_pauses: AtomicU64,
    /// Circuit breakers that opened.
    pub breaker_opened: AtomicU64,
    /// Circuit breakers that went half-open (a probe let through).
    pub breaker_half_opened: AtomicU64,
    /// Circuit breakers that closed again.
    pub breaker_closed: AtomicU64,
}

impl Metrics {
    /// Adds one to `counter`.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters as Prometheus text, with `flushes` (group commits) appended.
    pub fn render(&self, flushes: u64) -> String {
        let rows: [(&str, &str, u64); 15] = [
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
                "switchboard_rate_limited_total",
                "Attempts the CRM answered with a rate limit.",
                self.rate_limited.load(Ordering::Relaxed),
            ),
            (
                "switchboard_rate_limit_pauses_total",
                "Deployment pauses set or extended by a CRM rate limit.",
                self.rate_limit_pauses.load(Ordering::Relaxed),
            ),
            (
                "switchboard_breaker_opened_total",
                "Circuit breakers opened.",
                self.breaker_opened.load(Ordering::Relaxed),
            ),
            (
                "switchboard_breaker_half_opened_total",
                "Circuit breakers gone half-open (a probe let through).",
                self.breaker_half_opened.load(Ordering::Relaxed),
            ),
            (
                "switchboard_breaker_closed_total",
                "Circuit breakers closed again.",
                self.breaker_closed.load(Ordering::Relaxed),
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
