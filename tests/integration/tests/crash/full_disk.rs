//! A full disk under `switchboard serve`: while loaders send call records, the server's
//! file-size limit is lowered (`prlimit --fsize`, which is what a full disk looks like to
//! the process: writes past the limit fail with `EFBIG`), held until the store says it is
//! failing, then raised again; three times, in one server process. The store must refuse
//! records (503 with `Retry-After`) while it cannot make them durable, say so on `/readyz`,
//! recover by itself, and in the end every acknowledged record must reconcile: in the CRM
//! exactly once or in the DLQ with its reason, and in the audit log.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use switchboard_tests::switchboard_bin;
use tokio::sync::watch;

use super::harness::{Load, Rng, Server, Stage, batches, client, loader, log_tail, pending, seed};
use super::reconcile::reconcile;

/// Times the disk fills and frees.
const CYCLES: usize = 3;

/// Sets the soft file-size limit of process `pid` (`None`: unlimited).
fn set_file_size_limit(pid: u32, bytes: Option<u64>) {
    let value = bytes.map_or_else(|| "unlimited:".to_owned(), |b| format!("{b}:"));
    let status = Command::new("prlimit")
        .args(["--pid", &pid.to_string(), &format!("--fsize={value}")])
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success(), "prlimit --fsize={value} failed");
}

/// `GET /readyz`: its status and body.
async fn readyz(http: &reqwest::Client, base: &str) -> (u16, String) {
    match http.get(format!("{base}/readyz")).send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            (status, resp.text().await.unwrap_or_default())
        }
        Err(e) => (0, e.to_string()),
    }
}

/// Polls `/readyz` until its status is `want`, for up to `limit`; the last answer.
async fn readyz_until(
    http: &reqwest::Client,
    base: &str,
    want: u16,
    limit: Duration,
) -> Option<String> {
    let deadline = Instant::now() + limit;
    loop {
        let (status, body) = readyz(http, base).await;
        if status == want {
            return Some(body);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Bytes of the largest file in the store directory (the size a limit must undercut for
/// the next write to grow a file past it).
fn largest_store_file(store: &Path) -> u64 {
    std::fs::read_dir(store)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_records_survive_a_full_disk_without_a_restart() {
    let seed = seed();
    println!("full-disk test seed: {seed} (replay with SWITCHBOARD_CRASH_SEED={seed})");
    let mut rng = Rng(seed);
    let stage = Stage::set_up().await;
    let started = Instant::now();
    let (sim, config, log) = (&stage.sim, &stage.config, &stage.log);
    let store = stage.dir.path().join("data").join("store");

    let load = Load::new(batches(&mut rng));
    let mut server = Server::spawn(config, log);
    let base = server
        .wait_listening(Duration::from_secs(60))
        .await
        .expect("switchboard serve listens");
    let pid = server.child.id();
    let (_url_tx, url_rx) = watch::channel(Some(base.clone()));
    let loaders: Vec<_> = (0..2u64)
        .map(|n| tokio::spawn(loader(load.clone(), url_rx.clone(), seed ^ (n + 1))))
        .collect();
    let http = client();
    let hint = || format!("(seed {seed}; server log:\n{})", log_tail(log));

    let mut reasons = Vec::new();
    for cycle in 0..CYCLES {
        // Some records go through first.
        let before = load.acked.lock().unwrap().len();
        let deadline = Instant::now() + Duration::from_secs(20);
        while load.acked.lock().unwrap().len() < before + 150 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The first and last time, the limit sits at the store's largest file, so the
        // small ingest log may still take writes while the database cannot (the case
        // that lost acknowledged records); the middle time, almost nothing can be written.
        let mut limit = if cycle == 1 {
            4096
        } else {
            largest_store_file(&store)
        };
        set_file_size_limit(pid, Some(limit));
        let mut failing = readyz_until(&http, &base, 503, Duration::from_secs(15)).await;
        if failing.is_none() {
            limit = 4096;
            set_file_size_limit(pid, Some(limit));
            failing = readyz_until(&http, &base, 503, Duration::from_secs(15)).await;
        }
        let Some(reason) = failing else {
            panic!(
                "cycle {cycle}: /readyz never reported the failing store {}",
                hint()
            );
        };
        // The loaders keep sending (and are refused) for a while.
        tokio::time::sleep(Duration::from_secs(2)).await;
        set_file_size_limit(pid, None);
        let freed = Instant::now();
        let ready = readyz_until(&http, &base, 200, Duration::from_secs(30)).await;
        assert!(
            ready.is_some(),
            "cycle {cycle}: the store did not recover within 30 s of space returning {}",
            hint()
        );
        assert!(
            server.child.try_wait().expect("child status").is_none(),
            "cycle {cycle}: the server exited {}",
            hint()
        );
        println!(
            "full-disk cycle {cycle}: limit {limit} bytes, /readyz said {reason:?}; \
             ready again {:?} after the limit was raised; {} records acknowledged so far",
            freed.elapsed(),
            load.acked.lock().unwrap().len()
        );
        reasons.push(reason);
    }

    for l in loaders {
        tokio::time::timeout(Duration::from_secs(120), l)
            .await
            .expect("loaders finish within 120 s")
            .expect("loader panicked");
    }
    let drain_started = Instant::now();
    while pending(&http, &base).await != Some(0) {
        assert!(
            drain_started.elapsed() < Duration::from_secs(120),
            "records still pending after 120 s {}",
            hint()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let found = reconcile(&http, &base, &sim.base_url(), &load).await;
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    let refused = *load.refused_retry_after.lock().unwrap();
    let refused_bare = *load.refused_no_retry_after.lock().unwrap();
    println!(
        "full-disk summary: seed {seed}; {CYCLES} cycles in one server process; {} acknowledged \
         ({} valid, {} invalid), {} refused at ingest, {refused} answered 503 with Retry-After, \
         {} failed requests re-sent; {} calls, {} contacts in the CRM, {} dead letters, {} \
         records with more than one delivered attempt; {:.1} s",
        found.acked,
        found.good_acked,
        found.bad_acked,
        found.refused,
        load.failed_requests.lock().unwrap(),
        found.calls,
        found.contacts,
        found.dead_letters,
        found.multi_delivered,
        started.elapsed().as_secs_f64()
    );
    found.assert_clean(&hint());
    assert!(
        refused > 0,
        "ingest never refused a batch while the store was failing {}",
        hint()
    );
    assert_eq!(refused_bare, 0, "every 503 carries Retry-After {}", hint());
    assert!(
        metrics.contains("switchboard_storage_durable 1"),
        "the durability gauge is back to 1: {metrics}"
    );
    for reason in &reasons {
        assert!(
            reason.contains("storage-failing"),
            "/readyz names the failure: {reason}"
        );
    }
    let log_text = std::fs::read_to_string(log).unwrap_or_default();
    assert!(
        log_text.contains("storage recovered"),
        "the recovery is logged {}",
        hint()
    );
    assert!(
        log_text.contains("reopened the queue database"),
        "sled refused writes at least once and was reopened in place {}",
        hint()
    );
    stage.keep_cache();
    let exit = server.terminate().await;
    assert_eq!(exit.code(), Some(0), "graceful shutdown {}", hint());
    let Stage { sim, .. } = stage;
    sim.shutdown().await;
}

/// Runs `switchboard status` against `base` with the admin token.
fn status_cli(base: &str) -> switchboard_tests::Run {
    Command::new(switchboard_bin())
        .args(["status", "--server", base])
        .env("SWITCHBOARD_ADMIN_TOKEN", super::harness::ADMIN_TOKEN)
        .output()
        .expect("switchboard status runs")
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_below_its_free_space_minimum_refuses_records_and_says_why() {
    let stage = Stage::set_up().await;
    let config = &stage.config;
    // No filesystem this runs on has a pebibyte free.
    let text = std::fs::read_to_string(config).expect("config");
    let text = text.replacen(
        "dir = \"data\"",
        "dir = \"data\"\nmin_free_bytes = 1125899906842624",
        1,
    );
    std::fs::write(config, text).expect("config");
    let mut server = Server::spawn(config, &stage.log);
    let base = server
        .wait_listening(Duration::from_secs(60))
        .await
        .expect("switchboard serve listens");
    let http = client();

    let (status, body) = readyz(&http, &base).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("below storage.min_free_bytes"), "{body}");
    let resp = http
        .post(format!(
            "{base}/v1/tenants/{}/records",
            super::harness::TENANT
        ))
        .bearer_auth(super::harness::INGEST_TOKEN)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&[super::harness::good_record(0)]).expect("json"))
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let refusal: serde_json::Value = resp.json().await.expect("JSON error");
    assert_eq!(refusal["error"]["code"], "storage", "{refusal}");
    assert!(
        refusal["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("below storage.min_free_bytes")),
        "{refusal}"
    );
    // Nothing of it was taken, and the operator sees why.
    assert_eq!(pending(&http, &base).await, Some(0));
    let run = tokio::task::spawn_blocking({
        let base = base.clone();
        move || status_cli(&base)
    })
    .await
    .expect("join")
    .ok();
    assert!(
        run.lines()
            .iter()
            .any(|l| l.starts_with("STORAGE FAILING since=") && l.contains("min_free_bytes")),
        "{run:#?}"
    );
    let health = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200, "alive, though not ready");
    server.sigkill();
    let Stage { sim, .. } = stage;
    sim.shutdown().await;
}
