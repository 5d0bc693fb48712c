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
        IngestError::Storage(_) => {
            reply::error(StatusCode::SERVICE_UNAVAILABLE, "storage", &message, None)
        }
        IngestError::DeploymentDown(problems) => reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "deployment-down",
            &message,
            Some(json!({ "records": problems })),
        ),
    }
}
