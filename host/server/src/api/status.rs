//! `GET /healthz`, `GET /metrics`, `GET /v1/status`.

use hyper::StatusCode;
use serde_json::json;
use switchboard_storage::Scope;
use switchboard_storage::delivery::Health;

use super::Ctx;
use crate::reply::{self, Reply};

pub(crate) fn health() -> Reply {
    reply::text(StatusCode::OK, "ok\n".to_owned())
}

/// 200 while the store can make records durable; 503 with the reason while it cannot
/// (ingest refuses records meanwhile). The process may be alive and still not ready.
pub(crate) fn ready(ctx: &Ctx) -> Reply {
    match ctx.pipeline.store().health() {
        Health::Durable => reply::text(StatusCode::OK, "ready\n".to_owned()),
        Health::Failing { reason, since_ms } => reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage-failing",
            &format!("the store cannot make records durable: {reason}"),
            Some(json!({ "since_ms": since_ms })),
        ),
    }
}

pub(crate) fn metrics(ctx: &Ctx) -> Reply {
    reply::text(StatusCode::OK, ctx.pipeline.metrics_text())
}

/// Every lane: its connector, queued records, when the next one is due, and its guards:
/// in-flight attempts against its concurrency, the rate-limit budgets and pause, and the
/// circuit breaker; and every deployment that failed to start, with why and the records
/// it still has queued from before (they wait for it).
pub(crate) fn status(ctx: &Ctx) -> Reply {
    let store = ctx.pipeline.store();
    let lanes: Vec<_> = ctx
        .pipeline
        .lanes()
        .iter()
        .map(|lane| {
            let scope = lane.scope();
            let tenant = ctx.pipeline.tenants().get(&lane.tenant);
            json!({
                "tenant": lane.tenant,
                "deployment": lane.name,
                "connector": lane.connector_label(),
                "kinds": lane.kinds,
                "pending": store.pending(&scope).ok(),
                "next_due_ms": store.next_due(&scope).ok().flatten(),
                "in_flight": lane.in_flight(),
                "concurrency": lane.concurrency,
                "tenant_concurrency": tenant.map(|t| t.concurrency),
                "tenant_in_flight": tenant.map(|t| lane.tenant_in_flight(t.concurrency)),
                "rate_limits": lane.limiter().snapshot(),
                "breaker": lane.breaker(),
            })
        })
        .collect();
    let failed: Vec<_> = ctx
        .pipeline
        .tenants()
        .iter()
        .flat_map(|(tenant, t)| t.failed.iter().map(move |f| (tenant, f)))
        .map(|(tenant, f)| {
            json!({
                "tenant": tenant,
                "deployment": f.name,
                "kinds": f.kinds,
                "error": f.error,
                "pending": store.pending(&Scope::new(tenant, &f.name)).ok(),
            })
        })
        .collect();
    let storage = match store.health() {
        Health::Durable => json!({ "durable": true }),
        Health::Failing { reason, since_ms } => {
            json!({ "durable": false, "reason": reason, "since_ms": since_ms })
        }
    };
    reply::json(
        StatusCode::OK,
        &json!({ "lanes": lanes, "failed": failed, "storage": storage }),
    )
}
