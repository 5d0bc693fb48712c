//! Rate limits and circuit breaking for one (tenant, deployment)'s calls to
//! its CRM: pure logic, no I/O.
//!
//! # The limiter
//!
//! A [`Limiter`] holds the CRM's rate limits as budgets ([`BudgetSpec`]); a
//! request may go only when every budget has room for its cost
//! ([`BudgetSpec::cost_of`]: by method and path prefix; cost 0 means the
//! budget does not count it). The host's outbound HTTP calls
//! [`Limiter::acquire`] before every request and [`Permit::complete`] when the
//! response arrives.
//!
//! - **Rolling** budgets allow at most `tokens` in any window of `window`. The
//!   window is cut into 64 slots; a request counts from when it is sent until
//!   `window` after its response arrives (rounded up to the end of a slot).
//!   The CRM counts it at some instant in between, so whatever the network
//!   delay the host's count covers the CRM's and never exceeds its window.
//!   Rounding to slots counts a request at most 1/64 of a window too long, so
//!   with prompt responses the host sustains about 98.5% of the CRM's rate.
//! - **Daily** budgets are a quota of `tokens` that resets every `window`,
//!   first at [`LimiterConfig::first_daily_reset_in`] (by default the next UTC
//!   midnight).
//!
//! Waiting requests are served first come, first served. A request that would
//! have to wait longer than [`LimiterConfig::max_wait`] gets
//! [`AcquireError::Throttled`] at once, with the wait, and books nothing: the
//! record goes back to the queue. [`Limiter::ready_in`] tells the scheduler
//! how long until an attempt could start, so records wait in the queue rather
//! than in workers.
//!
//! The CRM's own numbers ([`Limiter::report`]) only ever make the limiter more
//! careful: a lower `remaining` is booked as usage, a lower `limit` lowers the
//! budget, an empty window with a reset time blocks until then. A
//! [`Limiter::pause`] (a `Retry-After`, a daily quota gone) stops every request.
//!
//! # The breaker
//!
//! A [`Breaker`] opens after repeated transient failures or a high failure
//! rate, rejects attempts during a cooldown, then lets one probe decide; see
//! the [`breaker`] module.
//!
//! # Time
//!
//! All time comes from [`tokio::time`], so tests run with paused time and
//! jump over windows and cooldowns deterministically.

#![warn(missing_docs)]

pub mod breaker;
mod budget;
mod clock;
mod daily;
mod error;
mod human;
mod limiter;
mod permit;
mod report;
mod snapshot;
mod spec;
mod state;
mod window;

pub use breaker::{Admission, Breaker, BreakerConfig, BreakerSnapshot, State, Transition};
pub use error::{AcquireError, UnknownBudget};
pub use limiter::Limiter;
pub use permit::Permit;
pub use report::Report;
pub use snapshot::{BudgetSnapshot, LimiterSnapshot};
pub use spec::{BudgetSpec, LimiterConfig, RequestCost, Scope};
