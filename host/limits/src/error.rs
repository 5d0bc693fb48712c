//! Errors at the crate boundary.

use std::time::Duration;

/// Why [`Limiter::acquire`](crate::Limiter::acquire) gave no permit. Nothing was booked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcquireError {
    /// The request would have to wait longer than the limiter's `max_wait`.
    #[error("rate limited by {cause:?}: retry in {wait:?}")]
    Throttled {
        /// How long until the request could go (a lower bound when it depends
        /// on requests in flight completing).
        wait: Duration,
        /// The budget's name, or `paused: <reason>`.
        cause: String,
    },
    /// The request costs more than the budget ever allows.
    #[error("request costs {cost} tokens but budget {budget:?} allows only {tokens}")]
    TooCostly {
        /// The budget's name.
        budget: String,
        /// What the request costs against it.
        cost: u32,
        /// The budget's tokens (lowered by the CRM's reported limit, if any).
        tokens: u64,
    },
}

/// A [`Report`](crate::Report) named a budget the limiter does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rate-limit budget {0:?}")]
pub struct UnknownBudget(pub String);
