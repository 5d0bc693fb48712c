//! `switchboard dlq`: list, show, edit, replay and resolve dead letters through the
//! operator API of a running `switchboard serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::client::{self, Client, ServerArgs, excerpt, items, print_json, query, text, time_of};

/// Arguments of `dlq`.
#[derive(clap::Args)]
pub(crate) struct DlqArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: DlqCommand,
}

#[derive(clap::Subcommand)]
enum DlqCommand {
    /// List dead letters, newest first.
    List(ListArgs),
    /// Show one dead letter: its detail, attempts and record.
    Show(ShowArgs),
    /// Replace the record of an open dead letter (it must keep its id).
    Edit(EditArgs),
    /// Send open dead letters back to their queue.
    Replay(ReplayArgs),
    /// Mark an open dead letter resolved without replaying it.
    Resolve(ResolveArgs),
}

#[derive(clap::Args)]
struct ListArgs {
    /// Only this tenant.
    #[arg(long)]
    tenant: Option<String>,
    /// Only this deployment.
    #[arg(long)]
    deployment: Option<String>,
    /// Only this reason (validation, not-found, permission, auth, conflict, permanent,
    /// retries-exhausted, connector-fault, bad-record).
    #[arg(long)]
    reason: Option<String>,
    /// Only this status.
    #[arg(long, value_parser = ["open", "replayed", "resolved"])]
    status: Option<String>,
    /// Dead-lettered at or after this time (unix ms).
    #[arg(long)]
    from_ms: Option<u64>,
    /// Dead-lettered before this time (unix ms).
    #[arg(long)]
    to_ms: Option<u64>,
    /// Only entries with an id below this (the next page).
    #[arg(long)]
    before: Option<u64>,
    /// At most this many (1 to 10000; the server's default is 100).
    #[arg(long)]
    limit: Option<u64>,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ShowArgs {
    /// The dead letter's id.
    id: u64,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct EditArgs {
    /// The dead letter's id.
    id: u64,
    /// A file holding the new record, `{"id", "kind", "fields"}` (`-` for stdin).
    #[arg(long)]
    record: PathBuf,
    /// Why, for the audit log.
    #[arg(long, default_value = "")]
    note: String,
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// The dead letters to replay.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    ids: Vec<u64>,
    /// Replay every open dead letter matching the filters.
    #[arg(long)]
    all: bool,
    /// With --all: only this tenant.
    #[arg(long, requires = "all")]
    tenant: Option<String>,
    /// With --all: only this deployment.
    #[arg(long, requires = "all")]
    deployment: Option<String>,
    /// With --all: only this reason.
    #[arg(long, requires = "all")]
    reason: Option<String>,
    /// With --all: dead-lettered at or after this time (unix ms).
    #[arg(long, requires = "all")]
    from_ms: Option<u64>,
    /// With --all: dead-lettered before this time (unix ms).
    #[arg(long, requires = "all")]
    to_ms: Option<u64>,
    /// With --all: at most this many (the server's default is 1000).
    #[arg(long, requires = "all")]
    limit: Option<u64>,
    /// Why, for the audit log.
    #[arg(long, default_value = "")]
    note: String,
}

#[derive(clap::Args)]
struct ResolveArgs {
    /// The dead letter's id.
    id: u64,
    /// Why, for the audit log.
    #[arg(long, default_value = "")]
    note: String,
}

pub(crate) async fn run(args: DlqArgs) -> anyhow::Result<ExitCode> {
    let client = args.server.connect()?;
    match args.command {
        DlqCommand::List(a) => list(&client, a).await,
        DlqCommand::Show(a) => show(&client, a).await,
        DlqCommand::Edit(a) => edit(&client, a).await,
        DlqCommand::Replay(a) => replay(&client, a).await,
        DlqCommand::Resolve(a) => resolve(&client, a).await,
    }
}

async fn list(client: &Client, a: ListArgs) -> anyhow::Result<ExitCode> {
    let query = query(
        [
            ("tenant", a.tenant),
            ("deployment", a.deployment),
            ("reason", a.reason),
            ("status", a.status),
        ],
        [
            ("from_ms", a.from_ms),
            ("to_ms", a.to_ms),
            ("before", a.before),
            ("limit", a.limit),
        ],
    );
    client
        .print_list(
            "/v1/dlq",
            &query,
            a.json,
            list_line,
            "no dead letters match",
            |_| {},
        )
        .await
}

/// `ID  TIME  TENANT/DEPLOYMENT  RECORD  REASON  STATUS  DETAIL`.
fn list_line(e: &Json) -> String {
    format!(
        "{}  {}  {}/{}  {}  {}  {}  {}",
        text(e.get("id")),
        time_of(e.get("time_ms")),
        text(e.get("tenant")),
        text(e.get("deployment")),
        text(e.get("record_id")),
        text(e.get("reason")),
        text(e.get("status")),
        // One line: the excerpt turns control characters into spaces.
        excerpt(e.get("detail").and_then(Json::as_str).unwrap_or("-"), 160),
    )
}

async fn show(client: &Client, a: ShowArgs) -> anyhow::Result<ExitCode> {
    let answer = match client.get(&format!("/v1/dlq/{}", a.id), &[]).await? {
        Ok(v) => v,
        Err(e) => return e.report(),
    };
    if a.json {
        print_json(&answer);
    } else {
        print!("{}", show_text(&answer));
    }
    Ok(ExitCode::SUCCESS)
}

/// The entry, its detail, each attempt and the record, for people.
fn show_text(e: &Json) -> String {
    use std::fmt::Write as _;
    let env = e.get("envelope");
    let field = |name: &str| env.and_then(|v| v.get(name));
    let mut out = String::new();
    let _ = writeln!(out, "dead letter {}", text(e.get("id")));
    let _ = writeln!(
        out,
        "  deployment:     {}/{}",
        text(e.get("tenant")),
        text(e.get("deployment"))
    );
    let _ = writeln!(out, "  record id:      {}", text(e.get("record_id")));
    let _ = writeln!(out, "  trace id:       {}", text(field("trace_id")));
    let _ = writeln!(out, "  reason:         {}", text(e.get("reason")));
    let _ = writeln!(out, "  dead-lettered:  {}", time_of(e.get("time_ms")));
    let _ = writeln!(
        out,
        "  status:         {} (since {})",
        text(e.get("status")),
        time_of(e.get("status_ms"))
    );
    if let Some(note) = e.get("note").and_then(Json::as_str) {
        let _ = writeln!(out, "  note:           {note}");
    }
    let _ = writeln!(out, "  accepted:       {}", time_of(field("accepted_ms")));
    let _ = writeln!(
        out,
        "  attempts:       {} in all, {} replay(s)",
        text(field("total_attempts")),
        text(field("replays"))
    );
    let _ = writeln!(out, "  detail:         {}", text(field("detail")));
    let attempts = items(field("attempts"));
    if !attempts.is_empty() {
        let _ = writeln!(out, "attempts (most recent {}):", attempts.len());
    }
    for attempt in attempts {
        let result = attempt.get("result");
        let mut line = format!(
            "  #{} {} {}",
            text(attempt.get("number")),
            time_of(attempt.get("time_ms")),
            text(result.and_then(|r| r.get("result"))),
        );
        if let Some(detail) = result.and_then(|r| r.get("detail")) {
            let detail = match detail {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = write!(line, ": {}", excerpt(&detail, 200));
        }
        if let Some(resp) = attempt.get("response").filter(|r| !r.is_null()) {
            let _ = write!(
                line,
                " | CRM {}: {}",
                text(resp.get("status")),
                excerpt(&text(resp.get("body")), 200)
            );
        }
        let _ = writeln!(out, "{line}");
    }
    for (label, name) in [
        ("record", "record"),
        ("normalized", "normalized"),
        ("payload", "payload"),
    ] {
        if let Some(value) = field(name).filter(|v| !v.is_null()) {
            let pretty = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
            let _ = writeln!(out, "{label}:");
            for l in pretty.lines() {
                let _ = writeln!(out, "  {l}");
            }
        }
    }
    out
}

async fn edit(client: &Client, a: EditArgs) -> anyhow::Result<ExitCode> {
    let text = if a.record.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the record from stdin")?
    } else {
        std::fs::read_to_string(&a.record)
            .with_context(|| format!("reading the record {}", a.record.display()))?
    };
    let record: Json =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", a.record.display()))?;
    let body = json!({"record": record, "note": a.note});
    let path = format!("/v1/dlq/{}/record", a.id);
    match client.send_json(Method::PUT, &path, &body).await? {
        Ok(entry) => {
            println!(
                "edited dead letter {} (record {}); replay it with `switchboard dlq replay {}`",
                a.id,
                client::text(entry.get("record_id")),
                a.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => e.report(),
    }
}

async fn replay(client: &Client, a: ReplayArgs) -> anyhow::Result<ExitCode> {
    let note = a.note;
    if a.all {
        let mut filter = serde_json::Map::new();
        for (name, value) in [
            ("tenant", a.tenant),
            ("deployment", a.deployment),
            ("reason", a.reason),
        ] {
            if let Some(v) = value {
                filter.insert(name.to_owned(), json!(v));
            }
        }
        for (name, value) in [
            ("from_ms", a.from_ms),
            ("to_ms", a.to_ms),
            ("limit", a.limit),
        ] {
            if let Some(v) = value {
                filter.insert(name.to_owned(), json!(v));
            }
        }
        let body = json!({"filter": filter, "note": note});
        let summary = match client
            .send_json(Method::POST, "/v1/dlq/replay", &body)
            .await?
        {
            Ok(s) => s,
            Err(e) => return e.report(),
        };
        let pairs = |name: &str| -> Vec<(String, String)> {
            summary
                .get(name)
                .and_then(Json::as_array)
                .map(|a| a.iter().map(|p| (text(p.get(0)), text(p.get(1)))).collect())
                .unwrap_or_default()
        };
        let (replayed, failed) = (pairs("replayed"), pairs("failed"));
        for (id, item) in &replayed {
            println!("replayed dead letter {id} (queue item {item})");
        }
        for (id, why) in &failed {
            eprintln!("error: dead letter {id}: {why}");
        }
        println!("{} replayed, {} failed", replayed.len(), failed.len());
        return Ok(if failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let mut refused = false;
    for id in a.ids {
        let path = format!("/v1/dlq/{id}/replay");
        match client
            .send_json(Method::POST, &path, &json!({"note": note}))
            .await?
        {
            Ok(answer) => println!(
                "replayed dead letter {id} (queue item {})",
                text(answer.get("item"))
            ),
            Err(e) if e.is_refusal() => {
                eprintln!("error: dead letter {id}: {e}");
                refused = true;
            }
            Err(e) => return e.report(),
        }
    }
    Ok(if refused {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn resolve(client: &Client, a: ResolveArgs) -> anyhow::Result<ExitCode> {
    let path = format!("/v1/dlq/{}/resolve", a.id);
    match client
        .send_json(Method::POST, &path, &json!({"note": a.note}))
        .await?
    {
        Ok(_) => {
            println!("resolved dead letter {}", a.id);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => e.report(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_line_names_every_column() {
        let e = json!({"id": "7", "tenant": "acme", "deployment": "hubspot", "record_id": "c-1",
            "reason": "validation", "time_ms": 0, "status": "open", "status_ms": 0,
            "detail": "normalize refused:\n\"started-at\": required", "attempts": 1});
        assert_eq!(
            list_line(&e),
            "7  1970-01-01T00:00:00.000Z  acme/hubspot  c-1  validation  open  normalize refused: \"started-at\": required"
        );
    }

    #[test]
    fn show_prints_attempts_and_the_record() {
        let e = json!({"id": "7", "tenant": "acme", "deployment": "hubspot", "record_id": "c-1",
            "reason": "permanent", "time_ms": 0, "status": "open", "status_ms": 0,
            "envelope": {"trace_id": "t1", "detail": "gone", "record": {"id": "c-1"},
                "attempts": [{"number": 1, "time_ms": 0, "result": {"result": "failed", "detail": {"permanent": "gone"}},
                    "response": {"status": 410, "body": "{\"message\":\"gone\"}"}}]}});
        let out = show_text(&e);
        assert!(out.contains("trace id:       t1"), "{out}");
        assert!(out.contains("#1 1970-01-01T00:00:00.000Z failed: {\"permanent\":\"gone\"} | CRM 410: {\"message\":\"gone\"}"), "{out}");
        assert!(
            out.contains("record:\n  {\n    \"id\": \"c-1\"\n  }"),
            "{out}"
        );
    }
}
