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
    switchboard_server::run(&config, mode, shutdown_signal(), |addr| {
        // Scripts and tests read this line to find the API.
        println!("listening on http://{addr}");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
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
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
