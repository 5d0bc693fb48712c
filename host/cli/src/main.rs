//! `switchboard`: the command line. Thin on purpose: parsing arguments and
//! printing; the work is in `switchboard-runtime`.

mod audit;
mod client;
mod conformance;
mod dlq;
mod inspect;
mod output;
mod push;
mod scaffold;
mod serve;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Switchboard: an embedded WebAssembly runtime for CRM connectors.
#[derive(Parser)]
#[command(name = "switchboard", version, about)]
struct Cli {
    /// Where durable state and the compile cache live.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_DATA_DIR",
        default_value = ".switchboard"
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Deliver a file of records (JSON lines) through a connector.
    Push(push::PushArgs),
    /// Print what a connector describes, imports and exports.
    Inspect(inspect::InspectArgs),
    /// Run the long-running host: ingest API, durable queues, workers, DLQ, audit.
    Serve(serve::ServeArgs),
    /// Operate the dead-letter queue of a running `switchboard serve`.
    Dlq(dlq::DlqArgs),
    /// Search the audit log of a running `switchboard serve`.
    Audit(audit::AuditArgs),
    /// Show every lane of a running `switchboard serve`: queue, concurrency, rate limits,
    /// circuit breaker.
    Status(status::StatusArgs),
    /// Judge a connector `.wasm` with the conformance kit, through the real host and
    /// its CRM's simulator.
    Conformance(conformance::ConformanceArgs),
    /// Create a new connector project (`new connector NAME --lang rust|python|js`).
    New(scaffold::NewArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The kit deploys on purpose with only the simulator allowed: its warnings are noise.
    let default_filter = match cli.command {
        Command::Conformance(_) => "error",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or journald gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Push(args) => push::run(&cli.data_dir, args).await,
            Command::Inspect(args) => inspect::run(&cli.data_dir, args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Dlq(args) => dlq::run(args).await,
            Command::Audit(args) => audit::run(args).await,
            Command::Status(args) => status::run(args).await,
            Command::Conformance(args) => conformance::run(&cli.data_dir, args).await,
            Command::New(args) => scaffold::run(args),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", render_error(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, `a: b: c`. A cause is left out when
/// the text before it already ends with it (errors that print their source
/// and also expose it), so nothing is said twice.
fn render_error(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.is_empty() && out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Opens storage and the runtime under `data_dir`.
pub(crate) fn open_runtime(
    data_dir: &std::path::Path,
) -> anyhow::Result<switchboard_runtime::Runtime> {
    use anyhow::Context;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data dir {:?}", data_dir.display()))?;
    let storage = switchboard_storage::Storage::open(&data_dir.join("store"))
        .with_context(|| format!("opening storage in {:?}", data_dir.display()))?;
    switchboard_runtime::Runtime::new(
        switchboard_runtime::RuntimeOptions::with_cache_dir(data_dir.join("cache")),
        storage,
    )
}

#[cfg(test)]
mod tests {
    use super::render_error;

    #[test]
    fn render_error_says_a_repeated_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::new(io).context("\"x.wasm\": cannot read: gone");
        assert_eq!(render_error(&e), "\"x.wasm\": cannot read: gone");
        let e = anyhow::Error::msg("inner").context("outer");
        assert_eq!(render_error(&e), "outer: inner");
    }
}
