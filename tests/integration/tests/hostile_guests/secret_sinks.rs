//! A reflecting CRM hands a deployment's secret back to a hostile guest, which spreads it
//! over every sink it can reach; another guest probes error messages for it. Then every
//! sink an operator reads is searched for the secret: `serve`'s stderr (at debug level),
//! the API (DLQ list and entries, audit, status, metrics), the alert webhook, the CLI's
//! text and JSON (`dlq`, `audit`, `push`), and every file of the data directories.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use switchboard_tests::loopback::recording_server;
use switchboard_tests::{ServeChild, eventually, guest_wasm, http_request, switchboard_bin};

/// The credential: long and distinctive, so a hit is never a coincidence.
const SECRET: &str = "pat-na1-7d3f9c2e-41b8-reflect";
/// The prober's secret: short enough to enumerate.
const SHORT_SECRET: &str = "482";
const ADMIN: &str = "admin-sinks-8e21";
/// Tenant `t`'s ingest token is this, a dash, and `t`.
const INGEST: &str = "ingest-sinks-3c77";

/// A CRM that quotes the credential it was given in its 401, as some APIs do.
fn reflect(request: &str) -> String {
    let auth = request
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_default();
    json!({"status": "error", "category": "INVALID_AUTHENTICATION",
        "message": format!("The OAuth token used to make this call is invalid: {auth}")})
    .to_string()
}

fn ok(_: &str) -> String {
    "{}".into()
}

fn write_setup(dir: &Path, crm: &str, other: &str, webhook: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("secrets")).unwrap();
    std::fs::write(dir.join("secrets/token"), SECRET).unwrap();
    std::fs::write(dir.join("admin.token"), ADMIN).unwrap();
    for tenant in ["evil", "probe"] {
        std::fs::write(
            dir.join(format!("{tenant}.token")),
            format!("{INGEST}-{tenant}"),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("hostile.toml"),
        format!(
            r#"
[limits]
memory_mb = 32
time_budget_ms = 2000
wall_timeout_ms = 10000
[http]
allowed_hosts = ["http://{crm}", "http://{other}", "https://allowed.example"]
allow_private_addresses = true
allow_secrets_over_http = true
request_timeout_ms = 3000
[secrets]
token = {{ file = "secrets/token", hosts = ["http://{crm}"] }}
"#
        ),
    )
    .unwrap();
    // The prober's secret is three digits: an oracle would find it in 1000 tries.
    std::fs::write(dir.join("secrets/short"), SHORT_SECRET).unwrap();
    std::fs::write(
        dir.join("prober.toml"),
        r#"
[limits]
memory_mb = 32
time_budget_ms = 5000
wall_timeout_ms = 30000
[http]
allowed_hosts = ["http://127.0.0.1:1"]
allow_private_addresses = true
allow_secrets_over_http = true
[secrets]
token = { file = "secrets/short" }
[rate_limits]
# Five thousand probes, refused ones included, all spend from the ceiling.
ceiling_requests = 100000
"#,
    )
    .unwrap();
    let wasm = guest_wasm("hostile");
    let config = dir.join("switchboard.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[storage]
dir = "data"
[server]
listen = "127.0.0.1:0"
admin_token = {{ file = "admin.token" }}
shutdown_grace_ms = 2000
[workers]
poll_interval_ms = 20
[delivery]
max_attempts = 1
[dlq]
webhook_url = "http://{webhook}/alerts"
[tenants.evil]
ingest_token = {{ file = "evil.token" }}
[tenants.evil.deployments.hostile]
wasm = {wasm:?}
manifest = "hostile.toml"
[tenants.probe]
ingest_token = {{ file = "probe.token" }}
[tenants.probe.deployments.hostile]
wasm = {wasm:?}
manifest = "prober.toml"
"#
        ),
    )
    .unwrap();
    config
}

/// The records: two hunts (storing the loot in state, or queueing it).
fn records(crm: &str, other: &str) -> String {
    [
        json!({"id": "hunt-1", "kind": "hunt",
            "fields": {"url": format!("http://{crm}/crm/v3/objects/calls"), "other": format!("http://{other}/"), "store": "state"}}),
        json!({"id": "hunt-2", "kind": "hunt",
            "fields": {"url": format!("http://{crm}/crm/v3/objects/calls"), "store": "queue"}}),
    ]
    .iter()
    .map(|r| format!("{r}\n"))
    .collect()
}

/// Posts `body` to `tenant`'s ingest endpoint and expects a 202.
async fn ingest(addr: &str, tenant: &str, body: String) {
    let (addr, path) = (addr.to_owned(), format!("/v1/tenants/{tenant}/records"));
    let token = format!("{INGEST}-{tenant}");
    let (status, reply) = tokio::task::spawn_blocking(move || {
        http_request(&addr, "POST", &path, &token, &body, Duration::from_secs(20))
    })
    .await
    .unwrap();
    assert_eq!(status, 202, "{reply}");
}

fn cli(args: &[&str]) -> String {
    let out = Command::new(switchboard_bin())
        .args(args)
        .env_remove("SWITCHBOARD_SERVER")
        .env_remove("SWITCHBOARD_CONFIG")
        .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
        .env("SWITCHBOARD_LOG", "debug")
        .output()
        .expect("running switchboard");
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir` that holds the secret's bytes.
fn files_holding_secret(dir: &Path) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes())
            {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sink_holds_a_secret_a_reflecting_crm_handed_to_a_hostile_guest() {
    let _turn = crate::ALONE.read().await;
    let (crm, crm_seen) = recording_server("401 Unauthorized", reflect).await;
    let (other, other_seen) = recording_server("200 OK", ok).await;
    let (webhook, alerts) = recording_server("200 OK", ok).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_setup(dir.path(), &crm, &other, &webhook);
    let server = ServeChild::start_with_log(&config, dir.path().join("serve.stderr"), "debug");
    let addr = server.addr.clone();

    ingest(&addr, "evil", records(&crm, &other)).await;
    let probe = json!({"id": "guess-1", "kind": "guess",
        "fields": {"digits": "3", "base": "http://127.0.0.1:1/"}});
    ingest(&addr, "probe", format!("{probe}\n")).await;

    let api = |path: String| {
        let addr = addr.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                http_request(&addr, "GET", &path, ADMIN, "", Duration::from_secs(20)).1
            })
            .await
            .unwrap()
        }
    };
    let listed = eventually("two dead letters", Duration::from_secs(60), || async {
        let list = api("/v1/dlq?tenant=evil".into()).await;
        (list["entries"].as_array().map_or(0, Vec::len) == 2).then_some(list)
    })
    .await;
    // The prober learned nothing from a thousand candidates.
    let probed = eventually("the prober's verdict", Duration::from_secs(120), || async {
        let list = api("/v1/dlq?tenant=probe".into()).await;
        list["entries"].as_array().and_then(|e| e.first().cloned())
    })
    .await;
    let verdict = api(format!("/v1/dlq/{}", probed["id"].as_str().unwrap())).await;
    assert!(
        verdict["envelope"]["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("no oracle in 1000 candidates")),
        "{verdict}"
    );
    eventually("three alerts", Duration::from_secs(30), || async {
        (alerts.lock().unwrap().len() >= 3).then_some(())
    })
    .await;

    // The guest did get the secret back: the test is not vacuous.
    assert!(
        crm_seen.lock().unwrap().iter().any(|r| r.contains(SECRET)),
        "the CRM never saw the credential"
    );
    // The host it is not bound to never received it.
    assert!(
        !other_seen
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.contains(SECRET))
    );

    let mut sinks: Vec<(String, String)> = Vec::new();
    sinks.push(("GET /v1/dlq".into(), listed.to_string()));
    let mut stopped_units = 0;
    for e in listed["entries"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap().to_owned();
        let shown = api(format!("/v1/dlq/{id}")).await;
        let text = shown.to_string();
        if text.contains("tried to store a secret value") {
            stopped_units += 1;
        }
        sinks.push((format!("GET /v1/dlq/{id}"), text));
        let url = server.url();
        sinks.push((
            format!("dlq show {id}"),
            cli(&["dlq", "show", &id, "--server", &url]),
        ));
        sinks.push((
            format!("dlq show {id} --json"),
            cli(&["dlq", "show", &id, "--json", "--server", &url]),
        ));
    }
    assert_eq!(
        stopped_units, 2,
        "both hunts stopped at the store: {listed}"
    );
    sinks.push((
        "GET /v1/audit".into(),
        api("/v1/audit?tenant=evil".into()).await.to_string(),
    ));
    sinks.push((
        "GET /v1/status".into(),
        api("/v1/status".into()).await.to_string(),
    ));
    sinks.push((
        "GET /metrics".into(),
        api("/metrics".into()).await.to_string(),
    ));
    let url = server.url();
    for args in [
        vec!["dlq", "list"],
        vec!["dlq", "list", "--json"],
        vec!["audit", "--tenant", "evil"],
        vec!["audit", "--tenant", "evil", "--json"],
        vec!["status"],
    ] {
        let mut full = args.clone();
        full.extend(["--server", url.as_str()]);
        sinks.push((args.join(" "), cli(&full)));
    }
    for (i, alert) in alerts.lock().unwrap().iter().enumerate() {
        sinks.push((format!("alert {i}"), alert.clone()));
    }

    // `push` runs the same records with its own data directory.
    let records_file = dir.path().join("records.jsonl");
    std::fs::write(&records_file, records(&crm, &other)).unwrap();
    let push_dir = dir.path().join("push-data");
    let manifest = dir.path().join("hostile.toml");
    for json_flag in [false, true] {
        let mut args = vec![
            "--data-dir".to_owned(),
            push_dir.display().to_string(),
            "push".into(),
            "--tenant".into(),
            "evil".into(),
            "--connector".into(),
            guest_wasm("hostile").display().to_string(),
            "--manifest".into(),
            manifest.display().to_string(),
            "--max-attempts".into(),
            "1".into(),
        ];
        if json_flag {
            args.push("--json".into());
        }
        args.push(records_file.display().to_string());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = tokio::task::spawn_blocking({
            let refs: Vec<String> = refs.iter().map(|s| s.to_string()).collect();
            move || {
                let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                cli(&refs)
            }
        })
        .await
        .unwrap();
        assert!(out.contains("hunt-1"), "{out}");
        sinks.push((format!("push (json: {json_flag})"), out));
    }

    let (code, _) = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert_eq!(code, Some(0));
    sinks.push((
        "serve stderr".into(),
        std::fs::read_to_string(dir.path().join("serve.stderr")).unwrap(),
    ));

    for (name, text) in &sinks {
        assert!(!text.contains(SECRET), "the secret is in {name}:\n{text}");
    }
    // The redaction did happen where the loot went (the sinks saw it, redacted).
    let stderr = &sinks.last().unwrap().1;
    assert!(stderr.contains("[redacted]"), "{stderr}");
    let hits = files_holding_secret(&dir.path().join("data"));
    assert!(hits.is_empty(), "the secret is in {hits:?}");
    let hits = files_holding_secret(&push_dir);
    assert!(hits.is_empty(), "the secret is in {hits:?}");
}
