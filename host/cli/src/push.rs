//! `switchboard push --tenant T --connector PATH.wasm --manifest DEPLOY.toml RECORDS.jsonl`

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use switchboard_runtime::{Deployment, RetryPolicy, deliver, record_from_json_str};
use switchboard_storage::LegacyClaim;

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
    /// The deployment's name: the scope of its state, jobs and idempotency keys in the
    /// data directory. Defaults to the manifest file's name without its extension.
    #[arg(long)]
    deployment: Option<String>,
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
    let bytes = std::fs::read(&args.records)
        .with_context(|| format!("reading records file {:?}", args.records.display()))?;

    let deployment = match &args.deployment {
        Some(name) => name.clone(),
        None => args
            .manifest
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .context("--deployment is needed: the manifest path has no file name")?,
    };
    let rt = crate::open_runtime(data_dir)?;
    let loaded = rt.load(&args.connector).await?;
    let claim = LegacyClaim {
        tenant: args.tenant.clone(),
        deployment: deployment.clone(),
        claimed_name: loaded.descriptor().name.clone(),
    };
    rt.storage()
        .migrate_scopes(&[claim])
        .context("migrating state to deployment scopes")?;
    let dep = Deployment::new(
        &rt,
        &args.tenant,
        &deployment,
        loaded,
        &manifest,
        &args.manifest.display().to_string(),
    )?;
    let policy = RetryPolicy {
        max_attempts: args.max_attempts.max(1),
        ..RetryPolicy::default()
    };

    let records = non_blank_lines(&bytes);
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
        let parsed = text.and_then(|t| record_from_json_str(t).map_err(|e| e.to_string()));
        let line = match parsed {
            Ok(record) => Line::Delivered(deliver(&dep, &record, &policy).await),
            Err(error) => Line::Unreadable {
                line: line_no,
                error,
            },
        };
        summary.count(&line);
        // Text lines carry guest strings: escaped so they stay one line and cannot drive
        // the terminal (JSON escapes them itself).
        let rendered = if args.json {
            line.json()
        } else {
            switchboard_runtime::escape_control(&line.text())
        };
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

/// The non-blank lines of `bytes` with their 1-based numbers. A line that is
/// not UTF-8 is kept as an error so it is reported without stopping the rest.
fn non_blank_lines(bytes: &[u8]) -> Vec<(usize, Result<&str, String>)> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, raw)| {
            let text = std::str::from_utf8(raw)
                .map(str::trim)
                .map_err(|e| format!("record: not valid UTF-8: {e}"));
            (i + 1, text)
        })
        .filter(|(_, text)| text.as_ref().map_or(true, |t| !t.is_empty()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::non_blank_lines;

    #[test]
    fn numbers_lines_skips_blank_ones_and_keeps_bad_utf8_as_an_error() {
        let lines = non_blank_lines(b"{\"a\":1}\r\n\n  \n\xff\xfe\n{}");
        let numbers: Vec<usize> = lines.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![1, 4, 5]);
        assert_eq!(lines[0].1, Ok("{\"a\":1}"));
        assert!(lines[1].1.as_ref().is_err_and(|e| e.contains("UTF-8")));
        assert_eq!(lines[2].1, Ok("{}"));
    }
}
