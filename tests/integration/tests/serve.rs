//! `switchboard serve` in-process against the HubSpot simulator: the ingest API's answers,
//! fan-out, ingest dedupe, retries, the dead-letter queue with its alert, the audit trail,
//! and scheduled retries surviving a restart.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use switchboard_hubspot_sim::{Fault, FaultAction, SimConfig, SimHandle, Simulator};
use switchboard_tests::{InProcess, connector_wasm, hubspot_manifest};

const INGEST: &str = "ingest-secret-6b0e2f";
const ADMIN: &str = "admin-secret-93d1c4";

/// The in-process host of these tests: one tenant, `acme`, with a `hubspot` deployment
/// (every kind) and a `contacts` deployment (contacts only).
struct Host;

impl Host {
    /// Writes `switchboard.toml` (with `extra` appended inside `[delivery]`) and starts it.
    async fn start(dir: &Path, sim: &SimHandle, delivery: &str, extra: &str) -> InProcess {
        std::fs::write(dir.join("hubspot.secret"), "sim-token").unwrap();
        std::fs::write(dir.join("ingest.token"), INGEST).unwrap();
        std::fs::write(dir.join("admin.token"), ADMIN).unwrap();
        std::fs::write(
            dir.join("hubspot.toml"),
            hubspot_manifest(&sim.base_url(), "hubspot.secret", Some("GB")),
        )
        .unwrap();
        let wasm = connector_wasm("hubspot");
        let config = format!(
            r#"
[storage]
dir = "data"
[server]
listen = "127.0.0.1:0"
max_batch_records = 5
max_body_bytes = 4096
admin_token = {{ file = "admin.token" }}
shutdown_grace_ms = 5000
[workers]
concurrency = 4
poll_interval_ms = 20
[delivery]
{delivery}
{extra}
[tenants.acme]
ingest_token = {{ file = "ingest.token" }}
[tenants.acme.deployments.hubspot]
wasm = {wasm:?}
manifest = "hubspot.toml"
[tenants.acme.deployments.contacts]
wasm = {wasm:?}
manifest = "hubspot.toml"
kinds = ["contact"]
"#
        );
        let path = dir.join("switchboard.toml");
        std::fs::write(&path, config).unwrap();
        InProcess::start(&path, ADMIN).await
    }
}

fn call(id: &str, phone: &str) -> Json {
    json!({"id": id, "kind": "call", "fields": {
        "phone": phone, "started-at": "2026-11-20T10:00:00Z", "duration-seconds": 42,
        "title": format!("call {id}")}})
}

fn lines(records: &[Json]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

const DEFAULT_DELIVERY: &str = "max_attempts = 4\nbackoff_base_ms = 20\nbackoff_cap_ms = 200";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_refuses_bad_requests_whole_and_says_why() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start(dir.path(), &sim, DEFAULT_DELIVERY, "").await;

    let (status, body) = host
        .ingest("acme", "wrong", lines(&[call("c1", "+447911123456")]))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    // An unknown tenant is answered like a wrong token: the answer does not tell which
    // tenants exist.
    let (status, unknown) = host
        .ingest("nobody", INGEST, lines(&[call("c1", "+447911123456")]))
        .await;
    assert_eq!(
        (status, unknown["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(
        unknown["error"]["message"]
            .as_str()
            .map(|m| m.replace("nobody", "acme")),
        body["error"]["message"].as_str().map(str::to_owned)
    );
    let six: Vec<Json> = (0..6)
        .map(|i| call(&format!("c{i}"), "+447911123456"))
        .collect();
    let (status, body) = host.ingest("acme", INGEST, lines(&six)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("too-many-records"))
    );
    let big = json!([call(&"x".repeat(200), &"1".repeat(4000))]).to_string();
    let (status, body) = host.ingest("acme", INGEST, big).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("body-too-large"))
    );
    let (status, body) = host.ingest("acme", INGEST, "[{\"id\":".into()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("malformed-body"))
    );

    // One bad record refuses the whole batch, with a reason per record and field.
    let batch = json!([
        call("good", "+447911123456"),
        {"id": "", "kind": "call", "fields": {}},
        {"id": "d1", "kind": "deal", "fields": {}},
        {"id": "n1", "kind": "call", "fields": {"phone": {"nested": true}}, "extra": 1},
        {"id": "n2", "kind": "Call!", "fields": []},
    ]);
    let (status, body) = host.ingest("acme", INGEST, batch.to_string()).await;
    assert_eq!(status, 400, "{body}");
    let problems = body["error"]["records"].as_array().unwrap();
    let fields: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| (p["index"].as_u64().unwrap(), p["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            (1, "id"),
            (2, "kind"),
            (3, "extra"),
            (4, "kind"),
            (4, "fields")
        ],
        "every problem of every record: {body}"
    );
    assert_eq!(
        host.pending().await,
        0,
        "nothing of a refused batch is queued"
    );
    assert!(host.audit("record_id=good").await.is_empty());
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_fan_out_by_kind_are_delivered_once_and_not_enqueued_twice() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start(dir.path(), &sim, DEFAULT_DELIVERY, "").await;
    let contact = json!({"id": "p1", "kind": "contact", "fields": {
        "phone": "+447700900001", "first-name": "Ada", "last-name": "Lovelace"}});
    let (status, receipt) = host
        .ingest(
            "acme",
            INGEST,
            json!([call("c1", "+447911123456"), contact]).to_string(),
        )
        .await;
    assert_eq!(status, 202, "{receipt}");
    let deployments = |i: usize| -> Vec<String> {
        receipt["records"][i]["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["deployment"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        deployments(0),
        ["hubspot"],
        "a call goes only where calls are taken"
    );
    assert_eq!(
        deployments(1),
        ["contacts", "hubspot"],
        "a contact goes to both"
    );
    host.settle(Duration::from_secs(30)).await;

    let (status, again) = host
        .ingest("acme", INGEST, lines(&[call("c1", "+447911123456")]))
        .await;
    assert_eq!(status, 202);
    assert_eq!(again["records"][0]["deliveries"][0]["status"], "delivered");
    host.settle(Duration::from_secs(10)).await;
    let snap = sim.snapshot();
    assert_eq!(snap.calls.iter().filter(|c| !c.archived).count(), 1);
    let trace = receipt["records"][0]["trace_id"].as_str().unwrap();
    let events = host.audit(&format!("trace_id={trace}")).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(
        (e["outcome"].as_str(), e["record_id"].as_str()),
        (Some("delivered"), Some("c1"))
    );
    assert!(e["idempotency_key"].as_str().is_some_and(|k| k.len() == 64));
    assert!(e["connector"].as_str().unwrap().starts_with("hubspot@"));
    let requests = e["requests"].as_array().unwrap();
    assert!(!requests.is_empty());
    assert!(
        !e.to_string().contains("sim-token"),
        "no secret in the audit log"
    );
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_and_exhausted_ones_dead_lettered_with_an_alert() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (hook_url, mut alerts) = webhook_receiver().await;
    let dlq = format!("[dlq]\nwebhook_url = {hook_url:?}");
    let host = Host::start(dir.path(), &sim, DEFAULT_DELIVERY, &dlq).await;
    let unavailable = |times| Fault {
        method: None,
        path_prefix: Some("/crm/v3/objects".into()),
        times,
        for_ms: None,
        action: FaultAction::Respond {
            status: 503,
            headers: vec![],
            body:
                r#"{"status":"error","message":"Service Unavailable","category":"INTERNAL_ERROR"}"#
                    .into(),
        },
    };
    sim.inject(unavailable(2));
    let (status, _) = host
        .ingest("acme", INGEST, lines(&[call("r1", "+447911123456")]))
        .await;
    assert_eq!(status, 202);
    host.settle(Duration::from_secs(30)).await;
    let outcomes: Vec<String> = host
        .audit("record_id=r1")
        .await
        .iter()
        .rev()
        .map(|e| e["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        outcomes,
        ["retry-scheduled", "retry-scheduled", "delivered"]
    );

    sim.inject(unavailable(1000));
    let (status, _) = host
        .ingest("acme", INGEST, lines(&[call("r2", "+447911123457")]))
        .await;
    assert_eq!(status, 202);
    host.settle(Duration::from_secs(30)).await;
    let dead = host.get("/v1/dlq?reason=retries-exhausted").await;
    let entries = dead["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{dead}");
    assert_eq!(entries[0]["record_id"], "r2");
    // The list carries a summary; the entry itself the whole envelope.
    assert_eq!(entries[0]["attempts"], 4, "{dead}");
    assert!(entries[0].get("envelope").is_none(), "{dead}");
    let entry = host
        .get(&format!("/v1/dlq/{}", entries[0]["id"].as_str().unwrap()))
        .await;
    assert_eq!(entry["envelope"]["attempts"].as_array().unwrap().len(), 4);
    assert_eq!(entry["envelope"]["attempts"][0]["response"]["status"], 503);
    let alert = tokio::time::timeout(Duration::from_secs(10), alerts.recv())
        .await
        .expect("webhook called")
        .unwrap();
    assert_eq!(
        (alert["record_id"].as_str(), alert["reason"].as_str()),
        (Some("r2"), Some("retries-exhausted"))
    );
    let metrics = host.metrics().await;
    assert!(
        metrics.contains("switchboard_dead_lettered_total 1"),
        "{metrics}"
    );
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_wait_in_the_dlq_until_fixed_and_replayed() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start(dir.path(), &sim, DEFAULT_DELIVERY, "").await;
    sim.remove_property("calls", "hs_call_title");
    let (status, _) = host
        .ingest("acme", INGEST, lines(&[call("v1", "+447911123456")]))
        .await;
    assert_eq!(status, 202);
    host.settle(Duration::from_secs(30)).await;
    let listed = host
        .get("/v1/dlq?tenant=acme&status=open&reason=field-removed")
        .await;
    let summary = &listed["entries"][0];
    assert_eq!(summary["reason"], "field-removed", "{listed}");
    let id = summary["id"].as_str().unwrap().to_owned();
    let entry = &host.get(&format!("/v1/dlq/{id}")).await;
    assert!(
        entry["envelope"]["normalized"].is_object(),
        "the normalized record is kept"
    );
    assert!(
        entry["envelope"]["payload"]["body"].is_string(),
        "the payload is kept"
    );
    assert_eq!(
        entry["envelope"]["attempts"].as_array().unwrap().len(),
        1,
        "not retried"
    );

    // Edit: drop the title the portal no longer has; the id must stay.
    let (status, body) = host
        .admin(
            reqwest::Method::PUT,
            &format!("/v1/dlq/{id}/record"),
            Some(json!({"record": call("other-id", "+447911123456")})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let mut fixed = call("v1", "+447911123456");
    fixed["fields"].as_object_mut().unwrap().remove("title");
    let (status, _) = host
        .admin(
            reqwest::Method::PUT,
            &format!("/v1/dlq/{id}/record"),
            Some(json!({"record": fixed, "note": "no title"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = host
        .admin(
            reqwest::Method::POST,
            &format!("/v1/dlq/{id}/replay"),
            Some(json!({"note": "retry"})),
        )
        .await;
    assert_eq!(status, 200);
    host.settle(Duration::from_secs(30)).await;
    let (status, body) = host
        .admin(reqwest::Method::POST, &format!("/v1/dlq/{id}/replay"), None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("not-open"))
    );
    let shown = host.get(&format!("/v1/dlq/{id}")).await;
    assert_eq!(shown["status"], "replayed");
    let events: Vec<String> = host
        .audit("record_id=v1&tenant=acme")
        .await
        .iter()
        .rev()
        .map(|e| {
            format!(
                "{}:{}",
                e["event"].as_str().unwrap(),
                e["outcome"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            "attempt:dead-lettered",
            "dlq-edited:ok",
            "dlq-replayed:ok",
            "attempt:delivered"
        ]
    );
    assert_eq!(sim.snapshot().calls.len(), 1);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_retry_survives_a_restart() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let slow = "max_attempts = 5\nbackoff_base_ms = 1500\nbackoff_cap_ms = 1500";
    let host = Host::start(dir.path(), &sim, slow, "").await;
    sim.inject(Fault {
        method: None,
        path_prefix: Some("/crm/v3/objects".into()),
        times: 1,
        for_ms: None,
        action: FaultAction::Respond {
            status: 503,
            headers: vec![("retry-after".into(), "1".into())],
            body: "{}".into(),
        },
    });
    let (status, _) = host
        .ingest("acme", INGEST, lines(&[call("s1", "+447911123456")]))
        .await;
    assert_eq!(status, 202);
    let start = Instant::now();
    while host.audit("record_id=s1").await.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        host.audit("record_id=s1").await[0]["outcome"],
        "retry-scheduled"
    );
    host.stop().await;
    assert!(sim.snapshot().calls.is_empty());

    let host = Host::start(dir.path(), &sim, slow, "").await;
    assert_eq!(
        host.pending().await,
        1,
        "the retry is still scheduled after the restart"
    );
    host.settle(Duration::from_secs(30)).await;
    assert_eq!(host.audit("record_id=s1").await[0]["outcome"], "delivered");
    assert_eq!(sim.snapshot().calls.len(), 1);
    host.stop().await;
}

/// A loopback HTTP server that hands every JSON body it receives to the channel.
async fn webhook_receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<Json>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let request = switchboard_tests::loopback::read_request(&mut tcp).await;
                if let Some(Ok(json)) = request
                    .split_once("\r\n\r\n")
                    .map(|(_, body)| serde_json::from_str(body))
                {
                    let _ = tx.send(json);
                }
                let _ = tcp
                    .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    (url, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_entries_older_than_the_retention_are_purged() {
    use switchboard_storage::{NewAuditEntry, Storage};
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = switchboard_pipeline::now_ms();
    let day = 86_400_000;
    {
        let storage = Storage::open(&dir.path().join("data").join("store")).unwrap();
        let entry = |time_ms, record_id| NewAuditEntry {
            time_ms,
            tenant: "acme",
            connector: "hubspot",
            record_id,
            trace_id: "t",
            body: b"{\"event\":\"attempt\",\"outcome\":\"delivered\"}",
        };
        storage
            .audit()
            .append(&[entry(now - 3 * day, "old"), entry(now - day / 2, "recent")])
            .unwrap();
        storage.flush().await.unwrap();
    }
    let host = Host::start(
        dir.path(),
        &sim,
        DEFAULT_DELIVERY,
        "[audit]\nretention_days = 1",
    )
    .await;
    let start = Instant::now();
    while !host.audit("record_id=old").await.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the old entry was not purged"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(host.audit("record_id=recent").await.len(), 1);
    host.stop().await;
}
