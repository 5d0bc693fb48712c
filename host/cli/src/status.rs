//! `switchboard status`: every lane of a running `switchboard serve` with its queue, its
//! concurrency, its rate-limit budgets and pause, and its circuit breaker; then every
//! deployment that failed to start, with why; then the store's failure, if it is failing.

use std::process::ExitCode;

use serde_json::Value as Json;

use crate::client::{ServerArgs, items, print_json, text};

/// Arguments of `status`.
#[derive(clap::Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Print the server's JSON answer (`{"lanes": [...], "failed": [...], "storage": {...}}`).
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run(a: StatusArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.connect()?;
    let answer = match client.get("/v1/status", &[]).await? {
        Ok(v) => v,
        Err(e) => return e.report(),
    };
    if a.json {
        print_json(&answer);
        return Ok(ExitCode::SUCCESS);
    }
    for lane in items(answer.get("lanes")) {
        println!("{}", lane_text(lane));
    }
    for failed in items(answer.get("failed")) {
        println!("{}", failed_text(failed));
    }
    if let Some(line) = storage_text(answer.get("storage")) {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `STORAGE FAILING since=MS  REASON` while the store cannot make records durable (ingest
/// refuses records meanwhile); nothing while it can.
fn storage_text(storage: Option<&Json>) -> Option<String> {
    let storage = storage?;
    if storage.get("durable").and_then(Json::as_bool) != Some(false) {
        return None;
    }
    Some(format!(
        "STORAGE FAILING since={}  {}",
        text(storage.get("since_ms")),
        text(storage.get("reason")),
    ))
}

/// Two lines per failed deployment:
/// `TENANT/DEPLOYMENT  FAILED TO START  pending=N  kinds=K,K|any`, then `  ERROR`.
fn failed_text(f: &Json) -> String {
    let kinds = match f.get("kinds").and_then(Json::as_array) {
        Some(kinds) => kinds
            .iter()
            .map(|k| text(Some(k)))
            .collect::<Vec<_>>()
            .join(","),
        None => "any".to_owned(),
    };
    format!(
        "{}/{}  FAILED TO START  pending={}  kinds={kinds}\n  {}",
        text(f.get("tenant")),
        text(f.get("deployment")),
        text(f.get("pending")),
        text(f.get("error")),
    )
}

/// Two to four lines per lane:
/// `TENANT/DEPLOYMENT  CONNECTOR  pending=N  in-flight=N/N  breaker=STATE`, then
/// `  paused Nms: REASON` when paused, then one `  budget NAME used/tokens ...` per budget.
fn lane_text(l: &Json) -> String {
    let breaker = l.get("breaker");
    let state = text(breaker.and_then(|b| b.get("state")));
    let mut out = format!(
        "{}/{}  {}  pending={}  in-flight={}/{}  breaker={}",
        text(l.get("tenant")),
        text(l.get("deployment")),
        text(l.get("connector")),
        text(l.get("pending")),
        text(l.get("in_flight")),
        text(l.get("concurrency")),
        state,
    );
    if let Some(ms) = breaker
        .and_then(|b| b.get("open_for_ms"))
        .and_then(Json::as_u64)
    {
        out.push_str(&format!(" (probe in {ms} ms)"));
    }
    let limits = l.get("rate_limits");
    if let Some(ms) = limits
        .and_then(|r| r.get("paused_for_ms"))
        .and_then(Json::as_u64)
    {
        out.push_str(&format!(
            "\n  paused {ms} ms: {}",
            text(limits.and_then(|r| r.get("pause_reason")))
        ));
    }
    for b in items(limits.and_then(|r| r.get("budgets"))) {
        out.push_str(&format!(
            "\n  budget {} ({})  used {}/{}  remaining {}",
            text(b.get("name")),
            text(b.get("scope")),
            text(b.get("used")),
            text(b.get("tokens")),
            text(b.get("remaining")),
        ));
        let tokens = b.get("tokens").and_then(Json::as_u64);
        if let Some(limit) = b.get("server_limit").and_then(Json::as_u64)
            && tokens.is_some_and(|t| limit < t)
        {
            out.push_str(&format!("  (the CRM allows only {limit})"));
        }
        if let Some(ms) = b.get("blocked_for_ms").and_then(Json::as_u64) {
            out.push_str(&format!("  blocked {ms} ms"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_a_failed_deployment_with_its_kinds_and_why() {
        let failed = serde_json::json!({
            "tenant": "acme", "deployment": "zoho", "kinds": null, "pending": 3,
            "error": "loading \"zoho.wasm\": not a component\nforged line",
        });
        assert_eq!(
            failed_text(&failed),
            "acme/zoho  FAILED TO START  pending=3  kinds=any\n  \
             loading \"zoho.wasm\": not a component\\nforged line"
        );
    }

    #[test]
    fn shows_a_failing_store_and_nothing_for_a_durable_one() {
        let failing = serde_json::json!({
            "durable": false, "since_ms": 1796689501837_u64,
            "reason": "ingest log: cannot write: File too large (os error 27)",
        });
        assert_eq!(
            storage_text(Some(&failing)).as_deref(),
            Some(
                "STORAGE FAILING since=1796689501837  \
                 ingest log: cannot write: File too large (os error 27)"
            )
        );
        assert_eq!(
            storage_text(Some(&serde_json::json!({ "durable": true }))),
            None
        );
        assert_eq!(storage_text(None), None);
    }

    #[test]
    fn shows_the_pause_the_breaker_and_every_budget() {
        let lane = serde_json::json!({
            "tenant": "acme", "deployment": "hubspot", "connector": "hubspot@0.3.0",
            "pending": 12, "in_flight": 3, "concurrency": 8,
            "breaker": {"state": "open", "open_for_ms": 4000},
            "rate_limits": {"paused_for_ms": 900, "pause_reason": "the CRM said TEN_SECONDLY_ROLLING (burst)",
                "budgets": [{"name": "ten-secondly", "scope": "rolling", "used": 190, "tokens": 190, "remaining": 0, "blocked_for_ms": null}]},
        });
        assert_eq!(
            lane_text(&lane),
            "acme/hubspot  hubspot@0.3.0  pending=12  in-flight=3/8  breaker=open (probe in 4000 ms)\n  \
             paused 900 ms: the CRM said TEN_SECONDLY_ROLLING (burst)\n  \
             budget ten-secondly (rolling)  used 190/190  remaining 0"
        );
    }
}
