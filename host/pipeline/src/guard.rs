//! What an attempt's result means for its lane's guards: how long a rate limit pauses the
//! deployment (audited once per pause, not per record), what the breaker hears, and the
//! audit entry and counter of every breaker state change.

use std::time::Duration;

use switchboard_limits::{State, Transition};
use switchboard_runtime::types::{ErrorClass, LimitScope, RateLimited};
use switchboard_runtime::{AttemptOutput, AttemptResult, GuestFault};

use crate::audit::AuditEvent;
use crate::clock::{millis, now_ms};
use crate::lane::{Health, Lane};
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;
use crate::reason;

/// The `policy` prefix of a rate limit the host's own limiter imposed.
const HOST_POLICY: &str = "host: ";
/// The pause after a burst rate limit when neither the CRM nor a declared budget says
/// how long.
const DEFAULT_BURST_PAUSE: Duration = Duration::from_secs(1);

/// What the attempt says about the CRM's health.
pub(crate) fn health(out: &AttemptOutput) -> Health {
    let transport = out
        .journal
        .last_transport_failure()
        .is_some_and(|k| k.starts_with("timeout-") || k == "connect-failed" || k == "tls-failed");
    match &out.result {
        AttemptResult::Failed(ErrorClass::RateLimited(_)) => Health::Unknown,
        AttemptResult::Failed(ErrorClass::Transient(_)) => Health::Down,
        AttemptResult::Failed(_) if transport => Health::Down,
        AttemptResult::Fault(GuestFault::WallTimeout(_)) => Health::Down,
        AttemptResult::Fault(_) => Health::Unknown,
        AttemptResult::Delivered(_) | AttemptResult::Invalid { .. } | AttemptResult::Failed(_) => {
            Health::Up
        }
    }
}

/// The audit class: the host's name for a transport failure (`timeout-tls-handshake`,
/// `timeout-connect`, `connect-failed`, ...) when the attempt failed on one, so a slow
/// handshake is never filed as a CRM error; otherwise the result's class.
pub(crate) fn class_of(out: &AttemptOutput) -> String {
    match (&out.result, out.journal.last_transport_failure()) {
        (AttemptResult::Failed(ErrorClass::RateLimited(_)), _) => {
            reason::class_word(&out.result).into()
        }
        (AttemptResult::Failed(_) | AttemptResult::Fault(_), Some(kind)) => kind.into(),
        (result, _) => reason::class_word(result).into(),
    }
}

impl Pipeline {
    /// How long the record waits after `limited`. A CRM rate limit pauses the whole
    /// deployment until the reset (burst: the retry-after or the shortest declared burst
    /// window; daily: the retry-after or the next daily reset) and audits the pause once. A
    /// limit the host's own limiter imposed needs no pause: the budgets already hold.
    pub(crate) fn rate_limit_wait(&self, lane: &Lane, limited: &RateLimited) -> Duration {
        let said = limited.retry_after_ms.map(Duration::from_millis);
        if limited.policy.starts_with(HOST_POLICY) {
            return said.unwrap_or(DEFAULT_BURST_PAUSE);
        }
        Metrics::inc(&self.inner.metrics.rate_limited);
        let limiter = lane.limiter();
        let reason = format!(
            "the CRM said {} ({})",
            limited.policy,
            match limited.scope {
                LimitScope::Burst => "burst",
                LimitScope::Daily => "daily",
            }
        );
        let (wait, changed) = match (limited.scope, said) {
            (LimitScope::Daily, None) => (
                limiter.daily_reset_in(),
                limiter.pause_until_daily_reset(reason.clone()),
            ),
            (LimitScope::Burst, None) => {
                let wait = shortest_burst_window(lane).unwrap_or(DEFAULT_BURST_PAUSE);
                (wait, limiter.pause(wait, reason.clone()))
            }
            (_, Some(wait)) => (wait, limiter.pause(wait, reason.clone())),
        };
        if changed {
            Metrics::inc(&self.inner.metrics.rate_limit_pauses);
            let until = now_ms().saturating_add(millis(wait));
            tracing::warn!(tenant = %lane.tenant, deployment = %lane.name, pause_ms = millis(wait),
                %reason, "deployment paused: rate-limited by the CRM");
            self.guard_event(
                lane,
                "rate-limit-pause",
                "paused",
                format!("{reason}; no attempts for {} ms", millis(wait)),
                Some(until),
            );
        }
        wait
    }

    /// Audits, logs and counts a breaker state change.
    pub(crate) fn breaker_changed(&self, lane: &Lane, t: &Transition) {
        let counter = match t.to {
            State::Open => &self.inner.metrics.breaker_opened,
            State::HalfOpen => &self.inner.metrics.breaker_half_opened,
            State::Closed => &self.inner.metrics.breaker_closed,
        };
        Metrics::inc(counter);
        tracing::warn!(tenant = %lane.tenant, deployment = %lane.name, from = %t.from, to = %t.to,
            reason = %t.reason, "circuit breaker changed state");
        self.guard_event(
            lane,
            "breaker",
            &t.to.to_string(),
            format!("{} -> {}: {}", t.from, t.to, t.reason),
            None,
        );
    }

    fn guard_event(
        &self,
        lane: &Lane,
        event: &str,
        outcome: &str,
        detail: String,
        until: Option<u64>,
    ) {
        let entry = AuditEvent {
            event: event.into(),
            time_ms: now_ms(),
            tenant: lane.tenant.clone(),
            deployment: lane.name.clone(),
            connector: lane.connector_label(),
            outcome: outcome.into(),
            detail,
            next_retry_ms: until,
            ..AuditEvent::default()
        };
        if let Err(e) = self.inner.audit.record(&entry) {
            tracing::error!(error = %e, "audit write failed");
        }
    }
}

/// The shortest window among the connector's burst budgets.
fn shortest_burst_window(lane: &Lane) -> Option<Duration> {
    lane.deployment
        .descriptor()
        .rate_limits
        .iter()
        .filter(|l| matches!(l.scope, LimitScope::Burst))
        .map(|l| Duration::from_millis(l.window_ms))
        .min()
}
