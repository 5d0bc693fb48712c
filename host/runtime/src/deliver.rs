//! Delivering one record in-process: normalize, map-fields, push, and on
//! failure classify-error, each attempt in a fresh instance, with retries
//! for transient and rate-limited failures. The CLI's `push` uses this;
//! durable queues build on the same attempt.

use std::time::Duration;

use crate::backoff::RetryPolicy;
use crate::deployment::Deployment;
use crate::error::GuestFault;
use crate::host_state::WorkUnit;
use crate::journal::Journal;
use crate::observed::Observed;
use crate::types::{
    CrmResponse, ErrorClass, FieldError, Payload, PushContext, PushError, PushOutcome, Record,
};

/// Longest CRM body excerpt kept per attempt, in bytes.
const MAX_EXCERPT: usize = 1024;

/// Where a record was refused as invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// `normalize` refused it.
    Normalize,
    /// `map-fields` refused it.
    MapFields,
}

/// What one attempt ended in.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "result", content = "detail")]
pub enum AttemptResult {
    /// The CRM has the record.
    Delivered(PushOutcome),
    /// The record is invalid; retrying cannot help.
    Invalid {
        /// Which step refused it.
        stage: Stage,
        /// Every field at fault.
        errors: Vec<FieldError>,
    },
    /// The CRM refused, classified by the connector.
    Failed(ErrorClass),
    /// The connector misbehaved (trap, time budget, memory cap).
    Fault(GuestFault),
}

impl AttemptResult {
    /// How long to wait before retrying, or `None` when retrying cannot help.
    pub fn retry_after(&self) -> Option<Option<Duration>> {
        match self {
            AttemptResult::Failed(ErrorClass::Transient(after)) => {
                Some(after.map(Duration::from_millis))
            }
            AttemptResult::Failed(ErrorClass::RateLimited(r)) => {
                Some(r.retry_after_ms.map(Duration::from_millis))
            }
            AttemptResult::Fault(GuestFault::WallTimeout(_) | GuestFault::Instantiate(_)) => {
                Some(None)
            }
            _ => None,
        }
    }
}

/// A CRM response as kept in the report: status and a body excerpt.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResponseExcerpt {
    /// HTTP status.
    pub status: u16,
    /// The first bytes of the body, lossily decoded.
    pub body: String,
}

/// One attempt, for the audit trail.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// What it ended in.
    pub result: AttemptResult,
    /// The CRM error response the connector handed back, if any.
    pub response: Option<ResponseExcerpt>,
    /// Annotations and HTTP exchanges of the attempt.
    pub journal: Journal,
    /// The wait before the next attempt, if one follows.
    pub retry_in_ms: Option<u64>,
}

/// The whole story of one record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeliveryReport {
    /// The caller's record id.
    pub record_id: String,
    /// The trace id of every event for this record.
    pub trace_id: String,
    /// The idempotency key the connector received.
    pub idempotency_key: String,
    /// Every attempt in order; the last one is the outcome.
    pub attempts: Vec<Attempt>,
}

impl DeliveryReport {
    /// The final result.
    pub fn outcome(&self) -> Option<&AttemptResult> {
        self.attempts.last().map(|a| &a.result)
    }
}

/// Delivers `record`, retrying transient and rate-limited failures under `policy`.
pub async fn deliver(dep: &Deployment, record: &Record, policy: &RetryPolicy) -> DeliveryReport {
    let unit = WorkUnit {
        record_id: record.id.clone(),
        trace_id: uuid::Uuid::new_v4().simple().to_string(),
    };
    let key = dep.idempotency_key(&record.id);
    let span = tracing::info_span!("connector.deliver", tenant = dep.tenant(), deployment = dep.deployment(), connector = dep.connector(),
        record_id = %unit.record_id, trace_id = %unit.trace_id);
    let _entered = span.enter();
    let mut attempts = Vec::new();
    for number in 1..=policy.max_attempts.max(1) {
        let ctx = PushContext {
            tenant: dep.tenant().to_string(),
            idempotency_key: key.clone(),
            trace_id: unit.trace_id.clone(),
            attempt: number,
        };
        let AttemptOutput {
            result,
            response,
            journal,
            ..
        } = attempt(dep, unit.clone(), record, &ctx).await;
        let wait = match result.retry_after() {
            Some(after) if number < policy.max_attempts => {
                let wait = policy.delay(number, after, &mut rand::rng());
                (wait <= policy.max_wait).then_some(wait)
            }
            _ => None,
        };
        tracing::info!(attempt = number, result = ?result, retry_in = ?wait, "delivery attempt");
        attempts.push(Attempt {
            number,
            result,
            response,
            journal,
            retry_in_ms: wait.map(|w| u64::try_from(w.as_millis()).unwrap_or(u64::MAX)),
        });
        match wait {
            Some(wait) => tokio::time::sleep(wait).await,
            None => break,
        }
    }
    DeliveryReport {
        record_id: record.id.clone(),
        trace_id: unit.trace_id,
        idempotency_key: key,
        attempts,
    }
}

/// Everything one attempt produced.
#[derive(Debug, Clone)]
pub struct AttemptOutput {
    /// What it ended in.
    pub result: AttemptResult,
    /// The CRM error response the connector handed back, if any.
    pub response: Option<ResponseExcerpt>,
    /// Annotations and HTTP exchanges.
    pub journal: Journal,
    /// The record as `normalize` returned it, if it got that far.
    pub normalized: Option<Record>,
    /// The payload `map-fields` returned, if it got that far.
    pub payload: Option<Payload>,
    /// What the guest touched: import calls, config keys, secrets, logs, peak memory.
    pub observed: Observed,
    /// Guest execution time the attempt used (host calls excluded).
    pub guest_time: Duration,
}

/// One attempt in one fresh instance.
pub async fn attempt(
    dep: &Deployment,
    unit: WorkUnit,
    record: &Record,
    ctx: &PushContext,
) -> AttemptOutput {
    let mut out = AttemptOutput {
        result: AttemptResult::Invalid {
            stage: Stage::Normalize,
            errors: Vec::new(),
        },
        response: None,
        journal: Journal::default(),
        normalized: None,
        payload: None,
        observed: Observed::default(),
        guest_time: Duration::ZERO,
    };
    let mut inst = match dep.instantiate(unit).await {
        Ok(inst) => inst,
        Err(fault) => {
            out.result = AttemptResult::Fault(fault);
            return out;
        }
    };
    out.result = async {
        let normalized = match inst.normalize(record).await? {
            Ok(r) => out.normalized.insert(r),
            Err(errors) => {
                return Ok(AttemptResult::Invalid {
                    stage: Stage::Normalize,
                    errors,
                });
            }
        };
        let payload = match inst.map_fields(normalized).await? {
            Ok(p) => out.payload.insert(p),
            Err(errors) => {
                return Ok(AttemptResult::Invalid {
                    stage: Stage::MapFields,
                    errors,
                });
            }
        };
        Ok::<_, GuestFault>(match inst.push(ctx, normalized, payload).await? {
            Ok(outcome) => AttemptResult::Delivered(outcome),
            Err(PushError::Classified(class)) => AttemptResult::Failed(class),
            Err(PushError::Transport(error)) => {
                AttemptResult::Failed(crate::transport::classify(&error))
            }
            Err(PushError::Response(resp)) => {
                out.response = Some(excerpt(&resp));
                AttemptResult::Failed(inst.classify_error(&resp).await?)
            }
        })
    }
    .await
    .unwrap_or_else(AttemptResult::Fault);
    out.journal = inst.journal().clone();
    out.observed = inst.observed();
    out.guest_time = inst.guest_time();
    if let Some(throttle) = out.journal.ended_throttled()
        && matches!(
            out.result,
            AttemptResult::Failed(_) | AttemptResult::Fault(_)
        )
    {
        // The host held back the attempt's last request: whatever the connector made of
        // that, it is a rate limit, not the record's failure. (A throttled request the
        // connector got past does not excuse a later failure.)
        out.result = AttemptResult::Failed(crate::transport::held_back(
            throttle.wait_ms,
            &throttle.cause,
        ));
    }
    crate::sanitize::sanitize(&mut out, &|text| dep.redact(text));
    out
}

fn excerpt(resp: &CrmResponse) -> ResponseExcerpt {
    let end = resp.body.len().min(MAX_EXCERPT);
    ResponseExcerpt {
        status: resp.status,
        body: String::from_utf8_lossy(&resp.body[..end]).into_owned(),
    }
}

/// True when `outcome` delivered the record.
pub fn is_delivered(outcome: &AttemptResult) -> bool {
    matches!(outcome, AttemptResult::Delivered(_))
}

/// Convenience for callers that only need the push outcome.
pub fn delivered(report: &DeliveryReport) -> Option<&PushOutcome> {
    match report.outcome() {
        Some(AttemptResult::Delivered(o)) => Some(o),
        _ => None,
    }
}
