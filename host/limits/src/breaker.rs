//! The circuit breaker for one (tenant, deployment): stop calling a CRM that
//! keeps failing, then let one probe through after a cooldown.
//!
//! A pure state machine; the caller passes the time in. Closed admits every
//! attempt and opens after `consecutive_failures` transient failures in a row,
//! or when more than `failure_rate` of at least `min_calls` results in the last
//! `window` were failures. Open rejects until its cooldown ends, then admits
//! exactly one probe (half-open): a success closes the breaker, a failure
//! reopens it with the cooldown doubled (up to `max_cooldown`). Results that
//! say nothing about the CRM's health (rate limited, invalid record, connector
//! bug) are neutral.
//!
//! Results arriving while Open are from attempts admitted before it opened and
//! are ignored; once the cooldown has ended any result decides, since a
//! late success is as good a sign of health as the probe's.

mod outcomes;

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::{clock, human};
use outcomes::Outcomes;

/// The shortest retry hint while a probe is out.
const MIN_PROBE_RETRY: Duration = Duration::from_millis(50);

/// When the breaker opens and how long it stays open.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    /// Transient failures in a row that open the breaker (0 counts as 1).
    pub consecutive_failures: u32,
    /// Failure share (0..=1) over `window` above which the breaker opens.
    pub failure_rate: f64,
    /// How far back the failure rate looks.
    pub window: Duration,
    /// Results needed in the window before the rate is judged.
    pub min_calls: u32,
    /// First cooldown after opening.
    pub cooldown: Duration,
    /// Longest cooldown after repeated failed probes.
    pub max_cooldown: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            consecutive_failures: 5,
            failure_rate: 0.5,
            window: Duration::from_secs(30),
            min_calls: 20,
            cooldown: Duration::from_secs(5),
            max_cooldown: Duration::from_secs(5 * 60),
        }
    }
}

/// The breaker's state as operators see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Calls go through.
    Closed,
    /// Calls are rejected until the cooldown ends.
    Open,
    /// The cooldown ended; one probe decides.
    HalfOpen,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
        })
    }
}

/// Whether an attempt may call the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go ahead.
    Allowed,
    /// Half-open: go ahead as the one probe; report its result.
    Probe,
    /// Not now; try again after `retry_in`.
    Rejected {
        /// When admission may be granted.
        retry_in: Duration,
    },
}

/// A change of state, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// Why, in words an operator can act on.
    pub reason: String,
}

/// The breaker's status for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakerSnapshot {
    /// The state now.
    pub state: State,
    /// Transient failures in a row.
    pub consecutive_failures: u32,
    /// Results in the failure-rate window.
    pub window_calls: u32,
    /// Failures in the failure-rate window.
    pub window_failures: u32,
    /// Cooldown left, while open.
    pub open_for_ms: Option<u64>,
    /// The cooldown the next opening (or the current one) uses.
    pub cooldown_ms: u64,
}

/// Where the state machine is.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Closed,
    /// Open; half-open from `until` on, before any probe was admitted.
    Open {
        until: Instant,
    },
    HalfOpen {
        probe_out: bool,
    },
}

/// A circuit breaker for one (tenant, deployment).
#[derive(Debug)]
pub struct Breaker {
    cfg: BreakerConfig,
    mode: Mode,
    consecutive: u32,
    cooldown: Duration,
    outcomes: Outcomes,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(cfg: BreakerConfig, now: Instant) -> Self {
        Self {
            mode: Mode::Closed,
            consecutive: 0,
            cooldown: cfg.cooldown,
            outcomes: Outcomes::new(cfg.window, now),
            cfg,
        }
    }

    /// The state at `now`; an Open breaker whose cooldown has ended is HalfOpen.
    pub fn state(&self, now: Instant) -> State {
        match self.mode {
            Mode::Closed => State::Closed,
            Mode::Open { until } if now < until => State::Open,
            Mode::Open { .. } | Mode::HalfOpen { .. } => State::HalfOpen,
        }
    }

    /// Whether an attempt may go now, and the transition this causes (Open to
    /// HalfOpen when the first probe is admitted).
    pub fn admit(&mut self, now: Instant) -> (Admission, Option<Transition>) {
        match self.mode {
            Mode::Closed => (Admission::Allowed, None),
            Mode::Open { until } if now < until => (
                Admission::Rejected {
                    retry_in: until - now,
                },
                None,
            ),
            Mode::Open { .. } => {
                self.mode = Mode::HalfOpen { probe_out: true };
                let reason = format!(
                    "cooldown of {} ended; sending one probe",
                    human::duration(self.cooldown)
                );
                (
                    Admission::Probe,
                    Some(transition(State::Open, State::HalfOpen, reason)),
                )
            }
            Mode::HalfOpen { probe_out: false } => {
                self.mode = Mode::HalfOpen { probe_out: true };
                (Admission::Probe, None)
            }
            Mode::HalfOpen { probe_out: true } => (
                Admission::Rejected {
                    retry_in: (self.cooldown / 4).max(MIN_PROBE_RETRY),
                },
                None,
            ),
        }
    }

    /// An attempt succeeded.
    pub fn on_success(&mut self, now: Instant) -> Option<Transition> {
        match (self.state(now), self.mode) {
            (State::Closed, _) => {
                self.consecutive = 0;
                self.outcomes.record(now, false);
                None
            }
            (State::Open, _) => None,
            (State::HalfOpen, mode) => {
                let reason = if matches!(mode, Mode::HalfOpen { probe_out: true }) {
                    "probe succeeded"
                } else {
                    "a call succeeded after the cooldown"
                };
                self.mode = Mode::Closed;
                self.consecutive = 0;
                self.outcomes.clear();
                self.cooldown = self.cfg.cooldown;
                Some(transition(State::HalfOpen, State::Closed, reason.into()))
            }
        }
    }

    /// An attempt failed transiently (timeout, 5xx, connection error).
    pub fn on_failure(&mut self, now: Instant) -> Option<Transition> {
        match self.state(now) {
            State::Closed => {
                self.consecutive = self.consecutive.saturating_add(1);
                self.outcomes.record(now, true);
                let reason = self.open_reason(now)?;
                self.mode = Mode::Open {
                    until: clock::after(now, self.cooldown),
                };
                Some(transition(State::Closed, State::Open, reason))
            }
            State::Open => None,
            State::HalfOpen => {
                let cap = self.cfg.max_cooldown.max(self.cfg.cooldown);
                self.cooldown = self.cooldown.saturating_mul(2).min(cap);
                self.mode = Mode::Open {
                    until: clock::after(now, self.cooldown),
                };
                let reason = format!(
                    "probe failed; cooldown now {}",
                    human::duration(self.cooldown)
                );
                Some(transition(State::HalfOpen, State::Open, reason))
            }
        }
    }

    /// Why the breaker should open now, if it should.
    fn open_reason(&self, now: Instant) -> Option<String> {
        if self.consecutive >= self.cfg.consecutive_failures.max(1) {
            return Some(format!(
                "{} consecutive transient failures",
                self.consecutive
            ));
        }
        let (calls, failures) = self.outcomes.totals(now);
        let rate = f64::from(failures) / f64::from(calls.max(1));
        (calls >= self.cfg.min_calls && rate > self.cfg.failure_rate).then(|| {
            format!(
                "failure rate {:.0}% over the last {} ({calls} calls)",
                rate * 100.0,
                human::duration(self.cfg.window)
            )
        })
    }

    /// The attempt ended neither way (rate limited, permanent error, connector
    /// bug): a probe out is freed so the next admission sends another.
    pub fn on_neutral(&mut self, _now: Instant) {
        if let Mode::HalfOpen { probe_out: true } = self.mode {
            self.mode = Mode::HalfOpen { probe_out: false };
        }
    }

    /// The breaker's status.
    pub fn snapshot(&self, now: Instant) -> BreakerSnapshot {
        let (window_calls, window_failures) = self.outcomes.totals(now);
        let open_for = match self.mode {
            Mode::Open { until } if now < until => Some(until - now),
            _ => None,
        };
        BreakerSnapshot {
            state: self.state(now),
            consecutive_failures: self.consecutive,
            window_calls,
            window_failures,
            open_for_ms: open_for.map(clock::ms_ceil),
            cooldown_ms: clock::ms_ceil(self.cooldown),
        }
    }
}

fn transition(from: State, to: State, reason: String) -> Transition {
    Transition { from, to, reason }
}

#[cfg(test)]
mod tests;
