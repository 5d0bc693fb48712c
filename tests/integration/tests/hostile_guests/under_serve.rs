//! Hostile guests through `switchboard serve` run as a child process, the way operators
//! run it: the guards must live as long as the server, not only as long as a runtime a
//! test built by hand.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard_tests::{ServeChild, eventually, guest_wasm, request};

const ADMIN: &str = "admin-5c1d-4e8f-a27b";
const EVIL: &str = "ingest-evil-91af";
const GOOD: &str = "ingest-good-2b7e";
/// What `serve` is given to drain in-flight work on SIGTERM.
const GRACE: Duration = Duration::from_millis(2000);

/// A time budget short enough to keep the test quick, a wall limit long enough to tell
/// the two apart.
const HOSTILE_MANIFEST: &str = r#"
[limits]
memory_mb = 32
time_budget_ms = 300
wall_timeout_ms = 10000
"#;

/// Writes the config: tenant `evil` and tenant `good`, each with `deployments`
/// (`(name, kinds)`) of the hostile connector, or of the aliasing one for a deployment
/// named `aliasing`.
fn write_config(dir: &Path, evil: &[(&str, &str)], good: &[(&str, &str)]) -> std::path::PathBuf {
    std::fs::write(dir.join("admin.token"), ADMIN).unwrap();
    std::fs::write(dir.join("evil.token"), EVIL).unwrap();
    std::fs::write(dir.join("good.token"), GOOD).unwrap();
    std::fs::write(dir.join("hostile.toml"), HOSTILE_MANIFEST).unwrap();
    let mut text = format!(
        r#"
[storage]
dir = "data"
[server]
listen = "127.0.0.1:0"
admin_token = {{ file = "admin.token" }}
shutdown_grace_ms = {grace}
[workers]
concurrency = 4
poll_interval_ms = 20
[delivery]
max_attempts = 1
"#,
        grace = GRACE.as_millis()
    );
    for (tenant, token, deps) in [("evil", "evil.token", evil), ("good", "good.token", good)] {
        text.push_str(&format!(
            "[tenants.{tenant}]\ningest_token = {{ file = {token:?} }}\n"
        ));
        for (name, kinds) in deps {
            let wasm = guest_wasm(if *name == "aliasing" {
                "aliasing"
            } else {
                "hostile"
            });
            text.push_str(&format!(
                "[tenants.{tenant}.deployments.{name}]\nwasm = {wasm:?}\nmanifest = \"hostile.toml\"\nkinds = {kinds}\n"
            ));
        }
    }
    let path = dir.join("switchboard.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn records(kind: &str, ids: impl IntoIterator<Item = String>) -> String {
    ids.into_iter()
        .map(|id| format!("{}\n", json!({"id": id, "kind": kind, "fields": {}})))
        .collect()
}

/// Open dead letters of `tenant`.
async fn dead_letters(addr: &str, tenant: &str) -> Vec<Value> {
    let (status, body) = request(
        addr,
        "GET",
        &format!("/v1/dlq?tenant={tenant}&limit=200"),
        ADMIN,
        String::new(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["entries"].as_array().cloned().unwrap_or_default()
}

/// Records still queued for `tenant`.
async fn pending(addr: &str, tenant: &str) -> u64 {
    let (status, body) = request(addr, "GET", "/v1/status", ADMIN, String::new()).await;
    assert_eq!(status, 200, "{body}");
    body["lanes"]
        .as_array()
        .expect("lanes")
        .iter()
        .filter(|l| l["tenant"] == tenant)
        .map(|l| l["pending"].as_u64().unwrap_or(0))
        .sum()
}

/// Ingests `n` echo records for `good` and returns how long until all were delivered.
async fn good_round(addr: &str, round: &str, n: usize) -> Duration {
    let started = Instant::now();
    let body = records("echo", (0..n).map(|i| format!("{round}-{i}")));
    let (status, reply) = request(addr, "POST", "/v1/tenants/good/records", GOOD, body).await;
    assert_eq!(status, 202, "{reply}");
    // Polled every 5 ms, so the time measured is the server's, not the poll's.
    while pending(addr, "good").await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the good tenant's records are still queued"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

/// Ingests one `kind` record `id` for `evil` and waits until it is no longer queued.
async fn evil_round(addr: &str, kind: &str, id: &str) {
    let body = records(kind, [id.to_owned()]);
    let (status, reply) = request(addr, "POST", "/v1/tenants/evil/records", EVIL, body).await;
    assert_eq!(status, 202, "{reply}");
    eventually(
        "the evil tenant's record",
        Duration::from_secs(60),
        || async { (pending(addr, "evil").await == 0).then_some(()) },
    )
    .await;
}

/// How long `/healthz` takes to answer, worst of `n` tries.
async fn healthz_worst(addr: &str, n: usize) -> Duration {
    let mut worst = Duration::ZERO;
    for _ in 0..n {
        let started = Instant::now();
        let (status, _) = request(addr, "GET", "/healthz", "", String::new()).await;
        assert_eq!(status, 200);
        worst = worst.max(started.elapsed());
    }
    worst
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stops_spinning_and_sleeping_guests_and_keeps_serving_other_tenants() {
    let _turn = crate::ALONE.read().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[("hostile", r#"["echo", "loop", "push-loop", "sleep"]"#)],
        &[("hostile", r#"["echo"]"#)],
    );
    let server = ServeChild::start(&config, dir.path().join("serve.stderr"));
    let addr = server.addr.clone();
    good_round(&addr, "warm", 5).await;

    // Six spinning normalizes, two spinning pushes, two guests asleep in WASI: more
    // than the worker pool, and each would hold its slot forever without a guard.
    let mut body = records("loop", (0..6).map(|i| format!("loop-{i}")));
    body.push_str(&records(
        "push-loop",
        (0..2).map(|i| format!("push-loop-{i}")),
    ));
    body.push_str(&records("sleep", (0..2).map(|i| format!("sleep-{i}"))));
    let (status, reply) = request(&addr, "POST", "/v1/tenants/evil/records", EVIL, body).await;
    assert_eq!(status, 202, "{reply}");

    // The server keeps answering and the other tenant keeps delivering.
    healthz_worst(&addr, 10).await;
    good_round(&addr, "during", 10).await;

    // Every bad record ends in the dead-letter queue, stopped by its time budget (the
    // sleeping ones too: a blocked guest is not excused from its budget).
    let letters = eventually("ten dead letters", Duration::from_secs(60), || async {
        let letters = dead_letters(&addr, "evil").await;
        (letters.len() == 10).then_some(letters)
    })
    .await;
    for l in &letters {
        let text = l.to_string();
        assert_eq!(l["reason"], "connector-fault", "{text}");
        assert!(text.contains("time budget of 300ms exceeded"), "{text}");
    }
    let stderr = server.stderr_text();
    assert!(!stderr.contains("panicked"), "{stderr}");

    // SIGTERM while guests spin: the server exits cleanly within its drain time (plus
    // the final flush).
    let body = records("loop", (0..4).map(|i| format!("late-loop-{i}")));
    let (status, _) = request(&addr, "POST", "/v1/tenants/evil/records", EVIL, body).await;
    assert_eq!(status, 202);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (code, took) = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert_eq!(code, Some(0), "serve exits 0 on SIGTERM");
    assert!(
        took < GRACE + Duration::from_secs(5),
        "SIGTERM took {took:?} with a {GRACE:?} grace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_claiming_one_connector_name_do_not_share_state() {
    let _turn = crate::ALONE.read().await;
    let dir = tempfile::tempdir().unwrap();
    // Both deployments run the same component, which calls itself "hostile" in
    // `describe`; only the operator's names differ.
    let config = write_config(
        dir.path(),
        &[("writer", r#"["state"]"#), ("reader", r#"["peek"]"#)],
        &[("hostile", r#"["echo"]"#)],
    );
    let server = ServeChild::start(&config, dir.path().join("serve.stderr"));
    let addr = server.addr.clone();

    evil_round(&addr, "state", "w1").await;
    evil_round(&addr, "peek", "r1").await;
    // The reader saw no state: its peek was delivered, not dead-lettered.
    let letters = dead_letters(&addr, "evil").await;
    assert!(letters.is_empty(), "{letters:?}");
    assert_eq!(server.stop(), Some(0));

    // The check can fail: with the writer's own scope, a peek sees the key.
    let config = write_config(
        dir.path(),
        &[("writer", r#"["state", "peek"]"#)],
        &[("hostile", r#"["echo"]"#)],
    );
    let server = ServeChild::start(&config, dir.path().join("serve2.stderr"));
    let addr = server.addr.clone();
    evil_round(&addr, "peek", "r2").await;
    let letters = dead_letters(&addr, "evil").await;
    assert!(
        letters[0].to_string().contains("state k is "),
        "{letters:?}"
    );
    assert_eq!(server.stop(), Some(0));
}

/// The median of `samples`.
fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Median `/healthz` time and median time to deliver a round of 10 records for `good`.
async fn good_latency(addr: &str, round: &str) -> (Duration, Duration) {
    let mut health = Vec::new();
    for _ in 0..15 {
        let started = Instant::now();
        let (status, _) = request(addr, "GET", "/healthz", "", String::new()).await;
        assert_eq!(status, 200);
        health.push(started.elapsed());
    }
    let mut rounds = Vec::new();
    for i in 0..7 {
        rounds.push(good_round(addr, &format!("{round}-{i}"), 10).await);
    }
    (median(health), median(rounds))
}

/// The server's peak resident memory (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_tenant_costs_the_others_little() {
    // It measures latency: no other test of this binary may run meanwhile.
    let _alone = crate::ALONE.write().await;
    let (crm, crm_seen) =
        switchboard_tests::loopback::recording_server("200 OK", |_| "{}".into()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[
            (
                "hostile",
                r#"["echo", "loop", "push-loop", "sleep", "oom", "big-return", "flood"]"#,
            ),
            ("aliasing", r#"["alias"]"#),
        ],
        &[("hostile", r#"["echo"]"#)],
    );
    // The evil tenant's floods go to a loopback "CRM" under the operator's ceiling.
    let manifest = format!(
        "{HOSTILE_MANIFEST}[http]\nallowed_hosts = [\"http://{crm}\"]\nallow_private_addresses = true\n[rate_limits]\nmax_wait_ms = 0\nceiling_requests = 20\nceiling_window_ms = 60000\n"
    );
    std::fs::write(dir.path().join("hostile.toml"), manifest).unwrap();
    let server = ServeChild::start(&config, dir.path().join("serve.stderr"));
    let addr = server.addr.clone();
    good_round(&addr, "warm", 5).await;
    let idle = good_latency(&addr, "idle").await;

    let mut body = String::new();
    for (kind, n) in [
        ("loop", 60),
        ("push-loop", 20),
        ("sleep", 6),
        ("oom", 6),
        ("big-return", 6),
        ("alias", 6),
    ] {
        body.push_str(&records(kind, (0..n).map(|i| format!("{kind}-{i}"))));
    }
    let flood = |i: usize| json!({"id": format!("flood-{i}"), "kind": "flood", "fields": {"url": format!("http://{crm}/")}});
    body.extend((0..4).map(|i| format!("{}\n", flood(i))));
    let (status, reply) = request(&addr, "POST", "/v1/tenants/evil/records", EVIL, body).await;
    assert_eq!(status, 202, "{reply}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let busy = good_latency(&addr, "busy").await;
    let still_queued = pending(&addr, "evil").await;
    let rss_kib = peak_rss_kib(server.pid());
    println!(
        "healthz median idle {:?} busy {:?}; 10-record round median idle {:?} busy {:?}; evil records still queued after: {still_queued}; peak RSS {} MiB",
        idle.0,
        busy.0,
        idle.1,
        busy.1,
        rss_kib / 1024
    );
    assert!(
        still_queued > 0,
        "the attack was over before the measurement"
    );
    // Issue 13's bar: the other tenant's latency within 2x of an idle run. Medians of
    // sub-millisecond health checks get 2 ms of room for timer and scheduler noise on a
    // shared machine; the rounds (about 200 ms, paced by the workers' poll interval)
    // get none.
    assert!(
        busy.0 <= idle.0 * 2 + Duration::from_millis(2),
        "healthz: idle {:?}, under attack {:?}",
        idle.0,
        busy.0
    );
    assert!(
        busy.1 <= idle.1 * 2,
        "10-record rounds: idle {:?}, under attack {:?}",
        idle.1,
        busy.1
    );
    // The stated bound (docs/security-model.md): 256 MiB of peak RSS for a server whose
    // guests may each have 32 MiB, four at a time.
    assert!(rss_kib < 256 * 1024, "peak RSS {} MiB", rss_kib / 1024);
    let letters = eventually(
        "every bad record dead-lettered",
        Duration::from_secs(120),
        || async {
            let letters = dead_letters(&addr, "evil").await;
            (letters.len() == 104).then_some(letters)
        },
    )
    .await;
    for l in &letters {
        assert_eq!(l["reason"], "connector-fault", "{l}");
    }
    // The ceiling held the floods (they wait for the window, not dead-lettered): 20
    // requests in the window, all four records together.
    assert!(crm_seen.lock().unwrap().len() <= 20);
    assert_eq!(server.stop(), Some(0));
}

/// Sends the head of a `path` upload that promises `length` bytes with `token` and none of
/// the body, and returns the status line that comes back within 5 s (`None` if none does).
fn answer_to_an_unsent_body(addr: &str, path: &str, token: &str, length: usize) -> Option<String> {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    (!line.is_empty()).then(|| line.trim_end().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unauthenticated_upload_is_refused_before_its_body_is_read() {
    let _turn = crate::ALONE.read().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[("hostile", r#"["echo"]"#)],
        &[("hostile", r#"["echo"]"#)],
    );
    let server = ServeChild::start(&config, dir.path().join("serve.stderr"));
    let addr = server.addr.clone();
    let answers = tokio::task::spawn_blocking(move || {
        [
            ("/v1/tenants/good/records", "wrong-token"),
            ("/v1/tenants/good/records", EVIL),
            ("/v1/dlq/replay", GOOD),
            // The right token: the server waits for the body, so no answer comes.
            ("/v1/tenants/good/records", GOOD),
        ]
        .map(|(path, token)| answer_to_an_unsent_body(&addr, path, token, 4 << 20))
    })
    .await
    .unwrap();
    assert_eq!(
        answers,
        [
            Some("HTTP/1.1 401 Unauthorized".to_owned()),
            Some("HTTP/1.1 401 Unauthorized".to_owned()),
            Some("HTTP/1.1 401 Unauthorized".to_owned()),
            None,
        ]
    );
    assert_eq!(server.stop(), Some(0));
}
