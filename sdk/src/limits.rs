//! Rate-limit feedback: pass on what the CRM's headers say about its budgets.
//! The host spends each request's cost from its own budgets before sending;
//! these reports only ever lower what it thinks is left.
//!
//! ```no_run
//! use switchboard_sdk::{http::Request, limits};
//! let resp = Request::get("https://api.hubapi.com/crm/v3/objects/contacts").send()?;
//! limits::report(limits::BudgetReport {
//!     budget: "ten-secondly".into(),
//!     remaining: limits::header_u64(&resp, "x-hubspot-ratelimit-remaining"),
//!     limit: limits::header_u64(&resp, "x-hubspot-ratelimit-max"),
//!     reset_ms: None,
//! });
//! # Ok::<(), switchboard_sdk::http::HttpError>(())
//! ```

use crate::__bindings::switchboard::connector::limits as wit;
use crate::http::Response;

pub use wit::BudgetReport;

/// Tells the host what the CRM said about one budget (by the name `describe` gave it).
pub fn report(report: BudgetReport) {
    wit::report(&report);
}

/// A header's value as a whole number, if present and numeric.
pub fn header_u64(resp: &Response, name: &str) -> Option<u64> {
    resp.header(name)?.trim().parse().ok()
}
