//! What a guest hands back, made safe to keep: every string the attempt carries to an
//! operator (CLI output, the dead-letter queue, the audit log, alerts) has the
//! deployment's secret values redacted and is cut to size, and every list is capped.
//!
//! This runs once, at the end of [`attempt`](crate::attempt), so `push` and `serve` keep
//! exactly the same bounded, redacted copy. What the guest itself is given back is never
//! redacted: a redacted echo would tell it which of its guesses was a secret.

use crate::deliver::{AttemptOutput, AttemptResult};
use crate::journal::truncate;
use crate::types::{CrmRef, ErrorClass, Field, FieldError, Payload, PushOutcome, Record, Value};

/// Longest free text kept (error reasons), in bytes.
pub const MAX_TEXT_BYTES: usize = 2048;
/// Longest name kept (field names, object types, ids, actions, policies), in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Most items kept of any list a guest returns (field errors, related objects, effects).
pub const MAX_LIST_ITEMS: usize = 64;
/// Most fields kept of the normalized record.
pub const MAX_RECORD_FIELDS: usize = 256;
/// Longest field value kept of the normalized record, in bytes.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;
/// Longest payload body kept, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// Redacts and bounds everything `out` keeps. `redact` replaces secret values.
pub(crate) fn sanitize(out: &mut AttemptOutput, redact: &dyn Fn(&str) -> String) {
    let s = Scrub(redact);
    match &mut out.result {
        AttemptResult::Delivered(o) => s.outcome(o),
        AttemptResult::Invalid { errors, .. } => s.field_errors(errors),
        AttemptResult::Failed(class) => s.class(class),
        // Fault texts are the host's own words plus the guest's stderr, which is
        // redacted and capped where it is captured.
        AttemptResult::Fault(_) => {}
    }
    if let Some(resp) = &mut out.response {
        s.text(&mut resp.body, MAX_TEXT_BYTES);
    }
    if let Some(rec) = &mut out.normalized {
        s.record(rec);
    }
    if let Some(p) = &mut out.payload {
        s.payload(p);
    }
}

struct Scrub<'a>(&'a dyn Fn(&str) -> String);

impl Scrub<'_> {
    fn text(&self, text: &mut String, max: usize) {
        // Redact before cutting, so a cut cannot split a secret out of recognition.
        let redacted = (self.0)(text);
        *text = truncate(redacted, max);
    }

    fn name(&self, text: &mut String) {
        self.text(text, MAX_NAME_BYTES);
    }

    fn crm_ref(&self, r: &mut CrmRef) {
        self.name(&mut r.object);
        self.name(&mut r.id);
    }

    fn outcome(&self, o: &mut PushOutcome) {
        self.crm_ref(&mut o.primary);
        o.related.truncate(MAX_LIST_ITEMS);
        o.related.iter_mut().for_each(|r| self.crm_ref(r));
        o.effects.truncate(MAX_LIST_ITEMS);
        for e in &mut o.effects {
            self.name(&mut e.action);
            self.crm_ref(&mut e.target);
        }
    }

    fn field_error(&self, e: &mut FieldError) {
        self.name(&mut e.field);
        self.text(&mut e.reason, MAX_TEXT_BYTES);
    }

    fn field_errors(&self, errors: &mut Vec<FieldError>) {
        let extra = errors.len().saturating_sub(MAX_LIST_ITEMS);
        errors.truncate(MAX_LIST_ITEMS);
        errors.iter_mut().for_each(|e| self.field_error(e));
        if extra > 0 {
            errors.push(FieldError {
                field: "…".into(),
                reason: format!("{extra} more field errors not kept"),
            });
        }
    }

    fn class(&self, class: &mut ErrorClass) {
        match class {
            ErrorClass::Transient(_) => {}
            ErrorClass::RateLimited(r) => self.name(&mut r.policy),
            ErrorClass::Auth(why)
            | ErrorClass::Permission(why)
            | ErrorClass::NotFound(why)
            | ErrorClass::Permanent(why) => self.text(why, MAX_TEXT_BYTES),
            ErrorClass::Validation(e) | ErrorClass::FieldRemoved(e) => self.field_error(e),
            ErrorClass::Duplicate(id) => {
                if let Some(id) = id {
                    self.name(id);
                }
            }
        }
    }

    fn record(&self, rec: &mut Record) {
        self.name(&mut rec.id);
        self.name(&mut rec.kind);
        rec.fields.truncate(MAX_RECORD_FIELDS);
        rec.fields.iter_mut().for_each(|f| self.field(f));
    }

    fn field(&self, f: &mut Field) {
        self.name(&mut f.name);
        match &mut f.value {
            Value::Text(t) | Value::Timestamp(t) | Value::Json(t) => self.text(t, MAX_VALUE_BYTES),
            Value::Null | Value::Integer(_) | Value::Number(_) | Value::Boolean(_) => {}
        }
    }

    fn payload(&self, p: &mut Payload) {
        self.name(&mut p.object);
        self.text(&mut p.body, MAX_PAYLOAD_BYTES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use crate::observed::Observed;
    use crate::types::PushStatus;

    const SECRET: &str = "pat-na1-5e3b";

    fn out(result: AttemptResult) -> AttemptOutput {
        AttemptOutput {
            result,
            response: None,
            journal: Journal::default(),
            normalized: None,
            payload: None,
            observed: Observed::default(),
            guest_time: std::time::Duration::ZERO,
        }
    }

    fn redact(text: &str) -> String {
        text.replace(SECRET, "[redacted]")
    }

    #[test]
    fn failure_texts_are_redacted_and_cut() {
        let why = format!("401: token {SECRET} is expired {}", "x".repeat(10_000));
        let mut o = out(AttemptResult::Failed(ErrorClass::Auth(why)));
        sanitize(&mut o, &redact);
        let AttemptResult::Failed(ErrorClass::Auth(kept)) = &o.result else {
            panic!("{:?}", o.result);
        };
        assert!(
            kept.starts_with("401: token [redacted] is expired"),
            "{kept}"
        );
        assert!(
            kept.len() <= MAX_TEXT_BYTES + '…'.len_utf8(),
            "{}",
            kept.len()
        );
    }

    #[test]
    fn lists_are_capped_and_say_how_much_was_dropped() {
        let errors = (0..10_000)
            .map(|i| FieldError {
                field: format!("f{i}"),
                reason: SECRET.into(),
            })
            .collect();
        let mut o = out(AttemptResult::Invalid {
            stage: crate::deliver::Stage::Normalize,
            errors,
        });
        sanitize(&mut o, &redact);
        let AttemptResult::Invalid { errors, .. } = &o.result else {
            panic!();
        };
        assert_eq!(errors.len(), MAX_LIST_ITEMS + 1);
        assert_eq!(errors[0].reason, "[redacted]");
        assert!(errors[MAX_LIST_ITEMS].reason.contains("9936 more"));

        let big = CrmRef {
            object: "o".repeat(100_000),
            id: SECRET.into(),
        };
        let mut o = out(AttemptResult::Delivered(PushOutcome {
            status: PushStatus::Created,
            primary: big.clone(),
            related: vec![big; 1000],
            effects: Vec::new(),
        }));
        sanitize(&mut o, &redact);
        let AttemptResult::Delivered(d) = &o.result else {
            panic!();
        };
        assert_eq!(d.related.len(), MAX_LIST_ITEMS);
        assert_eq!(d.primary.id, "[redacted]");
        assert!(d.primary.object.len() <= MAX_NAME_BYTES + 3);
    }
}
