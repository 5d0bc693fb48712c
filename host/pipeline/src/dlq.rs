//! Operator actions on the dead-letter queue: list, show, edit, replay, resolve. Each
//! action is audited.

use serde::Serialize;
use serde_json::Value as Json;
use switchboard_runtime::record_from_json;
use switchboard_storage::delivery::{DeadLetter, DeliveryError, DlqFilter, DlqStatus};

use crate::audit::AuditEvent;
use crate::clock::now_ms;
use crate::envelope::Envelope;
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;

/// What every view of a dead letter starts with.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterHead {
    /// Entry id.
    pub id: String,
    /// Tenant.
    pub tenant: String,
    /// Deployment.
    pub deployment: String,
    /// Record id.
    pub record_id: String,
    /// Reason tag.
    pub reason: String,
    /// When it was dead-lettered (unix ms).
    pub time_ms: u64,
    /// `open`, `replayed` or `resolved`.
    pub status: &'static str,
    /// When the status last changed (unix ms).
    pub status_ms: u64,
    /// The operator's note.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl DeadLetterHead {
    /// The head of `d`, its record id and note passed through `text`.
    fn of(d: &DeadLetter, text: impl Fn(&str) -> String) -> Self {
        Self {
            id: d.id.to_string(),
            tenant: d.lane.tenant.clone(),
            deployment: d.lane.deployment.clone(),
            record_id: text(&d.record_id),
            reason: d.reason.clone(),
            time_ms: d.time_ms,
            status: d.status.as_str(),
            status_ms: d.status_ms,
            note: text(&d.note),
        }
    }
}

/// A dead letter as operators see it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterView {
    /// The entry.
    #[serde(flatten)]
    pub head: DeadLetterHead,
    /// The envelope: record, trace id, detail, normalized record, payload, attempts.
    pub envelope: Json,
}

impl From<&DeadLetter> for DeadLetterView {
    fn from(d: &DeadLetter) -> Self {
        Self {
            head: DeadLetterHead::of(d, str::to_owned),
            envelope: serde_json::from_slice(&d.body)
                .unwrap_or_else(|e| serde_json::json!({"unreadable": e.to_string()})),
        }
    }
}

/// A dead letter as the list shows it: the entry and the start of its reason's words,
/// without the envelope (record, attempts, payload), so a page of fifty stays small
/// whatever the connector returned. [`Pipeline::dlq_show`] gives the whole entry.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterSummary {
    /// The entry, record id and note at most [`SUMMARY_TEXT_BYTES`].
    #[serde(flatten)]
    pub head: DeadLetterHead,
    /// The reason's words (at most [`SUMMARY_TEXT_BYTES`]).
    pub detail: String,
    /// Attempts made in all.
    pub attempts: u32,
}

/// Longest note or detail a [`DeadLetterSummary`] carries, in bytes.
pub const SUMMARY_TEXT_BYTES: usize = 240;

impl From<&DeadLetter> for DeadLetterSummary {
    fn from(d: &DeadLetter) -> Self {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct Head {
            detail: Option<String>,
            total_attempts: u32,
        }
        let head: Head = serde_json::from_slice(&d.body).unwrap_or_default();
        let cut = |t: &str| switchboard_runtime::truncate(t.to_owned(), SUMMARY_TEXT_BYTES);
        Self {
            head: DeadLetterHead::of(d, cut),
            detail: cut(head.detail.as_deref().unwrap_or("")),
            attempts: head.total_attempts,
        }
    }
}

/// A DLQ action failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DlqError {
    /// No such entry (404).
    #[error("no dead letter with id {0}")]
    NotFound(u64),
    /// The entry was already replayed or resolved (409).
    #[error("dead letter {id} is {status}, not open")]
    NotOpen {
        /// The entry.
        id: u64,
        /// Its status.
        status: &'static str,
    },
    /// The edit or filter is invalid (400).
    #[error("{0}")]
    Invalid(String),
    /// The store failed (503).
    #[error("storage error: {0}")]
    Storage(String),
}

impl From<DeliveryError> for DlqError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::NoSuchDeadLetter(id) => DlqError::NotFound(id),
            DeliveryError::NotOpen { id, status } => DlqError::NotOpen { id, status },
            DeliveryError::Invalid { what, reason } => {
                DlqError::Invalid(format!("{what}: {reason}"))
            }
            other => DlqError::Storage(other.to_string()),
        }
    }
}

/// What replaying many entries did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReplaySummary {
    /// `[dlq id, new item id]` of each replayed entry.
    pub replayed: Vec<(String, String)>,
    /// `[dlq id, error]` of each entry that could not be replayed.
    pub failed: Vec<(String, String)>,
}

impl Pipeline {
    /// Entries matching `filter`, newest first.
    pub fn dlq_list(&self, filter: &DlqFilter) -> Result<Vec<DeadLetterSummary>, DlqError> {
        Ok(self
            .inner
            .store
            .dlq_list(filter)?
            .iter()
            .map(DeadLetterSummary::from)
            .collect())
    }

    /// One entry.
    pub fn dlq_show(&self, id: u64) -> Result<DeadLetterView, DlqError> {
        let entry = self
            .inner
            .store
            .dlq_get(id)?
            .ok_or(DlqError::NotFound(id))?;
        Ok(DeadLetterView::from(&entry))
    }

    /// Replaces the record of an open entry. The new record must be valid and keep the
    /// same id (the idempotency key depends on it).
    pub fn dlq_edit(&self, id: u64, record: Json, note: &str) -> Result<DeadLetterView, DlqError> {
        let entry = self
            .inner
            .store
            .dlq_get(id)?
            .ok_or(DlqError::NotFound(id))?;
        let parsed =
            record_from_json(&record).map_err(|e| DlqError::Invalid(format!("record: {e}")))?;
        if parsed.id != entry.record_id {
            return Err(DlqError::Invalid(format!(
                "record: id: must stay {:?} (the idempotency key depends on it), got {:?}",
                entry.record_id, parsed.id
            )));
        }
        let mut env = Envelope::decode(&entry.body).map_err(DlqError::Invalid)?;
        env.record = record;
        self.inner.store.dlq_edit(id, &env.encode())?;
        self.audit_action(&entry, &env.trace_id, "dlq-edited", note);
        self.dlq_show(id)
    }

    /// Sends an open entry back to its queue under the same record id.
    pub fn dlq_replay(&self, id: u64, note: &str) -> Result<String, DlqError> {
        let now = now_ms();
        let entry = self
            .inner
            .store
            .dlq_get(id)?
            .ok_or(DlqError::NotFound(id))?;
        let item = self.inner.store.dlq_replay(id, now, note, &|d| {
            Envelope::decode(&d.body).map(|e| e.for_replay(now).encode())
        })?;
        let trace = Envelope::decode(&entry.body)
            .map(|e| e.trace_id)
            .unwrap_or_default();
        self.audit_action(&entry, &trace, "dlq-replayed", note);
        Metrics::inc(&self.inner.metrics.replayed);
        self.flush_and_wake();
        Ok(item.to_string())
    }

    /// Replays every open entry matching `filter` (its status is forced to open).
    pub fn dlq_replay_many(
        &self,
        filter: &DlqFilter,
        note: &str,
    ) -> Result<ReplaySummary, DlqError> {
        let filter = DlqFilter {
            status: Some(DlqStatus::Open),
            ..filter.clone()
        };
        let mut summary = ReplaySummary::default();
        for entry in self.inner.store.dlq_list(&filter)? {
            match self.dlq_replay(entry.id, note) {
                Ok(item) => summary.replayed.push((entry.id.to_string(), item)),
                Err(e) => summary.failed.push((entry.id.to_string(), e.to_string())),
            }
        }
        Ok(summary)
    }

    /// Marks an open entry resolved (kept for the record).
    pub fn dlq_resolve(&self, id: u64, note: &str) -> Result<DeadLetterView, DlqError> {
        let entry = self
            .inner
            .store
            .dlq_get(id)?
            .ok_or(DlqError::NotFound(id))?;
        self.inner.store.dlq_resolve(id, now_ms(), note)?;
        let trace = Envelope::decode(&entry.body)
            .map(|e| e.trace_id)
            .unwrap_or_default();
        self.audit_action(&entry, &trace, "dlq-resolved", note);
        self.dlq_show(id)
    }

    fn audit_action(&self, entry: &DeadLetter, trace_id: &str, event: &str, note: &str) {
        let connector = self
            .inner
            .lanes
            .iter()
            .find(|l| l.tenant == entry.lane.tenant && l.name == entry.lane.deployment)
            .map(|l| l.connector_label())
            .unwrap_or_default();
        let ev = AuditEvent {
            event: event.to_owned(),
            time_ms: now_ms(),
            tenant: entry.lane.tenant.clone(),
            deployment: entry.lane.deployment.clone(),
            connector,
            record_id: entry.record_id.clone(),
            trace_id: trace_id.to_owned(),
            outcome: "ok".into(),
            detail: format!("dlq {}: {note}", entry.id),
            ..AuditEvent::default()
        };
        if let Err(e) = self.inner.audit.record(&ev) {
            tracing::error!(error = %e, "audit write failed");
        }
    }

    /// DLQ actions are rare: flush in the background so the change is durable soon, and
    /// wake the workers for replayed records.
    fn flush_and_wake(&self) {
        for lane in &self.inner.lanes {
            lane.touch();
        }
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = store.flush() {
                tracing::error!(error = %e, "flush after a DLQ action failed");
            }
        });
        self.wake();
    }
}
