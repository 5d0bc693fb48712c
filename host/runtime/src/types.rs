//! The contract's data types, as the host sees them.
//!
//! These are the types generated from `wit/types.wit`, re-exported under
//! stable names so callers never touch generated modules.

pub use crate::bindings::types::{
    CrmRef, CrmResponse, Descriptor, Effect, ErrorClass, Field, FieldError, LimitScope, Payload,
    PushContext, PushError, PushOutcome, PushStatus, RateLimit, RateLimited, Record, RequestCost,
    Value,
};
