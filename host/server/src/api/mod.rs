//! Routes a request to its handler.
//!
//! | Method and path | Auth | Handler |
//! |---|---|---|
//! | `POST /v1/tenants/{tenant}/records` | tenant's ingest token | [`ingest`] |
//! | `GET /v1/dlq`, `GET /v1/dlq/{id}` | admin token | [`dlq`] |
//! | `PUT /v1/dlq/{id}/record` | admin token | [`dlq`] (edit) |
//! | `POST /v1/dlq/{id}/replay`, `POST /v1/dlq/replay`, `POST /v1/dlq/{id}/resolve` | admin token | [`dlq`] |
//! | `GET /v1/audit` | admin token | [`audit`] |
//! | `GET /v1/status` | admin token | [`status`] |
//! | `GET /metrics`, `GET /healthz`, `GET /readyz` | none | [`status`] |

mod audit;
mod dlq;
mod ingest;
mod status;

use hyper::{Method, StatusCode};
use switchboard_pipeline::{Pipeline, constant_time_eq};

use crate::reply::{self, Reply};
use crate::request::ApiRequest;

/// What every handler may use.
pub(crate) struct Ctx {
    pub pipeline: Pipeline,
    pub admin_token: Option<String>,
    pub max_body_bytes: usize,
    /// How long a request head (or an idle spell) may take.
    pub header_timeout: std::time::Duration,
    /// How long a request body may take.
    pub body_timeout: std::time::Duration,
}

impl Ctx {
    /// `None` when the request carries the admin token, else the 401 to send.
    fn admin(&self, req: &ApiRequest) -> Option<Reply> {
        let Some(admin) = &self.admin_token else {
            return Some(reply::error(
                StatusCode::FORBIDDEN,
                "admin-disabled",
                "the operator API is disabled: set server.admin_token in the config",
                None,
            ));
        };
        match &req.bearer {
            Some(t) if constant_time_eq(t.as_bytes(), admin.as_bytes()) => None,
            _ => Some(reply::error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this endpoint needs the admin token (Authorization: Bearer ...)",
                None,
            )),
        }
    }
}

/// The refusal of a request whose credentials are wrong for its path, decided from its
/// head alone so that the body of a request that will be refused is never read (a flood
/// of unauthenticated uploads costs the server no memory). `req.body` is not looked at.
pub(crate) fn refuse_before_body(ctx: &Ctx, req: &ApiRequest) -> Option<Reply> {
    let segments = req.segments();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["v1", "tenants", tenant, "records"] if req.method == Method::POST => ctx
            .pipeline
            .authenticate(tenant, req.bearer.as_deref())
            .err()
            .map(|e| ingest::ingest_error(&e)),
        ["v1", "tenants", ..] => None,
        ["v1", ..] => ctx.admin(req),
        _ => None,
    }
}

/// Answers one request.
pub(crate) async fn handle(ctx: &Ctx, req: ApiRequest) -> Reply {
    let segments = req.segments();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["healthz"] => status::health(),
        ["readyz"] => status::ready(ctx),
        ["metrics"] => status::metrics(ctx),
        ["v1", "tenants", tenant, "records"] => match req.method {
            Method::POST => ingest::post(ctx, tenant, &req).await,
            _ => reply::method_not_allowed("POST"),
        },
        ["v1", rest @ ..] => {
            if let Some(denied) = ctx.admin(&req) {
                return denied;
            }
            match rest {
                ["status"] => status::status(ctx),
                ["audit"] => audit::search(ctx, &req),
                ["dlq", ..] => dlq::route(ctx, &rest[1..], &req),
                _ => reply::not_found(&format!("no endpoint {:?}", req.path)),
            }
        }
        _ => reply::not_found(&format!("no endpoint {:?}", req.path)),
    }
}
