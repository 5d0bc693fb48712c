//! The operator commands against a real `switchboard serve`: the server runs as a child
//! process over the HubSpot connector and an in-process simulator; records are ingested
//! over HTTP; then `switchboard dlq`, `switchboard audit` and `switchboard status` are run
//! as an operator runs them. Also checks that docs/openapi.json documents every route of
//! the server.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_hubspot_sim::{SimConfig, Simulator};
use switchboard_tests::{
    Run, ServeChild, connector_wasm, http_request, hubspot_manifest_for, repo_root, switchboard_bin,
};

const CRM_TOKEN: &str = "pat-cli-ops-5d2a";
const INGEST_TOKEN: &str = "ingest-acme-7f3b";
const ADMIN_TOKEN: &str = "admin-3e9c-b51f-7a02";

/// Runs the CLI on a blocking thread so the in-process simulator keeps serving.
async fn cli(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let bin = switchboard_bin().to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let envs: Vec<(String, String)> = envs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .args(args)
            .envs(envs)
            .env_remove("SWITCHBOARD_SERVER")
            .env_remove("SWITCHBOARD_CONFIG")
            .env_remove("SWITCHBOARD_ADMIN_TOKEN")
            .env("SWITCHBOARD_LOG", "error")
            .output()
            .expect("running switchboard")
    })
    .await
    .expect("join");
    Run::from(out)
}

/// One HTTP/1.1 request over a fresh connection: (status, body as JSON).
fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
    http_request(addr, method, path, token, body, Duration::from_secs(60))
}

fn call(id: &str, phone: &str, started_at: Option<&str>) -> Value {
    let mut fields = json!({"phone": phone, "duration-seconds": 60, "direction": "inbound"});
    if let Some(t) = started_at {
        fields["started-at"] = json!(t);
    }
    json!({"id": id, "kind": "call", "fields": fields})
}

/// Runs `f` until it gives `Some`, for up to two minutes (the machine may be busy).
async fn eventually<T, F, Fut>(what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    switchboard_tests::eventually(what, Duration::from_secs(120), f).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_list_show_edit_replay_resolve_and_search_the_audit_log() {
    let sim_config = SimConfig {
        tokens: vec![CRM_TOKEN.into()],
        search_per_second: 1000,
        ..SimConfig::default()
    };
    let sim = Simulator::start(sim_config.clone())
        .await
        .expect("simulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("crm.secret"), CRM_TOKEN).expect("write");
    std::fs::write(d.join("ingest.secret"), INGEST_TOKEN).expect("write");
    std::fs::write(d.join("admin.secret"), ADMIN_TOKEN).expect("write");
    std::fs::write(
        d.join("deploy.toml"),
        hubspot_manifest_for(&sim_config, &sim.base_url(), "crm.secret", Some("GB")),
    )
    .expect("write");
    let config = d.join("switchboard.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[storage]
dir = "data"

[server]
listen = "127.0.0.1:0"
admin_token = {{ file = "admin.secret" }}
shutdown_grace_ms = 5000

[workers]
poll_interval_ms = 20

[delivery]
max_attempts = 3
backoff_base_ms = 10
backoff_cap_ms = 100

[tenants.acme]
ingest_token = {{ file = "ingest.secret" }}

[tenants.acme.deployments.hubspot]
wasm = {wasm:?}
manifest = "deploy.toml"
kinds = ["call"]
"#,
            wasm = connector_wasm("hubspot").display().to_string()
        ),
    )
    .expect("write config");
    let config_arg = config.display().to_string();

    // Port 0 cannot be found from the config: the CLI says so (exit 2).
    let run = cli(&["dlq", "list", "--config", &config_arg], &[]).await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stderr.contains("port 0"), "{}", run.stderr);

    let server = ServeChild::start(&config, d.join("serve.stderr"));
    let url = server.url();
    // The token comes from the config; the URL from --server.
    let op = |args: &[&str]| {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend([
            "--server".into(),
            url.clone(),
            "--config".into(),
            config_arg.clone(),
        ]);
        v
    };
    let run_op = |args: &[&str]| {
        let v = op(args);
        async move {
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            cli(&refs, &[]).await
        }
    };

    // A wrong token is a setup error (exit 2) with the server's words.
    let run = cli(
        &["dlq", "list", "--server", &url, "--admin-token", "nope"],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stderr.contains("admin token"), "{}", run.stderr);

    // Ingest: one good call, one without started-at, one with a bad phone.
    let body = serde_json::to_string(&vec![
        call("c-ok", "+44 7911 123456", Some("2026-11-24T09:30:00+01:00")),
        call("c-fix", "+1 201-555-0123", None),
        call("c-bad", "not a phone", Some("2026-11-24T09:30:00+01:00")),
    ])
    .expect("json");
    let addr = server.addr.clone();
    let (status, receipt) = tokio::task::spawn_blocking(move || {
        http(
            &addr,
            "POST",
            "/v1/tenants/acme/records",
            INGEST_TOKEN,
            &body,
        )
    })
    .await
    .expect("join");
    assert_eq!(status, 202, "{receipt}");
    let fix_trace = receipt["records"][1]["trace_id"]
        .as_str()
        .expect("trace id")
        .to_owned();
    assert_eq!(receipt["records"][1]["id"], "c-fix");

    // Both invalid records end up in the DLQ as validation.
    let entries = eventually("two dead letters", || async {
        let list = run_op(&["dlq", "list", "--json"]).await.ok().json();
        let entries = list["entries"].as_array().cloned().unwrap_or_default();
        (entries.len() == 2).then_some(entries)
    })
    .await;
    let id_of = |record: &str| -> String {
        entries
            .iter()
            .find(|e| e["record_id"] == record)
            .and_then(|e| e["id"].as_str())
            .unwrap_or_else(|| panic!("no dead letter for {record}: {entries:?}"))
            .to_owned()
    };
    let (fix_id, bad_id) = (id_of("c-fix"), id_of("c-bad"));
    assert!(entries.iter().all(|e| e["reason"] == "validation"));

    let text = run_op(&["dlq", "list", "--status", "open"]).await.ok();
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", text.stdout);
    let fix_line = lines
        .iter()
        .find(|l| l.contains(" c-fix "))
        .expect("c-fix listed");
    assert!(fix_line.starts_with(&format!("{fix_id}  ")), "{fix_line}");
    assert!(
        fix_line.contains("acme/hubspot  c-fix  validation  open  "),
        "{fix_line}"
    );
    assert!(fix_line.contains("started-at"), "{fix_line}");

    let show = run_op(&["dlq", "show", &fix_id]).await.ok();
    assert!(
        show.stdout.contains("reason:         validation"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains(&fix_trace), "{}", show.stdout);
    assert!(show.stdout.contains("started-at"), "{}", show.stdout);
    assert!(show.stdout.contains("#1 "), "{}", show.stdout);
    assert!(show.stdout.contains("record:\n"), "{}", show.stdout);

    // Unknown entry: refused (exit 1) with the server's words.
    let run = run_op(&["dlq", "show", "999999"]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(run.stderr.contains("no dead letter"), "{}", run.stderr);

    // An edit that changes the id is refused.
    let file = d.join("fixed.json");
    let wrong = call("other", "+1 201-555-0123", Some("2026-11-24T10:00:00Z"));
    std::fs::write(&file, wrong.to_string()).expect("write");
    let file_arg = file.display().to_string();
    let run = run_op(&["dlq", "edit", &fix_id, "--record", &file_arg]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(run.stderr.contains("must stay"), "{}", run.stderr);

    // Fix the record, replay it, and it is delivered.
    let fixed = call("c-fix", "+1 201-555-0123", Some("2026-11-24T10:00:00Z"));
    std::fs::write(&file, fixed.to_string()).expect("write");
    run_op(&[
        "dlq",
        "edit",
        &fix_id,
        "--record",
        &file_arg,
        "--note",
        "added started-at",
    ])
    .await
    .ok();
    let shown = run_op(&["dlq", "show", &fix_id, "--json"])
        .await
        .ok()
        .json();
    assert_eq!(shown["envelope"]["record"], fixed);

    let run = run_op(&["dlq", "replay", &fix_id, "--note", "fixed"])
        .await
        .ok();
    assert!(
        run.stdout
            .starts_with(&format!("replayed dead letter {fix_id} ")),
        "{}",
        run.stdout
    );
    let delivered = eventually("c-fix delivered", || async {
        let found = run_op(&["audit", "--record-id", "c-fix", "--json"])
            .await
            .ok()
            .json();
        let entries = found["entries"].as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .any(|e| e["outcome"] == "delivered")
            .then_some(entries)
    })
    .await;
    let events: Vec<&str> = delivered
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert!(events.contains(&"dlq-edited"), "{events:?}");
    assert!(events.contains(&"dlq-replayed"), "{events:?}");
    assert!(delivered.iter().all(|e| e["record_id"] == "c-fix"));

    // Replaying it again is refused: it is no longer open.
    let run = run_op(&["dlq", "replay", &fix_id]).await;
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(run.stderr.contains("not open"), "{}", run.stderr);

    // Resolve the other one.
    let run = run_op(&["dlq", "resolve", &bad_id, "--note", "caller was told"])
        .await
        .ok();
    assert_eq!(run.stdout.trim(), format!("resolved dead letter {bad_id}"));
    let list = run_op(&["dlq", "list", "--json"]).await.ok().json();
    let status_of = |id: &str| {
        list["entries"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["id"] == id))
            .map(|e| e["status"].clone())
    };
    assert_eq!(status_of(&fix_id), Some(json!("replayed")));
    assert_eq!(status_of(&bad_id), Some(json!("resolved")));
    let open = run_op(&["dlq", "list", "--status", "open", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(open["entries"], json!([]));
    // Nothing open is left to replay.
    let run = run_op(&["dlq", "replay", "--all", "--tenant", "acme"])
        .await
        .ok();
    assert!(
        run.stdout.contains("0 replayed, 0 failed"),
        "{}",
        run.stdout
    );

    // Audit search by record id (text) and by trace id.
    let text = run_op(&["audit", "--record-id", "c-fix"]).await.ok();
    assert!(
        text.stdout
            .lines()
            .any(|l| l.contains("acme/hubspot  c-fix  attempt ") && l.contains("  delivered  ")),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.lines().any(|l| l.contains("  dlq-replayed  ")),
        "{}",
        text.stdout
    );
    let by_trace = run_op(&["audit", "--trace-id", &fix_trace, "--json"])
        .await
        .ok()
        .json();
    let traced = by_trace["entries"].as_array().expect("entries");
    assert!(!traced.is_empty());
    assert!(
        traced
            .iter()
            .all(|e| e["trace_id"] == fix_trace.as_str() && e["record_id"] == "c-fix")
    );
    let ok = run_op(&["audit", "--record-id", "c-ok", "--json"])
        .await
        .ok()
        .json();
    assert!(
        ok["entries"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["outcome"] == "delivered")),
        "{ok}"
    );

    // Status: the lane, its breaker and its budgets (the simulator's, from the manifest).
    let status = run_op(&["status"]).await.ok();
    let first = status.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("acme/hubspot  hubspot@0.3.0  pending=0  in-flight=0/")
            && first.ends_with("breaker=closed"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("\n  budget ten-secondly (rolling)  used "),
        "{}",
        status.stdout
    );
    let json = run_op(&["status", "--json"]).await.ok().json();
    assert_eq!(json["lanes"][0]["breaker"]["state"], "closed", "{json}");
    assert_eq!(
        json["lanes"][0]["rate_limits"]["budgets"][2]["name"], "search",
        "{json}"
    );

    assert_eq!(server.stop(), Some(0), "serve exits 0 on SIGTERM");
    // With the server gone, the CLI says where it looked.
    let run = run_op(&["dlq", "list"]).await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr.contains("is `switchboard serve` running at"),
        "{}",
        run.stderr
    );
    sim.shutdown().await;
}

/// Every route in the table of host/server/src/api/mod.rs is in docs/openapi.json.
#[test]
fn openapi_documents_every_route() {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("docs/openapi.json")).expect("docs/openapi.json");
    let doc: Value = serde_json::from_str(&text).expect("openapi.json is JSON");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "OpenAPI 3.1"
    );
    let table =
        std::fs::read_to_string(root.join("host/server/src/api/mod.rs")).expect("api/mod.rs");
    let mut routes = Vec::new();
    for line in table.lines().filter(|l| l.starts_with("//! | `")) {
        let first_cell = line.split('|').nth(1).unwrap_or_default();
        for quoted in first_cell.split('`').skip(1).step_by(2) {
            let (method, path) = quoted.split_once(' ').expect("METHOD /path");
            routes.push((method.to_lowercase(), path.to_owned()));
        }
    }
    assert!(routes.len() >= 11, "{routes:?}");
    for (method, path) in &routes {
        let op = &doc["paths"][path][method];
        assert!(
            op.is_object(),
            "{} {path} is not in docs/openapi.json",
            method.to_uppercase()
        );
        assert!(op["responses"].is_object(), "{method} {path}: responses");
    }
    // Every $ref resolves.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r.clone()),
                        _ => refs(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let pointer = r.strip_prefix('#').expect("local $ref");
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
    }
}
