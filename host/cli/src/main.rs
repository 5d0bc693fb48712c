//! `switchboard`: the command line. Thin on purpose: parsing arguments and
//! printing; the work is in `switchboard-runtime`.

mod inspect;
mod output;
mod push;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
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
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
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
