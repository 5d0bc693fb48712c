//! What the CRM said about one budget, read from a response (rate-limit
//! headers or a 429 body) by the connector or the host.

use std::time::Duration;

/// Server feedback about one budget; see [`Limiter::report`](crate::Limiter::report).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// The budget's [`BudgetSpec::name`](crate::BudgetSpec::name).
    pub budget: String,
    /// Tokens the CRM says are left.
    pub remaining: Option<u64>,
    /// The limit the CRM says applies (0 is ignored as nonsense).
    pub limit: Option<u64>,
    /// Time until the CRM's window or quota resets.
    pub reset: Option<Duration>,
}
