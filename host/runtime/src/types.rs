//! The contract's data types, as the host sees them.
//!
//! These are the types generated from `wit/types.wit`, re-exported under
//! stable names so callers never touch generated modules.

pub use crate::bindings::types::{
    CrmRef, CrmResponse, Descriptor, Effect, ErrorClass, Field, FieldError, HttpError, LimitScope,
    Payload, PushContext, PushError, PushOutcome, PushStatus, RateLimit, RateLimited, Record,
    RequestCost, Value,
};

/// How the `policy` of a rate limit the host's own limiter imposed starts (`host: search`),
/// as opposed to one the CRM announced: such a limit needs no pause, the budgets hold.
pub const HOST_POLICY_PREFIX: &str = "host: ";

/// The class's name as the contract spells it: `transient`, `rate-limited`, `auth`,
/// `permission`, `not-found`, `validation`, `field-removed`, `duplicate` or `permanent`.
pub fn class_name(class: &ErrorClass) -> &'static str {
    match class {
        ErrorClass::Transient(_) => "transient",
        ErrorClass::RateLimited(_) => "rate-limited",
        ErrorClass::Auth(_) => "auth",
        ErrorClass::Permission(_) => "permission",
        ErrorClass::NotFound(_) => "not-found",
        ErrorClass::Validation(_) => "validation",
        ErrorClass::FieldRemoved(_) => "field-removed",
        ErrorClass::Duplicate(_) => "duplicate",
        ErrorClass::Permanent(_) => "permanent",
    }
}
