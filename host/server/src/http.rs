//! The HTTP/1.1 listener: admits connections under the connection limit (`conns`), gives
//! each request head and each idle spell `server.header_timeout_ms`, checks the request's
//! credentials from its head, then reads its body within the size limit and
//! `server.body_timeout_ms` and hands it to the router; on shutdown it stops accepting and
//! lets open connections finish their current request before closing.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    ACCEPT_ENCODING, AUTHORIZATION, CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, HeaderValue,
    TRANSFER_ENCODING,
};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::api::{self, Ctx};
use crate::conns::{Admit, ConnSlot, Conns};
use crate::reply;
use crate::request::{ApiRequest, bearer, parse_query};

/// Serves `listener` until `stop` turns true, then waits for open connections to finish
/// their in-flight request. `conns` keeps the number of open connections under the limit.
pub(crate) async fn serve(
    listener: TcpListener,
    ctx: Arc<Ctx>,
    conns: Arc<Conns>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tasks = JoinSet::new();
    let mut accept_warned: Option<Instant> = None;
    loop {
        if *stop.borrow_and_update() {
            break;
        }
        tokio::select! {
            _ = stop.changed() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => match conns.admit() {
                    Admit::Open(slot) => {
                        let _ = tcp.set_nodelay(true);
                        tasks.spawn(connection(tcp, peer, ctx.clone(), slot, stop.clone()));
                    }
                    Admit::Refuse => refuse(tcp),
                },
                Err(e) => {
                    // Out of descriptors (or another transient failure): wait a little
                    // rather than spin, and say so once a second, not once a try.
                    if accept_warned.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                        tracing::warn!(error = %e, open = conns.open(), "accept failed");
                        accept_warned = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    while tasks.join_next().await.is_some() {}
}

/// The answer to a connection over the limit when none can be closed for it: `503` with
/// `Connection: close`, written without waiting (a client that does not read it just
/// sees the connection close).
fn refuse(tcp: tokio::net::TcpStream) {
    const BODY: &str = r#"{"error":{"code":"too-many-connections","message":"the server is at its connection limit; try again shortly"}}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tcp.try_write(answer.as_bytes());
}

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    ctx: Arc<Ctx>,
    slot: ConnSlot,
    mut stop: watch::Receiver<bool>,
) {
    let slot = Arc::new(slot);
    let header_timeout = ctx.header_timeout;
    let service = {
        let slot = slot.clone();
        service_fn(move |req| {
            let ctx = ctx.clone();
            let slot = slot.clone();
            async move {
                slot.busy();
                let answer = answer(&ctx, req).await;
                slot.idle();
                Ok::<_, Infallible>(answer)
            }
        })
    };
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        // Also how long an idle keep-alive connection stays open: hyper starts this
        // timer whenever it waits for a request head.
        .header_read_timeout(header_timeout)
        // A client that shuts down its sending side after its last request (pipelined
        // requests, `printf ... | nc -N`) still gets every answer.
        .half_close(true)
        .keep_alive(true)
        .serve_connection(TokioIo::new(tcp), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        }
        () = slot.close.notified() => {
            // Evicted to make room: an idle connection closes at once; an answer still
            // being written, or a request that began meanwhile, is finished first, within
            // the header timeout.
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(header_timeout, conn).await;
        }
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Resolves once `stop` is true.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn answer(ctx: &Ctx, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let max = ctx.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(max);
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = parse_query(req.uri().query().unwrap_or_default());
    let token = bearer(
        req.headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    let mut head = ApiRequest {
        method,
        path,
        query,
        bearer: token,
        body: Bytes::new(),
    };
    let refused = api::refuse_before_body(ctx, &head).or_else(|| unsupported_encoding(&req));
    if let Some(mut refused) = refused {
        if has_body(&req) {
            // The body is not read: close rather than leave the client sending it.
            refused
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        return refused;
    }
    let body = Limited::new(req.into_body(), max).collect();
    let Ok(collected) = tokio::time::timeout(ctx.body_timeout, body).await else {
        return body_timeout(ctx.body_timeout);
    };
    head.body = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return too_large(max);
            }
            return reply::bad_request(&format!("could not read the body: {e}"));
        }
    };
    api::handle(ctx, head).await
}

/// `415 unsupported-encoding` (with `Accept-Encoding: identity`, RFC 9110 15.5.16) for a
/// body sent with a content coding: bodies are read as sent, so one that claims to be
/// compressed is refused rather than misread.
fn unsupported_encoding(req: &Request<Incoming>) -> Option<Response<Full<Bytes>>> {
    let encodings: Vec<&str> = req
        .headers()
        .get_all(CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
        .collect();
    if encodings.is_empty() {
        return None;
    }
    let mut resp = reply::error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-encoding",
        &format!(
            "Content-Encoding {:?} is not supported: send the body uncompressed",
            encodings.join(", ")
        ),
        None,
    );
    resp.headers_mut()
        .insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    Some(resp)
}

/// Whether `req` announces a body (a length above zero, or a transfer encoding).
fn has_body(req: &Request<Incoming>) -> bool {
    let length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    length.is_some_and(|n| n > 0) || req.headers().contains_key(TRANSFER_ENCODING)
}

/// `408 body-timeout`, closing the connection (the rest of the body is not read).
fn body_timeout(limit: Duration) -> Response<Full<Bytes>> {
    let mut resp = reply::error(
        StatusCode::REQUEST_TIMEOUT,
        "body-timeout",
        &format!(
            "the body did not arrive within server.body_timeout_ms ({} ms)",
            limit.as_millis()
        ),
        None,
    );
    resp.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    resp
}

fn too_large(max: usize) -> Response<Full<Bytes>> {
    reply::error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        &format!("the body is larger than the limit of {max} bytes"),
        Some(serde_json::json!({ "max_body_bytes": max })),
    )
}
