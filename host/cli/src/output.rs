//! Rendering delivery results for people (text) and machines (JSON lines).

use switchboard_runtime::types::{ErrorClass, PushStatus};
use switchboard_runtime::{AttemptResult, DeliveryReport, Stage};

/// One line of input and what became of it.
pub(crate) enum Line {
    /// The line was a record and went through the connector.
    Delivered(DeliveryReport),
    /// The line was not a record.
    Unreadable { line: usize, error: String },
}

impl Line {
    pub(crate) fn json(&self) -> String {
        match self {
            Line::Delivered(r) => serde_json::to_string(r).unwrap_or_default(),
            Line::Unreadable { line, error } => {
                serde_json::json!({ "line": line, "error": error }).to_string()
            }
        }
    }

    pub(crate) fn text(&self) -> String {
        match self {
            Line::Unreadable { line, error } => format!("✗ line {line}: not a record: {error}"),
            Line::Delivered(r) => {
                let tries = match r.attempts.len() {
                    1 => String::new(),
                    n => format!(" after {n} attempts"),
                };
                match r.outcome() {
                    Some(AttemptResult::Delivered(o)) => {
                        let status = match o.status {
                            PushStatus::Created => "created",
                            PushStatus::Updated => "updated",
                            PushStatus::AlreadyPresent => "already present",
                        };
                        let related: Vec<String> = o
                            .related
                            .iter()
                            .map(|c| format!("{}/{}", c.object, c.id))
                            .collect();
                        let notes: Vec<String> = r
                            .attempts
                            .last()
                            .map(|a| {
                                a.journal
                                    .annotations
                                    .iter()
                                    .map(|(k, v)| format!("{k}: {v}"))
                                    .collect()
                            })
                            .unwrap_or_default();
                        format!(
                            "✓ {:<14} {status:<16} {}/{}{}{tries}{}",
                            r.record_id,
                            o.primary.object,
                            o.primary.id,
                            if related.is_empty() {
                                String::new()
                            } else {
                                format!(" → {}", related.join(", "))
                            },
                            if notes.is_empty() {
                                String::new()
                            } else {
                                format!("  [{}]", notes.join("; "))
                            },
                        )
                    }
                    Some(AttemptResult::Invalid { stage, errors }) => {
                        let list: Vec<String> = errors
                            .iter()
                            .map(|e| format!("{}: {}", e.field, e.reason))
                            .collect();
                        let stage = match stage {
                            Stage::Normalize => "normalize",
                            Stage::MapFields => "map-fields",
                        };
                        format!(
                            "✗ {:<14} invalid ({stage}): {}",
                            r.record_id,
                            list.join("; ")
                        )
                    }
                    Some(AttemptResult::Failed(class)) => {
                        let status = r
                            .attempts
                            .last()
                            .and_then(|a| a.response.as_ref())
                            .map(|resp| format!(" (HTTP {})", resp.status))
                            .unwrap_or_default();
                        format!(
                            "✗ {:<14} failed{tries}: {}{status}",
                            r.record_id,
                            describe_class(class)
                        )
                    }
                    Some(AttemptResult::Fault(f)) => {
                        format!("✗ {:<14} connector fault: {f}", r.record_id)
                    }
                    None => format!("✗ {:<14} no attempt made", r.record_id),
                }
            }
        }
    }
}

fn describe_class(class: &ErrorClass) -> String {
    match class {
        ErrorClass::Transient(_) => "transient CRM failure".into(),
        ErrorClass::RateLimited(r) => format!("rate limited ({:?}, {})", r.scope, r.policy),
        ErrorClass::Auth(m) => format!("auth: {m}"),
        ErrorClass::Permission(m) => format!("permission: {m}"),
        ErrorClass::NotFound(m) => format!("not found: {m}"),
        ErrorClass::Validation(f) => format!("validation: {}: {}", f.field, f.reason),
        ErrorClass::FieldRemoved(f) => format!("field removed: {}: {}", f.field, f.reason),
        ErrorClass::Duplicate(id) => {
            format!("duplicate (existing {})", id.as_deref().unwrap_or("?"))
        }
        ErrorClass::Permanent(m) => format!("permanent: {m}"),
    }
}

/// Counts per outcome.
#[derive(Default, serde::Serialize)]
pub(crate) struct Summary {
    created: u32,
    updated: u32,
    already_present: u32,
    invalid: u32,
    failed: u32,
}

impl Summary {
    pub(crate) fn count(&mut self, line: &Line) {
        match line {
            Line::Unreadable { .. } => self.invalid += 1,
            Line::Delivered(r) => match r.outcome() {
                Some(AttemptResult::Delivered(o)) => match o.status {
                    PushStatus::Created => self.created += 1,
                    PushStatus::Updated => self.updated += 1,
                    PushStatus::AlreadyPresent => self.already_present += 1,
                },
                Some(AttemptResult::Invalid { .. }) => self.invalid += 1,
                _ => self.failed += 1,
            },
        }
    }

    pub(crate) fn all_delivered(&self) -> bool {
        self.invalid == 0 && self.failed == 0
    }

    pub(crate) fn text(&self) -> String {
        format!(
            "{} created, {} updated, {} already present, {} invalid, {} failed",
            self.created, self.updated, self.already_present, self.invalid, self.failed
        )
    }
}
