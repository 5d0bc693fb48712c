//! `switchboard conformance PATH.wasm [--crm hubspot|none] [--cases DIR]... [--case TEXT]
//! [--json] [--junit FILE]`: the conformance kit's front end.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use switchboard_conformance::{Options, render};

/// Arguments of `conformance`.
#[derive(clap::Args)]
pub(crate) struct ConformanceArgs {
    /// The connector component (`.wasm`) to judge.
    wasm: PathBuf,
    /// The CRM simulator to run push and classify cases against (`hubspot`), or `none`
    /// for the CRM-independent suites only. Default: the one matching `describe`'s `crm`.
    #[arg(long)]
    crm: Option<String>,
    /// A directory of extra case files (`*.toml`), besides the built-in ones. Repeatable.
    #[arg(long = "cases", value_name = "DIR")]
    case_dirs: Vec<PathBuf>,
    /// Run only the checks whose `suite/name` contains this text (case-insensitive).
    #[arg(long = "case", value_name = "TEXT")]
    filter: Option<String>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the report as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Per-instance memory cap to judge against, in MiB (a deployment's `limits.memory_mb`).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    memory_mb: u64,
    /// Guest time budget per unit of work to judge against, in ms (`limits.time_budget_ms`).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    time_budget_ms: u64,
}

pub(crate) async fn run(
    data_dir: &std::path::Path,
    args: ConformanceArgs,
) -> anyhow::Result<ExitCode> {
    let report = switchboard_conformance::run(Options {
        wasm: args.wasm,
        crm: args.crm,
        case_dirs: args.case_dirs,
        filter: args.filter,
        cache_dir: data_dir.join("cache"),
        memory_mb: args.memory_mb,
        time_budget_ms: args.time_budget_ms,
    })
    .await?;
    if let Some(path) = &args.junit {
        std::fs::write(path, render::junit(&report))
            .with_context(|| format!("writing JUnit XML to {:?}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render::table(&report));
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
