//! Why a record is dead-lettered: a short tag operators filter on, and words.

use switchboard_runtime::types::ErrorClass;
use switchboard_runtime::{AttemptResult, GuestFault, Stage};

/// The record is invalid (normalize or map-fields refused it, or the CRM refused a value).
pub const VALIDATION: &str = "validation";
/// The CRM no longer has a field the record maps to (its property was deleted).
pub const FIELD_REMOVED: &str = "field-removed";
/// The target or a referenced object does not exist or was deleted.
pub const NOT_FOUND: &str = "not-found";
/// Authenticated but not allowed.
pub const PERMISSION: &str = "permission";
/// Credentials missing, wrong or expired.
pub const AUTH: &str = "auth";
/// The object already exists and the connector could not resolve it.
pub const CONFLICT: &str = "conflict";
/// Any other failure the connector says retrying will not fix.
pub const PERMANENT: &str = "permanent";
/// Attempts or age ran out on retryable failures.
pub const RETRIES_EXHAUSTED: &str = "retries-exhausted";
/// The connector trapped, ran out of memory or time.
pub const CONNECTOR_FAULT: &str = "connector-fault";
/// The stored item could not be read back (or an operator's edit is not a record).
pub const BAD_RECORD: &str = "bad-record";

/// Every tag, for validating filters.
pub const ALL: &[&str] = &[
    VALIDATION,
    FIELD_REMOVED,
    NOT_FOUND,
    PERMISSION,
    AUTH,
    CONFLICT,
    PERMANENT,
    RETRIES_EXHAUSTED,
    CONNECTOR_FAULT,
    BAD_RECORD,
];

/// The tag and words for a result that will not be retried.
pub fn of(result: &AttemptResult) -> (&'static str, String) {
    match result {
        AttemptResult::Delivered(_) => (PERMANENT, "delivered".to_owned()),
        AttemptResult::Invalid { stage, errors } => {
            let step = match stage {
                Stage::Normalize => "normalize",
                Stage::MapFields => "map-fields",
            };
            let fields: Vec<String> = errors
                .iter()
                .map(|e| format!("{:?}: {}", e.field, e.reason))
                .collect();
            (VALIDATION, format!("{step} refused: {}", fields.join("; ")))
        }
        AttemptResult::Failed(class) => match class {
            ErrorClass::Validation(e) => (VALIDATION, format!("field {:?}: {}", e.field, e.reason)),
            ErrorClass::FieldRemoved(e) => (
                FIELD_REMOVED,
                format!(
                    "field {:?} no longer exists in the CRM: {}",
                    e.field, e.reason
                ),
            ),
            ErrorClass::NotFound(why) => (NOT_FOUND, why.clone()),
            ErrorClass::Permission(why) => (PERMISSION, why.clone()),
            ErrorClass::Auth(why) => (AUTH, why.clone()),
            ErrorClass::Duplicate(id) => (
                CONFLICT,
                match id {
                    Some(id) => format!("already exists as {id}"),
                    None => "already exists".to_owned(),
                },
            ),
            ErrorClass::Permanent(why) => (PERMANENT, why.clone()),
            ErrorClass::Transient(_) | ErrorClass::RateLimited(_) => {
                (RETRIES_EXHAUSTED, "retryable failure".to_owned())
            }
        },
        AttemptResult::Fault(fault) => (CONNECTOR_FAULT, fault_words(fault)),
    }
}

fn fault_words(fault: &GuestFault) -> String {
    fault.to_string()
}

/// The class of a result as one word, for the audit log.
pub fn class_word(result: &AttemptResult) -> &'static str {
    match result {
        AttemptResult::Delivered(_) => "ok",
        AttemptResult::Invalid { .. } => "invalid",
        AttemptResult::Failed(class) => switchboard_runtime::types::class_name(class),
        AttemptResult::Fault(_) => "connector-fault",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_runtime::types::FieldError;

    fn field_error(reason: &str) -> FieldError {
        FieldError {
            field: "hs_call_title".into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn a_removed_field_has_its_own_tag() {
        let removed = ErrorClass::FieldRemoved(field_error("Property does not exist"));
        let (tag, words) = of(&AttemptResult::Failed(removed));
        assert_eq!(tag, FIELD_REMOVED);
        assert!(words.contains("hs_call_title") && words.contains("no longer exists"));
        let refused = ErrorClass::Validation(field_error("must be a number"));
        assert_eq!(of(&AttemptResult::Failed(refused)).0, VALIDATION);
        assert!(ALL.contains(&FIELD_REMOVED));
    }
}
