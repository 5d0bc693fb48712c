//! A connector that cannot be loaded fails its own deployment under `serve`, never the
//! server: the other deployments of its tenant and every other tenant run, records the
//! failed deployment might take are refused with 503 (nothing half-enqueued), and the
//! operator sees why in `/v1/status`, `/metrics` and the log.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use switchboard_storage::{Scope, Storage};
use switchboard_tests::{
    ServeChild, eventually, guest_wasm, prepare_hog, request, switchboard_bin,
};

const ADMIN: &str = "admin-77c0-9d1e-b3f5";
const HOG: &str = "ingest-hog-3f12-a86d";
const GOOD: &str = "ingest-good-8a41";

/// Tenant `hog` runs only a connector whose `prepare` needs more than the load limit;
/// tenant `good` runs the hostile fixture for `echo` beside a "component" that is a text
/// file, configured for kind `state` (`with_broken`).
fn write_config(dir: &Path, with_broken: bool) -> std::path::PathBuf {
    std::fs::write(dir.join("admin.token"), ADMIN).unwrap();
    std::fs::write(dir.join("hog.token"), HOG).unwrap();
    std::fs::write(dir.join("good.token"), GOOD).unwrap();
    std::fs::write(
        dir.join("small.toml"),
        "[limits]\nmemory_mb = 32\ntime_budget_ms = 1000\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("broken.wasm"),
        "this was meant to be a component\n",
    )
    .unwrap();
    let hog = prepare_hog(dir, 300);
    let hostile = guest_wasm("hostile");
    let mut text = format!(
        r#"
[storage]
dir = "data"
[server]
listen = "127.0.0.1:0"
admin_token = {{ file = "admin.token" }}
[workers]
poll_interval_ms = 20
[delivery]
max_attempts = 1
[tenants.hog]
ingest_token = {{ file = "hog.token" }}
[tenants.hog.deployments.hog]
wasm = {hog:?}
manifest = "small.toml"
[tenants.good]
ingest_token = {{ file = "good.token" }}
[tenants.good.deployments.echo]
wasm = {hostile:?}
manifest = "small.toml"
kinds = ["echo"]
"#
    );
    if with_broken {
        text.push_str(
            "[tenants.good.deployments.broken]\nwasm = \"broken.wasm\"\nmanifest = \"small.toml\"\nkinds = [\"state\"]\n",
        );
    }
    let path = dir.join("switchboard.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn records(items: &[(&str, &str)]) -> String {
    items
        .iter()
        .map(|(id, kind)| format!("{}\n", json!({"id": id, "kind": kind, "fields": {}})))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_that_fails_to_load_fails_only_its_own_deployment() {
    let _turn = crate::ALONE.read().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), true);
    let server = ServeChild::start(&config, dir.path().join("serve.stderr"));
    let addr = server.addr.clone();

    // The operator sees both failures and why.
    let (status, body) = request(&addr, "GET", "/v1/status", ADMIN, String::new()).await;
    assert_eq!(status, 200, "{body}");
    let failed = body["failed"].as_array().expect("failed deployments");
    assert_eq!(failed.len(), 2, "{body}");
    let hog = failed.iter().find(|f| f["tenant"] == "hog").expect("hog");
    let hog_error = hog["error"].as_str().unwrap();
    assert!(
        hog_error.contains("prepare-hog-300.wasm") && hog_error.contains("256 MiB"),
        "{hog_error}"
    );
    let broken = failed
        .iter()
        .find(|f| f["tenant"] == "good")
        .expect("broken");
    assert_eq!(broken["deployment"], "broken");
    assert_eq!(broken["kinds"], json!(["state"]));
    assert!(
        broken["error"].as_str().unwrap().contains("broken.wasm"),
        "{broken}"
    );
    let lanes = body["lanes"].as_array().unwrap();
    assert_eq!(lanes.len(), 1, "only good/echo runs: {body}");
    let (_, metrics) = request(&addr, "GET", "/metrics", "", String::new()).await;
    assert!(
        metrics
            .to_string()
            .contains("switchboard_deployments_failed 2"),
        "{metrics}"
    );

    // The tenant whose only deployment failed: every record is refused, saying whose.
    let (status, body) = request(
        &addr,
        "POST",
        "/v1/tenants/hog/records",
        HOG,
        records(&[("h1", "echo")]),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "deployment-down", "{body}");
    let reason = body["error"]["records"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("\"hog\""), "{reason}");
    // The tenant is told the deployment is down, not the operator's file paths.
    assert!(!body.to_string().contains(".wasm"), "{body}");

    // A batch with one record for the failed deployment is refused whole ...
    let (status, body) = request(
        &addr,
        "POST",
        "/v1/tenants/good/records",
        GOOD,
        records(&[("e1", "echo"), ("s1", "state")]),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["records"][0]["index"], 1, "{body}");
    // ... with nothing enqueued: the same echo record sent alone is new, and delivered.
    let (status, body) = request(
        &addr,
        "POST",
        "/v1/tenants/good/records",
        GOOD,
        records(&[("e1", "echo"), ("e2", "echo")]),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    for r in body["records"].as_array().unwrap() {
        assert_eq!(r["deliveries"][0]["status"], "queued", "{body}");
    }
    eventually(
        "good's records delivered",
        Duration::from_secs(60),
        || async {
            let (_, status) = request(&addr, "GET", "/v1/status", ADMIN, String::new()).await;
            (status["lanes"][0]["pending"] == 0).then_some(())
        },
    )
    .await;
    let (_, dlq) = request(&addr, "GET", "/v1/dlq?limit=10", ADMIN, String::new()).await;
    assert_eq!(dlq["entries"], json!([]), "{dlq}");

    let stderr = server.stderr_text();
    assert!(
        stderr.contains("deployment failed to start") && stderr.contains("broken"),
        "{stderr}"
    );
    // The CLI shows them too.
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(switchboard_bin())
            .args(["status", "--server", &url, "--admin-token", ADMIN])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("good/broken  FAILED TO START  pending=0  kinds=state\n  ")
            && text.contains("hog/hog  FAILED TO START  pending=0  kinds=any\n  "),
        "{text}"
    );
    assert_eq!(server.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_awaiting_its_scope_migration_waits_for_every_deployment() {
    let _turn = crate::ALONE.read().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), false);
    // A store as a host before deployment scopes left it.
    {
        let storage = Storage::open(&dir.path().join("data/store")).unwrap();
        storage
            .state(&Scope::new("good", "hostile"))
            .set("k", b"v")
            .unwrap();
        storage.flush().await.unwrap();
    }
    let out = Command::new(switchboard_bin())
        .args(["serve", "--config"])
        .arg(&config)
        .env("SWITCHBOARD_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("deployment scopes") && stderr.contains("hog"),
        "{stderr}"
    );

    // Without the failing tenant the migration runs and the server starts.
    let text = std::fs::read_to_string(&config).unwrap();
    let start = text.find("[tenants.hog]").unwrap();
    let end = text.find("[tenants.good]").unwrap();
    std::fs::write(&config, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let server = ServeChild::start(&config, dir.path().join("serve.stderr"));
    let (status, body) = request(&server.addr, "GET", "/v1/status", ADMIN, String::new()).await;
    assert_eq!(status, 200);
    assert_eq!(body["failed"], json!([]), "{body}");
    assert_eq!(server.stop(), Some(0));
}
