//! The limiter's status for operators (`switchboard status`, the admin API).

use serde::Serialize;

/// A point-in-time view of a [`Limiter`](crate::Limiter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimiterSnapshot {
    /// Time left of the pause, if one is active.
    pub paused_for_ms: Option<u64>,
    /// Why the limiter is paused, if it is.
    pub pause_reason: Option<String>,
    /// Every budget, in configuration order.
    pub budgets: Vec<BudgetSnapshot>,
}

/// A point-in-time view of one budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetSnapshot {
    /// The budget's name.
    pub name: String,
    /// `"rolling"` or `"daily"`.
    pub scope: &'static str,
    /// Tokens per window as configured.
    pub tokens: u64,
    /// The limit the CRM last reported; the budget allows the lower of this and `tokens`.
    pub server_limit: Option<u64>,
    /// Tokens counting now (for rolling budgets: including requests in flight).
    pub used: u64,
    /// Tokens left under the lower of `tokens` and `server_limit`.
    pub remaining: u64,
    /// How long until the budget has room for its cheapest request; `None` if it has room now.
    pub blocked_for_ms: Option<u64>,
    /// Time to the next reset (daily budgets only).
    pub resets_in_ms: Option<u64>,
}
