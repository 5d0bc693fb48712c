//! The audit trail: one structured entry per attempt and per operator action, written to
//! the storage crate's searchable audit log.

use serde::{Deserialize, Serialize};
use switchboard_storage::{AuditCursor, AuditEntry, AuditLog, AuditQuery, NewAuditEntry};

/// One audit entry, stored as JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// `attempt`, `dlq-edited`, `dlq-replayed` or `dlq-resolved`.
    pub event: String,
    /// When (unix ms).
    pub time_ms: u64,
    /// The tenant.
    pub tenant: String,
    /// The deployment (queue) name.
    pub deployment: String,
    /// The connector's name and version, `hubspot@0.3.0`.
    pub connector: String,
    /// The caller's record id.
    pub record_id: String,
    /// The idempotency key the connector received.
    pub idempotency_key: String,
    /// The record's trace id.
    pub trace_id: String,
    /// Attempt number in all (attempt events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// Redacted request summaries (`METHOD scheme://host/path` and status), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<String>,
    /// The CRM's error status, when the connector handed one back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_status: Option<u16>,
    /// The start of the CRM's error body, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_body: Option<String>,
    /// The result's class: `ok`, `transient`, `rate-limited`, `validation`, ...
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub class: String,
    /// `delivered`, `retry-scheduled`, `dead-lettered`, or the operator action's result.
    pub outcome: String,
    /// When the next attempt is due (unix ms), for `retry-scheduled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry_ms: Option<u64>,
    /// Words: the failure, the dead-letter reason, or the operator's note.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// How long the attempt took (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

/// Writes and searches audit events.
#[derive(Clone)]
pub struct Audit {
    log: AuditLog,
}

impl Audit {
    /// Audit over `log`.
    pub fn new(log: AuditLog) -> Self {
        Self { log }
    }

    /// Appends `event` (made durable by the next flush of the database).
    pub fn record(&self, event: &AuditEvent) -> Result<(), String> {
        let body = serde_json::to_vec(event).map_err(|e| e.to_string())?;
        self.log
            .append(&[NewAuditEntry {
                time_ms: event.time_ms,
                tenant: &event.tenant,
                connector: &event.deployment,
                record_id: &event.record_id,
                trace_id: &event.trace_id,
                body: &body,
            }])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Events matching `query`, newest first, each with the cursor that pages past it.
    pub fn search(
        &self,
        query: &AuditQuery,
    ) -> Result<Vec<(AuditCursor, serde_json::Value)>, String> {
        let entries = self.log.search(query).map_err(|e| e.to_string())?;
        Ok(entries.into_iter().map(decode).collect())
    }

    /// Deletes events older than `cutoff_ms`, at most `max` of them; returns how many.
    pub fn purge(&self, cutoff_ms: u64, max: usize) -> Result<usize, String> {
        self.log
            .purge_older_than(cutoff_ms, max)
            .map_err(|e| e.to_string())
    }
}

fn decode(entry: AuditEntry) -> (AuditCursor, serde_json::Value) {
    let value = serde_json::from_slice(&entry.body).unwrap_or_else(|e| {
        serde_json::json!({"event": "unreadable", "error": e.to_string(), "record_id": entry.record_id})
    });
    (entry.cursor(), value)
}
