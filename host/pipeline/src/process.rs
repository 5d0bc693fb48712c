//! One leased item, start to finish: run one attempt, write the audit entry, then ack,
//! schedule a retry, or dead-letter it.
//!
//! The audit entry is written before the queue changes, so an attempt that happened is
//! always in the audit log; a crash in between re-runs the record, which the idempotency
//! key makes harmless.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value as Json, json};
use switchboard_limits::State;
use switchboard_runtime::types::{ErrorClass, PushContext};
use switchboard_runtime::{
    AttemptOutput, AttemptResult, WorkUnit, attempt, record_from_json, record_to_json, truncate,
};
use switchboard_storage::delivery::{DeliveryError, Leased, NewDeadLetter};

use crate::audit::AuditEvent;
use crate::clock::{millis, now_ms};
use crate::envelope::Envelope;
use crate::guard;
use crate::lane::{Health, Lane, Probe};
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;
use crate::reason;

/// What became of the item.
enum Next {
    Ack,
    /// Try again at `due_ms`; `counted` says whether the attempt counts against
    /// `max_attempts` (a rate limit, a failed breaker probe, or the failure that opened the
    /// breaker do not: the deployment was unavailable, not the record).
    Retry {
        due_ms: u64,
        counted: bool,
    },
    DeadLetter {
        reason: &'static str,
        detail: String,
    },
}

impl Pipeline {
    /// Processes one leased item of `lane`; `probe` when it is the half-open breaker's probe
    /// (dropped unsettled if the item never gets an attempt).
    pub(crate) async fn process(&self, lane: Arc<Lane>, item: Leased, probe: Option<Probe>) {
        let mut env = match Envelope::decode(&item.body) {
            Ok(env) => env,
            Err(why) => {
                let mut env = Envelope::new(json!({"id": item.record_id}), String::new(), 0);
                env.detail = Some(why.clone());
                self.bury(&lane, &item, &mut env, reason::BAD_RECORD, why, None);
                return;
            }
        };
        let record = match record_from_json(&env.record) {
            Ok(r) if r.id == item.record_id => r,
            Ok(r) => {
                let why = format!("record id changed from {:?} to {:?}", item.record_id, r.id);
                self.bury(&lane, &item, &mut env, reason::BAD_RECORD, why, None);
                return;
            }
            Err(e) => {
                self.bury(
                    &lane,
                    &item,
                    &mut env,
                    reason::BAD_RECORD,
                    e.to_string(),
                    None,
                );
                return;
            }
        };
        let dep = &lane.deployment;
        let key = dep.idempotency_key(&record.id);
        let number = env.total_attempts.saturating_add(1);
        let ctx = PushContext {
            tenant: lane.tenant.clone(),
            idempotency_key: key.clone(),
            trace_id: env.trace_id.clone(),
            attempt: number,
        };
        let unit = WorkUnit {
            record_id: record.id.clone(),
            trace_id: env.trace_id.clone(),
        };
        let started = std::time::Instant::now();
        let out = attempt(dep, unit, &record, &ctx).await;
        let elapsed = started.elapsed();
        Metrics::inc(&self.inner.metrics.attempts);
        let health = guard::health(&out);
        let was_probe = probe.is_some();
        let transition = match probe {
            Some(probe) => probe.settle(health),
            None => lane.settle(health),
        };
        if let Some(t) = &transition {
            self.breaker_changed(&lane, t);
        }
        let breaker_spoke = was_probe || transition.is_some_and(|t| t.to == State::Open);

        let now = now_ms();
        let next = self.decide(&lane, &env, &out.result, health, now, !breaker_spoke);
        let mut event = self.attempt_event(&lane, &env, &key, number, &out, elapsed, now);
        match &next {
            Next::Ack => event.outcome = "delivered".into(),
            Next::Retry { due_ms, counted } => {
                event.outcome = if matches!(
                    out.result,
                    AttemptResult::Failed(ErrorClass::RateLimited(_))
                ) {
                    "rate-limit-wait".into()
                } else if *counted {
                    "retry-scheduled".into()
                } else {
                    "breaker-wait".into()
                };
                event.next_retry_ms = Some(*due_ms);
            }
            Next::DeadLetter { reason, detail } => {
                event.outcome = "dead-lettered".into();
                event.detail = format!("{reason}: {detail}");
            }
        }
        let summary = attempt_summary(&lane, number, now, elapsed, &out, event.next_retry_ms);
        match next {
            Next::Retry {
                due_ms,
                counted: false,
            } => env.wait(
                summary,
                due_ms.saturating_sub(now),
                rate_limited(&out.result),
            ),
            _ => env.push_attempt(summary, true),
        }
        if let Err(e) = self.inner.audit.record(&event) {
            tracing::error!(error = %e, record_id = %record.id, "audit write failed");
        }
        let result = match next {
            Next::Ack => self.inner.store.ack(&item.lease).map(|()| {
                Metrics::inc(&self.inner.metrics.delivered);
            }),
            Next::Retry { due_ms, .. } => {
                let stored = self
                    .inner
                    .store
                    .retry_later(&item.lease, due_ms, &sealed(&lane, &env))
                    .map(|()| Metrics::inc(&self.inner.metrics.retries));
                lane.due_by(due_ms);
                stored
            }
            Next::DeadLetter { reason, detail } => {
                self.bury(&lane, &item, &mut env, reason, detail, Some(&out));
                return;
            }
        };
        self.report_store_error(result, &item);
    }

    /// Ack, retry or dead-letter, by the result and the lane's limits. A rate limit never
    /// dead-letters: the record waits for the reset, uncounted. `counts` is false when the
    /// breaker spoke for this attempt (a probe, or the failure that opened it).
    fn decide(
        &self,
        lane: &Lane,
        env: &Envelope,
        result: &AttemptResult,
        health: Health,
        now: u64,
        counts: bool,
    ) -> Next {
        match result {
            AttemptResult::Delivered(_) => return Next::Ack,
            AttemptResult::Failed(ErrorClass::RateLimited(limited)) => {
                let wait = self.rate_limit_wait(lane, limited);
                return Next::Retry {
                    due_ms: now.saturating_add(millis(wait)),
                    counted: false,
                };
            }
            _ => {}
        }
        // A transport failure the host saw (timeout, broken connection) is retried whatever
        // the connector made of it.
        let transport = health == Health::Down;
        let Some(retry_after) = result.retry_after().or(transport.then_some(None)) else {
            let (reason, detail) = reason::of(result);
            return Next::DeadLetter { reason, detail };
        };
        let policy = &lane.policy;
        if !counts {
            let retry = env.round_attempts.saturating_add(1);
            return Next::Retry {
                due_ms: now.saturating_add(millis(policy.delay(retry, retry_after))),
                counted: false,
            };
        }
        let attempts = env.round_attempts.saturating_add(1);
        if attempts >= policy.max_attempts {
            return Next::DeadLetter {
                reason: reason::RETRIES_EXHAUSTED,
                detail: format!("{attempts} attempts; last: {}", reason::class_word(result)),
            };
        }
        let due_ms = now.saturating_add(millis(policy.delay(attempts, retry_after)));
        // Time spent waiting out rate limits and breakers does not age the record.
        let deadline = env
            .round_started_ms
            .saturating_add(env.waited_ms)
            .saturating_add(millis(policy.max_age));
        if due_ms > deadline {
            return Next::DeadLetter {
                reason: reason::RETRIES_EXHAUSTED,
                detail: format!(
                    "the next attempt would be {} s past the max age of {} s",
                    (due_ms - deadline) / 1000,
                    policy.max_age.as_secs()
                ),
            };
        }
        Next::Retry {
            due_ms,
            counted: true,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn attempt_event(
        &self,
        lane: &Lane,
        env: &Envelope,
        key: &str,
        number: u32,
        out: &AttemptOutput,
        elapsed: Duration,
        now: u64,
    ) -> AuditEvent {
        let max = self.inner.settings.excerpt_bytes;
        AuditEvent {
            event: "attempt".into(),
            time_ms: now,
            tenant: lane.tenant.clone(),
            deployment: lane.name.clone(),
            connector: lane.connector_label(),
            record_id: record_id_of(env),
            idempotency_key: key.to_owned(),
            trace_id: env.trace_id.clone(),
            attempt: Some(number),
            requests: out
                .journal
                .http
                .iter()
                .map(|x| match &x.result {
                    Ok(status) => format!("{} -> {status}", x.request),
                    Err(e) => format!("{} -> error: {e}", x.request),
                })
                .collect(),
            crm_status: out.response.as_ref().map(|r| r.status),
            crm_body: out.response.as_ref().map(|r| {
                let redacted = lane.deployment.redact(&r.body);
                truncate(redacted, max)
            }),
            class: guard::class_of(out),
            outcome: String::new(),
            next_retry_ms: None,
            detail: match &out.result {
                AttemptResult::Delivered(_) => String::new(),
                other => lane.deployment.redact(&reason::of(other).1),
            },
            elapsed_ms: Some(millis(elapsed)),
        }
    }

    /// Moves the item to the DLQ with everything an operator needs, and raises the alert.
    fn bury(
        &self,
        lane: &Lane,
        item: &Leased,
        env: &mut Envelope,
        reason: &'static str,
        detail: String,
        out: Option<&AttemptOutput>,
    ) {
        let now = now_ms();
        env.detail = Some(detail.clone());
        if let Some(out) = out {
            env.normalized = out.normalized.as_ref().map(record_to_json);
            env.payload = out
                .payload
                .as_ref()
                .map(|p| json!({"object": p.object, "body": p.body}));
        }
        let letter = NewDeadLetter {
            reason,
            body: &env.encode(),
            time_ms: now,
        };
        match self.inner.store.dead_letter(&item.lease, letter) {
            Ok(id) => {
                if out.is_none() {
                    let event = AuditEvent {
                        event: "dead-lettered".into(),
                        time_ms: now,
                        tenant: lane.tenant.clone(),
                        deployment: lane.name.clone(),
                        connector: lane.connector_label(),
                        record_id: item.record_id.clone(),
                        trace_id: env.trace_id.clone(),
                        outcome: "dead-lettered".into(),
                        detail: format!("{reason}: {detail}"),
                        ..AuditEvent::default()
                    };
                    if let Err(e) = self.inner.audit.record(&event) {
                        tracing::error!(error = %e, "audit write failed");
                    }
                }
                tracing::warn!(tenant = %lane.tenant, deployment = %lane.name,
                    record_id = %item.record_id, trace_id = %env.trace_id, dlq_id = id, reason,
                    "record dead-lettered");
                self.inner.alerts.dead_lettered(json!({
                    "event": "dead-lettered",
                    "dlq_id": id.to_string(),
                    "tenant": lane.tenant,
                    "deployment": lane.name,
                    "record_id": item.record_id,
                    "trace_id": env.trace_id,
                    "reason": reason,
                    "detail": lane.deployment.redact(&detail),
                    "time_ms": now,
                }));
            }
            Err(e) => self.report_store_error(Err(e), item),
        }
    }

    fn report_store_error(&self, result: Result<(), DeliveryError>, item: &Leased) {
        match result {
            Ok(()) => {}
            Err(DeliveryError::LeaseLost { .. }) => {
                tracing::warn!(record_id = %item.record_id, "lease lost before the result was recorded; the record will be attempted again");
            }
            Err(e) => {
                Metrics::inc(&self.inner.metrics.store_errors);
                tracing::error!(record_id = %item.record_id, error = %e,
                    "could not record the result; the record will be attempted again when its lease expires");
            }
        }
    }
}

/// The envelope as stored, with every secret value of the deployment redacted (the
/// connector's answers, kept in it, could echo one).
fn sealed(lane: &Lane, env: &Envelope) -> Vec<u8> {
    let encoded = env.encode();
    let text = String::from_utf8_lossy(&encoded);
    lane.deployment.redact(&text).into_bytes()
}

fn record_id_of(env: &Envelope) -> String {
    env.record
        .get("id")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The attempt as kept in the envelope (and so in the DLQ entry).
fn attempt_summary(
    lane: &Lane,
    number: u32,
    now: u64,
    elapsed: Duration,
    out: &AttemptOutput,
    next_retry_ms: Option<u64>,
) -> Json {
    json!({
        "number": number,
        "time_ms": now,
        "elapsed_ms": millis(elapsed),
        "result": out.result,
        "response": out.response.as_ref().map(|r| json!({
            "status": r.status,
            "body": lane.deployment.redact(&r.body),
        })),
        "http": out.journal.http,
        "annotations": out.journal.annotations,
        "next_retry_ms": next_retry_ms,
    })
}

fn rate_limited(result: &AttemptResult) -> bool {
    matches!(result, AttemptResult::Failed(ErrorClass::RateLimited(_)))
}
