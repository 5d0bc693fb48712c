//! `switchboard audit`: search the audit log of a running `switchboard serve`.

use std::process::ExitCode;

use serde_json::Value as Json;

use crate::client::{ServerArgs, excerpt, query, text, time_of};

/// Arguments of `audit`.
#[derive(clap::Args)]
pub(crate) struct AuditArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Only events of this record id.
    #[arg(long)]
    record_id: Option<String>,
    /// Only events of this trace id (from the ingest receipt).
    #[arg(long)]
    trace_id: Option<String>,
    /// Only this tenant.
    #[arg(long)]
    tenant: Option<String>,
    /// Only this deployment.
    #[arg(long)]
    deployment: Option<String>,
    /// At or after this time (unix ms).
    #[arg(long)]
    from_ms: Option<u64>,
    /// Before this time (unix ms).
    #[arg(long)]
    to_ms: Option<u64>,
    /// The next page: the `TIME:SEQ` cursor a previous search printed.
    #[arg(long)]
    before: Option<String>,
    /// At most this many (1 to 10000; the server's default is 100).
    #[arg(long)]
    limit: Option<u64>,
    /// Print the server's JSON answer (`{"entries": [...], "next": ...}`).
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run(a: AuditArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.connect()?;
    let query = query(
        [
            ("record_id", a.record_id),
            ("trace_id", a.trace_id),
            ("tenant", a.tenant),
            ("deployment", a.deployment),
            ("before", a.before),
        ],
        [
            ("from_ms", a.from_ms),
            ("to_ms", a.to_ms),
            ("limit", a.limit),
        ],
    );
    client
        .print_list(
            "/v1/audit",
            &query,
            a.json,
            line,
            "no audit events match",
            |answer| {
                if let Some(next) = answer.get("next").and_then(Json::as_str) {
                    eprintln!("more: add --before {next}");
                }
            },
        )
        .await
}

/// `TIME  TENANT/DEPLOYMENT  RECORD  ATTEMPT  CLASS  OUTCOME  crm=STATUS  retry=TIME  DETAIL`.
/// Operator actions show their event (`dlq-replayed`, ...) in the attempt column.
fn line(e: &Json) -> String {
    let event = e.get("event").and_then(Json::as_str).unwrap_or("-");
    let attempt = match (event, e.get("attempt")) {
        ("attempt", Some(n)) => format!("attempt {n}"),
        _ => event.to_owned(),
    };
    format!(
        "{}  {}/{}  {}  {}  {}  {}  crm={}  retry={}  {}",
        time_of(e.get("time_ms")),
        text(e.get("tenant")),
        text(e.get("deployment")),
        text(e.get("record_id")),
        attempt,
        text(e.get("class")),
        text(e.get("outcome")),
        text(e.get("crm_status")),
        time_of(e.get("next_retry_ms")),
        excerpt(&text(e.get("detail")), 200),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_line_per_event() {
        let e = json!({"event": "attempt", "time_ms": 0, "tenant": "acme", "deployment": "hubspot",
            "record_id": "c-1", "attempt": 2, "class": "rate-limited", "outcome": "retry-scheduled",
            "crm_status": 429, "next_retry_ms": 1000, "detail": "slow down"});
        assert_eq!(
            line(&e),
            "1970-01-01T00:00:00.000Z  acme/hubspot  c-1  attempt 2  rate-limited  retry-scheduled  crm=429  retry=1970-01-01T00:00:01.000Z  slow down"
        );
        let e = json!({"event": "dlq-replayed", "time_ms": 0, "tenant": "acme", "deployment": "hubspot",
            "record_id": "c-1", "outcome": "ok", "detail": "dlq 3: fixed"});
        assert_eq!(
            line(&e),
            "1970-01-01T00:00:00.000Z  acme/hubspot  c-1  dlq-replayed  -  ok  crm=-  retry=-  dlq 3: fixed"
        );
    }
}
