//! `switchboard push --tenant T --connector PATH.wasm --manifest DEPLOY.toml RECORDS.jsonl`

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use switchboard_runtime::{Deployment, RetryPolicy, deliver, record_from_json_str};

use crate::output::{Line, Summary};

/// Arguments of `push`.
#[derive(clap::Args)]
pub(crate) struct PushArgs {
    /// Tenant the records belong to.
    #[arg(long)]
    tenant: String,
    /// The connector component (`.wasm`).
    #[arg(long)]
    connector: PathBuf,
    /// The deployment manifest (TOML).
    #[arg(long)]
    manifest: PathBuf,
    /// Print one JSON object per record instead of text.
    #[arg(long)]
    json: bool,
    /// Attempts per record for transient and rate-limited failures.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    /// Records, one JSON object per line: {"id", "kind", "fields"}.
    records: PathBuf,
}

pub(crate) async fn run(data_dir: &Path, args: PushArgs) -> anyhow::Result<ExitCode> {
    let manifest = switchboard_config::DeploymentManifest::load(&args.manifest)?;
    let file = std::fs::File::open(&args.records)
        .with_context(|| format!("opening records file {:?}", args.records.display()))?;
    let lines: Vec<String> = std::io::BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading {:?}", args.records.display()))?;

    let rt = crate::open_runtime(data_dir)?;
    let loaded = rt.load(&args.connector).await?;
    let dep = Deployment::new(
        &rt,
        &args.tenant,
        loaded,
        &manifest,
        &args.manifest.display().to_string(),
    )?;
    let policy = RetryPolicy {
        max_attempts: args.max_attempts.max(1),
        ..RetryPolicy::default()
    };

    let records: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let bar = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(records.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut summary = Summary::default();
    for (line_no, text) in records {
        let line = match record_from_json_str(text) {
            Ok(record) => Line::Delivered(deliver(&dep, &record, &policy).await),
            Err(e) => Line::Unreadable {
                line: line_no,
                error: e.to_string(),
            },
        };
        summary.count(&line);
        let rendered = if args.json { line.json() } else { line.text() };
        match &bar {
            Some(bar) => {
                bar.println(rendered);
                bar.inc(1);
            }
            None => println!("{rendered}"),
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if args.json {
        println!("{}", serde_json::json!({ "summary": summary }));
    } else {
        println!("{}", summary.text());
    }
    Ok(if summary.all_delivered() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
