//! `switchboard serve --config switchboard.toml`: the long-running host.

use std::path::PathBuf;
use std::process::ExitCode;

use switchboard_config::ServeConfig;
use switchboard_server::CommitMode;

/// Arguments of `serve`.
#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// The host config (see docs/config.md).
    #[arg(long, env = "SWITCHBOARD_CONFIG", default_value = "switchboard.toml")]
    config: PathBuf,
    /// Flush once per ingest request instead of sharing flushes (the naive baseline, for
    /// benchmarks only).
    #[arg(long, hide = true)]
    no_group_commit: bool,
}

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = ServeConfig::load(&args.config)?;
    let mode = if args.no_group_commit {
        CommitMode::PerRequest
    } else {
        CommitMode::Group
    };
    let grace = config.server.shutdown_grace();
    // Handlers are installed here, before the address is printed: a SIGTERM right after
    // "listening on" must stop the server cleanly, not kill it with the default action.
    let signal = shutdown_signal();
    let shutdown = async move {
        signal.await;
        arm_exit_watchdog(grace + FINAL_STEPS);
    };
    switchboard_server::run(&config, mode, shutdown, |addr| {
        // Scripts and tests read this line to find the API.
        println!("listening on http://{addr}");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Time after the drain grace for giving back leases and the final flush.
const FINAL_STEPS: std::time::Duration = std::time::Duration::from_secs(5);

/// Ends the process if shutdown has not finished within `limit`.
///
/// The drain aborts in-flight attempts after the grace period, and every guest yields
/// to the executor at each epoch tick, so the orderly path should always finish; this
/// is the backstop that needs nothing from any task. It runs on an OS thread of its own,
/// so a stalled async runtime cannot hold it up. Accepted records are durable before
/// their 202, and an unfinished attempt's lease expires, so exiting here loses nothing.
fn arm_exit_watchdog(limit: std::time::Duration) {
    let spawned = std::thread::Builder::new()
        .name("switchboard-exit-watchdog".into())
        .spawn(move || {
            std::thread::sleep(limit);
            tracing::error!(?limit, "shutdown did not finish in time; exiting now");
            eprintln!("switchboard: shutdown did not finish within {limit:?}; exiting");
            std::process::exit(EXIT_SHUTDOWN_TIMEOUT);
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the shutdown watchdog");
    }
}

/// Exit code when shutdown overran its limit.
const EXIT_SHUTDOWN_TIMEOUT: i32 = 3;

/// Logs and otherwise ignores every SIGHUP (whose default action would kill the process:
/// a closed terminal, or an operator expecting a reload). The configuration is read once,
/// at start; restart to apply changes.
#[cfg(unix)]
fn ignore_hangups(handler: std::io::Result<tokio::signal::unix::Signal>) {
    match handler {
        Ok(mut hangups) => {
            tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    tracing::warn!(
                        "SIGHUP ignored: the configuration is read at start only; restart switchboard serve to apply changes"
                    );
                }
            });
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot install the SIGHUP handler; a SIGHUP would stop the server")
        }
    }
}

/// Installs the SIGTERM and SIGINT (Ctrl-C) handlers now (and SIGHUP's, which is ignored);
/// the future resolves on SIGTERM or SIGINT.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        );
        ignore_hangups(signal(SignalKind::hangup()));
        async move {
            match handlers {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    tracing::error!("cannot install signal handlers; stop with SIGKILL");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
