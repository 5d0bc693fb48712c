//! The loopback HTTP/1.1 server and the handle that controls it.

use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::api::{self, ApiRequest};
use crate::config::SimConfig;
use crate::control;
use crate::errors;
use crate::objects::ObjectType;
use crate::properties::Definition;
use crate::reply::{Ctx, Reply};
use crate::state::State;
use crate::stats::RateStats;
use crate::time::now_ms;
use crate::types::{Fault, FaultAction, Snapshot};

/// Largest accepted request body.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Starts simulators.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Starts a simulator on an ephemeral port of 127.0.0.1.
    pub async fn start(cfg: SimConfig) -> io::Result<SimHandle> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), cfg).await
    }

    /// Starts a simulator on `addr`.
    pub async fn start_on(addr: SocketAddr, cfg: SimConfig) -> io::Result<SimHandle> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Mutex::new(State::new(cfg)));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopped));
        Ok(SimHandle {
            addr,
            shared,
            guard: Arc::new(Guard {
                stop,
                task: Mutex::new(Some(task)),
            }),
        })
    }
}

/// Stops the server when the last handle clone is dropped.
#[derive(Debug)]
struct Guard {
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// A running simulator. Clones share it; it stops when the last clone is
/// dropped or on `shutdown`.
#[derive(Debug, Clone)]
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Mutex<State>>,
    guard: Arc<Guard>,
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared)
    }

    /// Everything that landed so far.
    pub fn snapshot(&self) -> Snapshot {
        self.state().snapshot()
    }

    /// Queues a fault (FIFO; the first matching fault applies to a request).
    /// A storm (`for_ms` set) is active from now.
    pub fn inject(&self, fault: Fault) {
        self.state().push_fault(fault, Instant::now());
    }

    /// Removes every queued fault, ending storms early. Returns how many
    /// could still have fired.
    pub fn clear_faults(&self) -> usize {
        self.state().clear_faults(Instant::now())
    }

    /// Rate-limit statistics since start or the last `reset`: per token,
    /// accepted and rejected requests by policy, injected 429s, and the
    /// accepted requests' arrival times.
    pub fn rate_stats(&self) -> RateStats {
        self.state().rate_stats()
    }

    /// Stores a contact as if a human typed it: no validation, searchable at
    /// once. Returns its id.
    pub fn seed_contact(&self, properties: Map<String, Value>) -> String {
        self.state().seed_contact(properties, now_ms())
    }

    /// Archives a contact; false if it was missing or already archived.
    pub fn archive_contact(&self, id: &str) -> bool {
        self.state()
            .store
            .archive(ObjectType::Contacts, id, now_ms())
    }

    /// Deletes a property definition: later requests naming it get 400
    /// `PROPERTY_DOESNT_EXIST`. Unknown object types are ignored.
    pub fn remove_property(&self, object: &str, name: &str) {
        if let Some(object) = ObjectType::from_segment(object) {
            self.state().store.remove_property(object, name);
        }
    }

    /// Defines a custom text property (`hasUniqueValue` when `unique`), as
    /// `POST /crm/v3/properties/{object}` would; a removed property of that
    /// name exists again. False for an unknown object type.
    pub fn define_property(&self, object: &str, name: &str, unique: bool) -> bool {
        let Some(object) = ObjectType::from_segment(object) else {
            return false;
        };
        let def = Definition::text(object, name, unique, now_ms());
        self.state().store.define(object, def);
        true
    }

    /// Empties the portal, limits, faults, counters and rate statistics, and
    /// leaves only the configured custom properties (ids keep growing).
    pub fn reset(&self) {
        self.state().reset();
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(self) {
        self.guard.stop.send_replace(true);
        let task = lock(&self.guard.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Mutex<State>>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        if *stopped.borrow_and_update() {
            return;
        }
        tokio::select! {
            _ = stopped.changed() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    tokio::spawn(connection(tcp, Arc::clone(&shared), stopped.clone()));
                }
                // Transient accept errors (e.g. EMFILE): back off briefly.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
        }
    }
}

/// Serves one connection. A second descriptor of the socket is kept so that a
/// `Reset` fault can set `SO_LINGER` 0 and make the close a TCP RST.
async fn connection(tcp: TcpStream, shared: Arc<Mutex<State>>, mut stopped: watch::Receiver<bool>) {
    let _ = tcp.set_nodelay(true);
    let Ok(std_tcp) = tcp.into_std() else { return };
    let Ok(control) = std_tcp.try_clone() else {
        return;
    };
    let Ok(tcp) = TcpStream::from_std(std_tcp) else {
        return;
    };
    let reset = Arc::new(Notify::new());
    let service = {
        let reset = Arc::clone(&reset);
        service_fn(move |req| serve(Arc::clone(&shared), Arc::clone(&reset), req))
    };
    let conn = http1::Builder::new().serve_connection(TokioIo::new(tcp), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = &mut conn => {}
        () = reset.notified() => {
            let _ = TcpSocket::from_std_stream(control).set_zero_linger();
            // Both descriptors close here; with linger 0 the kernel sends RST.
        }
        _ = stopped.wait_for(|stop| *stop) => {}
    }
}

async fn serve(
    shared: Arc<Mutex<State>>,
    reset: Arc<Notify>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let ctx = Ctx::new();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let query = req.uri().query().unwrap_or_default().to_owned();
    let authorization = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes);

    if path.starts_with(control::PREFIX) {
        let reply = match &body {
            Ok(body) => control::handle(
                &mut lock(&shared),
                &method,
                &path,
                body,
                (Instant::now(), now_ms()),
            ),
            Err(_) => errors::too_large(&ctx),
        };
        return Ok(finish(reply, &ctx));
    }

    let token = api::bearer_token(authorization.as_deref());
    // The reset count is read under the same lock that picks the fault, so a reset
    // can never fall between them.
    let (fault, resets) = {
        let mut st = lock(&shared);
        let fault = st.begin_request(&method, &path, token, Instant::now());
        (fault, st.resets)
    };
    match fault {
        Some(FaultAction::Respond {
            status,
            headers,
            body,
        }) => {
            lock(&shared).finish_request(&method, &path_and_query, status);
            let reply = Reply {
                status,
                headers,
                body: Some(body),
            };
            return Ok(finish(reply, &ctx));
        }
        Some(FaultAction::RateLimited {
            policy,
            retry_after_secs,
        }) => {
            let mut st = lock(&shared);
            let reply = api::injected_rate_limit(
                &st,
                &ctx,
                token,
                policy,
                retry_after_secs,
                Instant::now(),
            );
            st.finish_request(&method, &path_and_query, reply.status);
            drop(st);
            return Ok(finish(reply, &ctx));
        }
        Some(FaultAction::Reset) => {
            lock(&shared).finish_request(&method, &path_and_query, 0);
            reset.notify_one();
            return std::future::pending().await;
        }
        Some(FaultAction::Delay(wait)) => {
            tokio::time::sleep(wait).await;
            if lock(&shared).resets != resets {
                // The portal this request was sent to was reset while it waited (its
                // client gave up long ago): it must not land in the new one.
                let reply = Reply {
                    status: 503,
                    headers: Vec::new(),
                    body: Some(r#"{"status":"error","message":"portal reset"}"#.into()),
                };
                return Ok(finish(reply, &ctx));
            }
        }
        None => {}
    }

    let reply = match body {
        Ok(body) => {
            let request = ApiRequest {
                method: &method,
                path: &path,
                query: &query,
                authorization: authorization.as_deref(),
                body: &body,
            };
            let mut st = lock(&shared);
            let reply = api::handle(&mut st, &ctx, &request, Instant::now(), now_ms());
            st.finish_request(&method, &path_and_query, reply.status);
            reply
        }
        Err(_) => {
            let reply = errors::too_large(&ctx);
            lock(&shared).finish_request(&method, &path_and_query, reply.status);
            reply
        }
    };
    Ok(finish(reply, &ctx))
}

/// Adds the headers every response carries; a reply header replaces a default
/// of the same name.
fn finish(reply: Reply, ctx: &Ctx) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Full::new(Bytes::from(
        reply.body.clone().unwrap_or_default(),
    )));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let mut defaults = vec![
        ("x-hubspot-correlation-id", ctx.correlation_id.clone()),
        ("x-request-id", ctx.request_id.clone()),
    ];
    if reply.body.is_some() {
        defaults.push(("content-type", "application/json;charset=utf-8".to_owned()));
    }
    for (name, value) in defaults {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    let mut replaced: Vec<HeaderName> = Vec::new();
    for (name, value) in reply.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) else {
            continue;
        };
        if replaced.contains(&name) {
            headers.append(name, value);
        } else {
            headers.insert(name.clone(), value);
            replaced.push(name);
        }
    }
    response
}
