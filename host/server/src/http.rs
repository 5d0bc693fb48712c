//! The HTTP/1.1 listener: checks each request's credentials from its head, then reads its
//! body within the size limit and hands it to the router; on shutdown it stops accepting
//! and lets open connections finish their current request before closing.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::api::{self, Ctx};
use crate::reply;
use crate::request::{ApiRequest, bearer, parse_query};

/// Serves `listener` until `stop` turns true, then waits for open connections to finish
/// their in-flight request.
pub(crate) async fn serve(listener: TcpListener, ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        if *stop.borrow_and_update() {
            break;
        }
        tokio::select! {
            _ = stop.changed() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    conns.spawn(connection(tcp, peer, ctx.clone(), stop.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    ctx: Arc<Ctx>,
    mut stop: watch::Receiver<bool>,
) {
    let service = service_fn(move |req| {
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(answer(&ctx, req).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(tcp), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
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
    if let Some(refused) = api::refuse_before_body(ctx, &head) {
        return refused;
    }
    head.body = match Limited::new(req.into_body(), max).collect().await {
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

fn too_large(max: usize) -> Response<Full<Bytes>> {
    reply::error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        &format!("the body is larger than the limit of {max} bytes"),
        Some(serde_json::json!({ "max_body_bytes": max })),
    )
}
