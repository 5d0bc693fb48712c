//! `POST /v1/tenants/{tenant}/records`: a JSON array or NDJSON of records; 202 once durable.

use hyper::StatusCode;
use serde_json::json;
use switchboard_pipeline::{IngestError, parse_body};

use super::Ctx;
use crate::reply::{self, Reply};
use crate::request::ApiRequest;

pub(crate) async fn post(ctx: &Ctx, tenant: &str, req: &ApiRequest) -> Reply {
    let p = &ctx.pipeline;
    if let Err(e) = p.authenticate(tenant, req.bearer.as_deref()) {
        return ingest_error(&e);
    }
    let records = match parse_body(&req.body, p.settings().max_batch_records) {
        Ok(r) => r,
        Err(e) => return ingest_error(&e),
    };
    match p.ingest(tenant, &records).await {
        Ok(receipt) => reply::json(StatusCode::ACCEPTED, &receipt),
        Err(e) => ingest_error(&e),
    }
}

/// Seconds a client is asked to wait after a storage failure: the store retries its
/// recovery every second, so a few seconds covers a cause that has gone away.
const STORAGE_RETRY_AFTER_S: u64 = 5;

/// The status and body for a refused ingest.
pub(crate) fn ingest_error(e: &IngestError) -> Reply {
    let message = e.to_string();
    match e {
        IngestError::UnknownTenant(_) => {
            reply::error(StatusCode::NOT_FOUND, "unknown-tenant", &message, None)
        }
        IngestError::Unauthorized(_) => {
            reply::error(StatusCode::UNAUTHORIZED, "unauthorized", &message, None)
        }
        IngestError::TooManyRecords { got, max } => reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-many-records",
            &message,
            Some(json!({"records": got, "max_records": max})),
        ),
        IngestError::Malformed(_) => {
            reply::error(StatusCode::BAD_REQUEST, "malformed-body", &message, None)
        }
        IngestError::Invalid(problems) => reply::error(
            StatusCode::BAD_REQUEST,
            "invalid-records",
            &message,
            Some(json!({ "records": problems })),
        ),
        IngestError::Storage(_) => reply::retry_later(
            reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage",
                &message,
                Some(json!({ "retry_after_s": STORAGE_RETRY_AFTER_S })),
            ),
            STORAGE_RETRY_AFTER_S,
        ),
        IngestError::DeploymentDown(problems) => reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "deployment-down",
            &message,
            Some(json!({ "records": problems })),
        ),
    }
}
