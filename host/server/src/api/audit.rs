//! `GET /v1/audit?record_id=&trace_id=&tenant=&deployment=&from_ms=&to_ms=&limit=&before=`

use hyper::StatusCode;
use serde_json::json;
use switchboard_storage::{AuditCursor, AuditQuery};

use super::Ctx;
use crate::reply::{self, Reply};
use crate::request::ApiRequest;

pub(crate) fn search(ctx: &Ctx, req: &ApiRequest) -> Reply {
    if req.method != hyper::Method::GET {
        return reply::method_not_allowed("GET");
    }
    let query = match query(req) {
        Ok(q) => q,
        Err(e) => return reply::bad_request(&e),
    };
    match ctx.pipeline.audit().search(&query) {
        Ok(found) => {
            let next = (found.len() >= query.limit)
                .then(|| {
                    found
                        .last()
                        .map(|(c, _)| format!("{}:{}", c.time_ms, c.seq))
                })
                .flatten();
            let entries: Vec<_> = found.into_iter().map(|(_, e)| e).collect();
            reply::json(StatusCode::OK, &json!({ "entries": entries, "next": next }))
        }
        Err(e) => reply::error(StatusCode::SERVICE_UNAVAILABLE, "storage", &e, None),
    }
}

fn query(req: &ApiRequest) -> Result<AuditQuery, String> {
    let text = |name: &str| req.param(name).filter(|v| !v.is_empty()).map(str::to_owned);
    let before = match req.param("before").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => {
            let (time, seq) = v
                .split_once(':')
                .ok_or_else(|| format!("query parameter \"before\": {v:?} is not TIME:SEQ"))?;
            let parse = |s: &str| {
                s.parse::<u64>()
                    .map_err(|_| format!("query parameter \"before\": {v:?} is not TIME:SEQ"))
            };
            Some(AuditCursor {
                time_ms: parse(time)?,
                seq: parse(seq)?,
            })
        }
    };
    let limit = req.number("limit")?.unwrap_or(100);
    if limit == 0 || limit > 10_000 {
        return Err(format!(
            "query parameter \"limit\": must be 1 to 10000, got {limit}"
        ));
    }
    Ok(AuditQuery {
        tenant: text("tenant"),
        connector: text("deployment"),
        record_id: text("record_id"),
        trace_id: text("trace_id"),
        from_ms: req.number("from_ms")?,
        to_ms: req.number("to_ms")?,
        limit: usize::try_from(limit).unwrap_or(100),
        before,
    })
}
