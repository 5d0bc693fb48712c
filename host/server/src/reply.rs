//! JSON responses and the error body every endpoint uses:
//! `{"error": {"code": "...", "message": "...", ...details}}`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};
use serde::Serialize;
use serde_json::{Value as Json, json};

/// A response body and status.
pub(crate) type Reply = Response<Full<Bytes>>;

/// `status` with `value` as JSON.
pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// Plain text (metrics, health).
pub(crate) fn text(status: StatusCode, body: String) -> Reply {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    resp
}

/// An error with a machine-readable `code`, words, and optional extra fields.
pub(crate) fn error(status: StatusCode, code: &str, message: &str, extra: Option<Json>) -> Reply {
    let mut err = json!({"code": code, "message": message});
    if let (Some(Json::Object(extra)), Some(obj)) = (extra, err.as_object_mut()) {
        obj.extend(extra);
    }
    let mut resp = json(status, &json!({ "error": err }));
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

/// `resp` with `Retry-After: seconds`.
pub(crate) fn retry_later(mut resp: Reply, seconds: u64) -> Reply {
    resp.headers_mut()
        .insert(hyper::header::RETRY_AFTER, HeaderValue::from(seconds));
    resp
}

/// 400 `bad-request`.
pub(crate) fn bad_request(message: &str) -> Reply {
    error(StatusCode::BAD_REQUEST, "bad-request", message, None)
}

/// 404 `not-found`.
pub(crate) fn not_found(message: &str) -> Reply {
    error(StatusCode::NOT_FOUND, "not-found", message, None)
}

/// 405 with the allowed methods.
pub(crate) fn method_not_allowed(allowed: &'static str) -> Reply {
    let mut resp = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        &format!("allowed: {allowed}"),
        None,
    );
    resp.headers_mut()
        .insert(hyper::header::ALLOW, HeaderValue::from_static(allowed));
    resp
}
