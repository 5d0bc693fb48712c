//! What an attempt's result means for its lane's guards: how long a rate limit pauses the
//! deployment (audited once per pause, not per record), what the breaker hears, and the
//! audit entry and counter of every breaker state change.

use std::time::Duration;

use switchboard_limits::{State, Transition};
use switchboard_runtime::types::{ErrorClass, HOST_POLICY_PREFIX, LimitScope, RateLimited};
use switchboard_runtime::{AttemptOutput, AttemptResult, GuestFault};

use crate::audit::AuditEvent;
use crate::clock::{millis, now_ms};
use crate::lane::{Health, Lane};
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;
use crate::reason;

/// The pause after a burst rate limit when neither the CRM nor a declared budget says
/// how long.
const DEFAULT_BURST_PAUSE: Duration = Duration::from_secs(1);
/// The shortest wait after any rate limit, so a `Retry-After: 0` cannot start a loop of
/// uncounted attempts.
const MIN_RATE_LIMIT_WAIT: Duration = Duration::from_millis(250);

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
        // Delivered, or refused by the CRM: up, if the CRM was heard from at all (a record
        // refused by `normalize` says nothing about the CRM).
        AttemptResult::Delivered(_) | AttemptResult::Invalid { .. } | AttemptResult::Failed(_) => {
            if out.journal.http.iter().any(|x| x.result.is_ok()) {
                Health::Up
            } else {
                Health::Unknown
            }
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
        let said = limited
            .retry_after_ms
            .map(|ms| Duration::from_millis(ms).max(MIN_RATE_LIMIT_WAIT));
        if limited.policy.starts_with(HOST_POLICY_PREFIX) {
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
                let wait = longest_burst_window(lane).unwrap_or(DEFAULT_BURST_PAUSE);
                (wait, limiter.pause(wait, reason.clone()))
            }
            (_, Some(wait)) => (wait, limiter.pause(wait, reason.clone())),
        };
        if changed {
            Metrics::inc(&self.inner.metrics.rate_limit_pauses);
            let until = now_ms().saturating_add(millis(wait));
            self.save_pause(lane, until, &reason);
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

    pub(crate) fn guard_event(
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

/// The longest window among the connector's burst budgets: any of them may be the one
/// the CRM meant, and each is clear after its window.
fn longest_burst_window(lane: &Lane) -> Option<Duration> {
    lane.deployment
        .descriptor()
        .rate_limits
        .iter()
        .filter(|l| matches!(l.scope, LimitScope::Burst))
        .map(|l| Duration::from_millis(l.window_ms))
        .max()
}

#[cfg(test)]
mod tests {
    use switchboard_runtime::{HttpExchange, Journal};

    use super::*;

    fn out(result: AttemptResult, failure: Option<&'static str>) -> AttemptOutput {
        AttemptOutput {
            result,
            response: None,
            journal: Journal {
                http: vec![HttpExchange {
                    request: "POST https://api.hubapi.com/crm/v3/objects/calls/batch/upsert".into(),
                    result: match failure {
                        Some(kind) => Err(kind.to_owned()),
                        None => Ok(503),
                    },
                    failure,
                    elapsed_ms: 5000,
                }],
                ..Journal::default()
            },
            normalized: None,
            payload: None,
            observed: Default::default(),
            guest_time: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn a_slow_tls_handshake_is_filed_under_the_host_s_name_whatever_the_connector_said() {
        for class in [
            ErrorClass::Transient(None),
            ErrorClass::Permanent("tls failed".into()),
        ] {
            let o = out(AttemptResult::Failed(class), Some("timeout-tls-handshake"));
            assert_eq!(class_of(&o), "timeout-tls-handshake");
            assert_eq!(health(&o), Health::Down);
        }
        let crm = out(AttemptResult::Failed(ErrorClass::Transient(None)), None);
        assert_eq!(class_of(&crm), "transient");
        assert_eq!(health(&crm), Health::Down);
    }

    #[test]
    fn a_crm_that_answers_is_up_and_a_rate_limit_says_nothing() {
        let refused = out(
            AttemptResult::Failed(ErrorClass::Auth("expired".into())),
            None,
        );
        assert_eq!(health(&refused), Health::Up);
        let limited = out(
            AttemptResult::Failed(ErrorClass::RateLimited(RateLimited {
                retry_after_ms: Some(1000),
                scope: LimitScope::Burst,
                policy: "TEN_SECONDLY_ROLLING".into(),
            })),
            None,
        );
        assert_eq!(health(&limited), Health::Unknown);
        assert_eq!(class_of(&limited), "rate-limited");
        let wall = out(
            AttemptResult::Fault(GuestFault::WallTimeout(std::time::Duration::from_secs(30))),
            None,
        );
        assert_eq!(health(&wall), Health::Down);
        // Refused before any request: says nothing about the CRM.
        let mut invalid = out(
            AttemptResult::Invalid {
                stage: switchboard_runtime::Stage::Normalize,
                errors: Vec::new(),
            },
            None,
        );
        invalid.journal.http.clear();
        assert_eq!(health(&invalid), Health::Unknown);
    }
}
