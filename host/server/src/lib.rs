//! `switchboard serve`: the long-running host.
//!
//! [`run`] loads everything `switchboard.toml` names, then runs three things until a
//! shutdown signal: the HTTP API (ingest, DLQ, audit, status; see `docs/openapi.yaml`), the
//! workers, and audit retention. On shutdown it stops accepting requests and new work,
//! lets in-flight attempts finish for the grace period, gives back the leases of the rest,
//! flushes, and returns.

#![warn(missing_docs)]

mod api;
mod assemble;
mod conns;
mod deployments;
mod http;
mod reply;
mod request;
mod retention;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use switchboard_config::ServeConfig;
pub use switchboard_pipeline::CommitMode;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use assemble::{Assembled, assemble};

/// Runs the host for `config` until `shutdown` resolves. `on_listening` is told the bound
/// address once the API accepts connections.
pub async fn run(
    config: &ServeConfig,
    commit_mode: CommitMode,
    shutdown: impl std::future::Future<Output = ()>,
    on_listening: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    run_with(
        config,
        RunOptions {
            commit_mode,
            ..RunOptions::default()
        },
        shutdown,
        on_listening,
    )
    .await
}

/// How [`run_with`] runs the host, beyond what the config says.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Group commit (the default) or one flush per request.
    pub commit_mode: CommitMode,
    /// Whether to start the delivery workers (default `true`). Benchmarks turn them off to
    /// measure ingest alone; records then stay queued for a later run.
    pub workers: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            commit_mode: CommitMode::Group,
            workers: true,
        }
    }
}

/// [`run`] with [`RunOptions`].
pub async fn run_with(
    config: &ServeConfig,
    options: RunOptions,
    shutdown: impl std::future::Future<Output = ()>,
    on_listening: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    ignore_file_size_signal();
    let commit_mode = options.commit_mode;
    let Assembled {
        pipeline,
        admin_token,
        storage,
    } = assemble(config, commit_mode).await?;
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| {
            format!(
                "key \"server.listen\": cannot listen on {}",
                config.server.listen
            )
        })?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let ctx = Arc::new(api::Ctx {
        pipeline: pipeline.clone(),
        admin_token,
        max_body_bytes: usize::try_from(config.server.max_body_bytes).unwrap_or(usize::MAX),
        header_timeout: config.server.header_timeout(),
        body_timeout: config.server.body_timeout(),
    });
    let conns = conns::Conns::new(connection_limit(config.server.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let server = tokio::spawn(http::serve(listener, ctx, conns, stop_rx.clone()));
    // Guests run on a runtime of their own: a guest yields at every epoch tick, but a
    // runtime full of yielding guests polls its I/O driver only every few dozen task polls,
    // so the API (health checks, ingest, the DLQ) would wait tens of milliseconds behind
    // them. On separate threads the OS schedules the idle API threads as soon as a
    // request arrives.
    let guests = guest_runtime()?;
    let workers = {
        let pipeline = pipeline.clone();
        let stop = stop_rx.clone();
        let start = options.workers;
        guests.spawn(async move {
            if start {
                pipeline.run_workers(stop).await;
            }
        })
    };
    let retention = tokio::spawn(retention::run(
        pipeline.audit().clone(),
        config.audit.retention(),
        stop_rx,
    ));
    tracing::info!(%addr, "switchboard is serving");
    on_listening(addr);

    shutdown.await;
    tracing::info!("shutting down: no new requests or work");
    stop_tx.send_replace(true);
    let _ = server.await;
    let _ = workers.await;
    let _ = retention.await;
    // Dropping a runtime blocks until its threads stop: off the async threads.
    let _ = tokio::task::spawn_blocking(move || drop(guests)).await;
    storage.flush().await.context("final flush")?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// The connection limit to use: `configured`, lowered to three quarters of the descriptor
/// limit (raised first to its hard maximum) so that a flood of connections cannot leave
/// the store, the logs and the connections to CRMs without descriptors.
fn connection_limit(configured: u64) -> usize {
    let configured = usize::try_from(configured).unwrap_or(usize::MAX);
    let Some(descriptors) = raise_descriptor_limit() else {
        return configured;
    };
    let allowed = usize::try_from(descriptors / 4 * 3).unwrap_or(usize::MAX);
    let limit = configured.min(allowed).max(1);
    if limit < configured {
        tracing::warn!(
            configured,
            limit,
            descriptors,
            "server.max_connections lowered to three quarters of the descriptor limit"
        );
    }
    tracing::info!(
        max_connections = limit,
        descriptors,
        "client connections are limited"
    );
    limit
}

/// Raises the soft limit on open file descriptors to the hard limit; returns the soft
/// limit in force afterwards (`None` when it cannot be read).
fn raise_descriptor_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `getrlimit`/`setrlimit` read and write the one struct given.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return None;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: lim.rlim_max,
                    rlim_max: lim.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim = raised;
                }
            }
        }
        Some(lim.rlim_cur)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Makes a write past the file-size limit (`ulimit -f`, `prlimit --fsize`) fail with
/// `EFBIG` instead of killing the process with `SIGXFSZ`: the store then treats it like a
/// full disk (refuses new records, keeps what it acknowledged, recovers by itself once
/// the limit is raised). Process-wide; `serve` owns the process.
fn ignore_file_size_signal() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sets the disposition of one signal to "ignore"; no handler runs.
        let previous = unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
        if previous == libc::SIG_ERR {
            tracing::warn!("could not ignore SIGXFSZ; a file-size limit would kill the process");
        }
    }
}

/// The runtime the delivery workers (and so every guest) run on: one thread per core,
/// each at a lower scheduling priority than the rest of the process.
fn guest_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("switchboard-guests")
        .on_thread_start(lower_thread_priority)
        .enable_all()
        .build()
        .context("starting the guest runtime")
}

/// How much nicer guest threads are than the rest of the process.
#[cfg(target_os = "linux")]
const GUEST_NICENESS: libc::c_int = 10;

/// Lowers the calling thread's priority by [`GUEST_NICENESS`], so that when every core is
/// busy running guests the OS still runs the API, the ingest group commit and the timers
/// first. Per-tenant CPU slots share the guest threads fairly among tenants; this keeps
/// the guest threads, together, from crowding out the rest.
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls about the calling thread, with no pointers; on
        // Linux `setpriority(PRIO_PROCESS, tid, ..)` applies to that one thread.
        let failed = unsafe {
            let tid = libc::gettid();
            let now = libc::getpriority(libc::PRIO_PROCESS as _, tid as libc::id_t);
            libc::setpriority(
                libc::PRIO_PROCESS as _,
                tid as libc::id_t,
                now + GUEST_NICENESS,
            ) != 0
        };
        if failed {
            tracing::warn!(error = %std::io::Error::last_os_error(),
                "could not lower a guest thread's priority; guests compete with the API for the CPU");
        }
    }
}
