//! The dead-letter queue endpoints under `/v1/dlq`.

use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use switchboard_pipeline::{DlqError, reason};
use switchboard_storage::delivery::{DlqFilter, DlqStatus};

use super::Ctx;
use crate::reply::{self, Reply};
use crate::request::ApiRequest;

/// Body of edit, replay and resolve requests.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Action {
    #[serde(default)]
    note: String,
    #[serde(default)]
    record: Option<Json>,
    #[serde(default)]
    filter: Option<FilterBody>,
}

/// A filter in a replay-many body (same names as the list query).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FilterBody {
    tenant: Option<String>,
    deployment: Option<String>,
    reason: Option<String>,
    from_ms: Option<u64>,
    to_ms: Option<u64>,
    limit: Option<usize>,
}

pub(crate) fn route(ctx: &Ctx, rest: &[&str], req: &ApiRequest) -> Reply {
    let p = &ctx.pipeline;
    match (rest, &req.method) {
        ([], &Method::GET) => match list_filter(req) {
            Ok(filter) => done(p.dlq_list(&filter).map(|e| json!({ "entries": e }))),
            Err(e) => reply::bad_request(&e),
        },
        (["replay"], &Method::POST) => {
            let action = match body(req) {
                Ok(a) => a,
                Err(r) => return *r,
            };
            let Some(f) = action.filter else {
                return reply::bad_request(
                    "body: \"filter\" is required to replay many; use /v1/dlq/{id}/replay for one",
                );
            };
            let filter = DlqFilter {
                tenant: f.tenant,
                deployment: f.deployment,
                reason: f.reason,
                from_ms: f.from_ms,
                to_ms: f.to_ms,
                limit: f.limit.unwrap_or(1000),
                ..DlqFilter::default()
            };
            if let Err(e) = check_reason(filter.reason.as_deref()) {
                return reply::bad_request(&e);
            }
            done(p.dlq_replay_many(&filter, &action.note).map(|s| json!(s)))
        }
        (["replay"], _) => reply::method_not_allowed("POST"),
        ([id], method) => {
            let Some(id) = parse_id(id) else {
                return reply::not_found(&format!("no dead letter {id:?}"));
            };
            match *method {
                Method::GET => done(p.dlq_show(id).map(|v| json!(v))),
                _ => reply::method_not_allowed("GET"),
            }
        }
        ([id, action], method) => {
            let Some(id) = parse_id(id) else {
                return reply::not_found(&format!("no dead letter {id:?}"));
            };
            let body = match body(req) {
                Ok(a) => a,
                Err(r) => return *r,
            };
            match (*action, method) {
                ("record", &Method::PUT) => {
                    let Some(record) = body.record else {
                        return reply::bad_request("body: \"record\" is required");
                    };
                    done(p.dlq_edit(id, record, &body.note).map(|v| json!(v)))
                }
                ("replay", &Method::POST) => done(
                    p.dlq_replay(id, &body.note)
                        .map(|item| json!({"replayed": id.to_string(), "item": item})),
                ),
                ("resolve", &Method::POST) => done(p.dlq_resolve(id, &body.note).map(|v| json!(v))),
                ("record", _) => reply::method_not_allowed("PUT"),
                ("replay" | "resolve", _) => reply::method_not_allowed("POST"),
                _ => reply::not_found(&format!("no endpoint {:?}", req.path)),
            }
        }
        ([], _) => reply::method_not_allowed("GET"),
        _ => reply::not_found(&format!("no endpoint {:?}", req.path)),
    }
}

fn parse_id(text: &str) -> Option<u64> {
    text.parse().ok()
}

/// The action body; an empty body is an action with no note. The error is the 400 to send.
fn body(req: &ApiRequest) -> Result<Action, Box<Reply>> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Action::default());
    }
    serde_json::from_slice(&req.body)
        .map_err(|e| Box::new(reply::bad_request(&format!("body: {e}"))))
}

fn list_filter(req: &ApiRequest) -> Result<DlqFilter, String> {
    let text = |name: &str| req.param(name).filter(|v| !v.is_empty()).map(str::to_owned);
    let status = match req.param("status").filter(|v| !v.is_empty()) {
        None => None,
        Some(s) => Some(DlqStatus::parse(s).ok_or_else(|| {
            format!("query parameter \"status\": {s:?} is not open, replayed or resolved")
        })?),
    };
    let reason = text("reason");
    check_reason(reason.as_deref())?;
    let limit = req.number("limit")?.unwrap_or(100);
    if limit == 0 || limit > 10_000 {
        return Err(format!(
            "query parameter \"limit\": must be 1 to 10000, got {limit}"
        ));
    }
    Ok(DlqFilter {
        tenant: text("tenant"),
        deployment: text("deployment"),
        reason,
        status,
        from_ms: req.number("from_ms")?,
        to_ms: req.number("to_ms")?,
        before_id: req.number("before")?,
        limit: usize::try_from(limit).unwrap_or(100),
    })
}

fn check_reason(reason: Option<&str>) -> Result<(), String> {
    match reason {
        Some(r) if !reason::ALL.contains(&r) => Err(format!(
            "reason {r:?} is not one of {}",
            reason::ALL.join(", ")
        )),
        _ => Ok(()),
    }
}

fn done(result: Result<Json, DlqError>) -> Reply {
    match result {
        Ok(value) => reply::json(StatusCode::OK, &value),
        Err(e) => {
            let message = e.to_string();
            match e {
                DlqError::NotFound(_) => reply::not_found(&message),
                DlqError::NotOpen { .. } => {
                    reply::error(StatusCode::CONFLICT, "not-open", &message, None)
                }
                DlqError::Invalid(_) => reply::bad_request(&message),
                DlqError::Storage(_) => {
                    reply::error(StatusCode::SERVICE_UNAVAILABLE, "storage", &message, None)
                }
            }
        }
    }
}
