//! Crash safety of `switchboard serve`: the server runs as a child process
//! delivering thousands of call records to the HubSpot simulator (which runs
//! in this test process and so survives every crash), is SIGKILLed at random
//! moments (some of them while it is still starting up and recovering) and
//! restarted on the same data dir each time. At the end, every record the
//! ingest API acknowledged (202) must be in the CRM exactly once, nothing
//! else may be there, and the DLQ and the audit log must agree.
//!
//! The kill schedule is drawn from a seeded generator; the seed is printed
//! and can be replayed with `SWITCHBOARD_CRASH_SEED=...`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard_hubspot_sim::{SimConfig, Simulator};
use switchboard_tests::{connector_wasm, copy_compiled, repo_root, switchboard_bin};
use tokio::sync::watch;

const TENANT: &str = "acme";
const DEPLOYMENT: &str = "hubspot";
const CRM_TOKEN: &str = "pat-crash-test-51d0";
const INGEST_TOKEN: &str = "ingest-crash-test-7b2a";
const ADMIN_TOKEN: &str = "admin-crash-test-03ce";

/// Valid call records sent.
const GOOD_RECORDS: usize = 2_200;
/// Records the connector refuses (negative duration): they must end in the
/// DLQ with reason `validation`, never in the CRM.
const BAD_RECORDS: usize = 20;
/// Distinct phone numbers, so that calls share contacts.
const PHONES: usize = 200;
/// SIGKILLs, at least.
const KILLS: usize = 24;

/// Compiled components shared between runs of this test, so the first start
/// does not spend seconds compiling the connector.
fn shared_cache_dir() -> PathBuf {
    repo_root().join("target").join("test-crash-compile-cache")
}

/// A small deterministic generator (splitmix64), so the schedule replays
/// from its seed without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn seed() -> u64 {
    match std::env::var("SWITCHBOARD_CRASH_SEED") {
        Ok(s) => s.parse().expect("SWITCHBOARD_CRASH_SEED is a u64"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

fn phone(i: usize) -> String {
    format!("+4479111{:05}", i % PHONES)
}

fn good_id(i: usize) -> String {
    format!("call-{i:05}")
}

fn bad_id(i: usize) -> String {
    format!("bad-{i:03}")
}

/// A valid call; its id doubles as the call title, which identifies the call
/// in the CRM.
fn good_record(i: usize) -> Value {
    let id = good_id(i);
    json!({
        "id": id,
        "kind": "call",
        "fields": {
            "phone": phone(i),
            "duration-seconds": 10 + (i % 600),
            "started-at": "2026-11-20T10:00:00Z",
            "title": id,
        }
    })
}

/// A call the connector refuses: a negative duration.
fn bad_record(i: usize) -> Value {
    let id = bad_id(i);
    json!({
        "id": id,
        "kind": "call",
        "fields": {
            "phone": phone(i),
            "duration-seconds": -5,
            "started-at": "2026-11-20T10:00:00Z",
            "title": id,
        }
    })
}

/// Writes `switchboard.toml` and the deployment manifest into `dir`.
fn write_config(dir: &Path, sim: &SimConfig, sim_url: &str) -> PathBuf {
    std::fs::write(dir.join("crm.secret"), CRM_TOKEN).expect("write secret");
    std::fs::write(
        dir.join("hubspot.toml"),
        switchboard_tests::hubspot_manifest_for(sim, sim_url, "crm.secret", Some("GB")),
    )
    .expect("write manifest");
    let wasm = connector_wasm("hubspot");
    let config = format!(
        r#"
[storage]
dir = "data"

[server]
listen = "127.0.0.1:0"
admin_token = {{ env = "CRASH_ADMIN_TOKEN" }}
shutdown_grace_ms = 10000

[workers]
concurrency = 8
poll_interval_ms = 20

[delivery]
max_attempts = 8
backoff_base_ms = 50
backoff_cap_ms = 1000

[tenants.{TENANT}]
ingest_token = {{ env = "CRASH_INGEST_TOKEN" }}

[tenants.{TENANT}.deployments.{DEPLOYMENT}]
wasm = {wasm:?}
manifest = "hubspot.toml"
"#,
        wasm = wasm.display().to_string()
    );
    let path = dir.join("switchboard.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

/// One run of `switchboard serve`.
struct Server {
    child: Child,
    listening: tokio::sync::oneshot::Receiver<String>,
}

impl Server {
    fn spawn(config: &Path, log: &Path) -> Self {
        let stderr = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("open server log");
        let mut child = Command::new(switchboard_bin())
            .arg("serve")
            .arg("--config")
            .arg(config)
            .env("CRASH_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("CRASH_INGEST_TOKEN", INGEST_TOKEN)
            .env("SWITCHBOARD_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawning switchboard serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, listening) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        Self { child, listening }
    }

    /// The base URL once the server listens (`None` if it exited first).
    async fn wait_listening(&mut self, timeout: Duration) -> Option<String> {
        tokio::time::timeout(timeout, &mut self.listening)
            .await
            .expect("switchboard serve did not start listening in time")
            .ok()
    }

    /// SIGKILL (what `Child::kill` sends on unix), then reap.
    fn sigkill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Shared state of the loaders.
struct Load {
    /// Batches still to be acknowledged.
    queue: Mutex<VecDeque<Vec<Value>>>,
    /// Record ids acknowledged with a 202.
    acked: Mutex<BTreeSet<String>>,
    /// Record ids refused with a 400 (each is sent in a request of its own).
    refused: Mutex<BTreeSet<String>>,
    /// Requests that failed (connection refused/reset, timeout, 5xx).
    failed_requests: Mutex<u64>,
    /// Records counted as duplicates in a receipt (re-sends).
    duplicates: Mutex<u64>,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("http client")
}

/// Sends batches from `load.queue` to whichever server is up, until every
/// batch is acknowledged. A failed batch goes back to the queue and is sent
/// again (same ids) later.
async fn loader(load: Arc<Load>, mut url: watch::Receiver<Option<String>>, seed: u64) {
    let http = client();
    let mut rng = Rng(seed);
    loop {
        let Some(batch) = load.queue.lock().unwrap().pop_front() else {
            return;
        };
        let base = loop {
            if let Some(u) = url.borrow_and_update().clone() {
                break u;
            }
            url.changed().await.expect("url channel open");
        };
        let body = serde_json::to_vec(&batch).expect("json");
        let ids: Vec<String> = batch
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect();
        let sent = http
            .post(format!("{base}/v1/tenants/{TENANT}/records"))
            .bearer_auth(INGEST_TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let outcome = match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.bytes().await {
                    Ok(body) => Ok((status, body)),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok((202, body)) => {
                let receipt: Value = serde_json::from_slice(&body).expect("receipt is JSON");
                let got: Vec<&str> = receipt["records"]
                    .as_array()
                    .expect("receipt records")
                    .iter()
                    .map(|r| r["id"].as_str().expect("receipt id"))
                    .collect();
                assert_eq!(got, ids, "receipt lists the records sent, in order");
                let mut dups = 0;
                for r in receipt["records"].as_array().unwrap() {
                    let deliveries = r["deliveries"].as_array().expect("deliveries");
                    assert_eq!(deliveries.len(), 1, "one deployment: {r}");
                    assert_eq!(deliveries[0]["deployment"], DEPLOYMENT, "{r}");
                    if deliveries[0]["status"] != "queued" {
                        dups += 1;
                    }
                }
                *load.duplicates.lock().unwrap() += dups;
                load.acked.lock().unwrap().extend(ids);
            }
            Ok((400, body)) if ids.len() == 1 && ids[0].starts_with("bad-") => {
                load.refused.lock().unwrap().extend(ids);
                eprintln!(
                    "ingest refused {:?}: {}",
                    batch[0]["id"],
                    String::from_utf8_lossy(&body)
                );
            }
            Ok((status, body)) if status < 500 => panic!(
                "ingest answered {status} to a valid batch: {}",
                String::from_utf8_lossy(&body)
            ),
            Ok(_) | Err(_) => {
                *load.failed_requests.lock().unwrap() += 1;
                load.queue.lock().unwrap().push_back(batch);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.range(5, 50))).await;
    }
}

/// `GET {base}{path}` with the admin token, as JSON.
async fn admin_get(http: &reqwest::Client, base: &str, path: &str) -> Value {
    let resp = http
        .get(format!("{base}{path}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status();
    let body = resp.text().await.expect("body");
    assert!(status.is_success(), "GET {path}: {status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// Queued records over all lanes, or `None` when unknown.
async fn pending(http: &reqwest::Client, base: &str) -> Option<u64> {
    let status = admin_get(http, base, "/v1/status").await;
    status["lanes"]
        .as_array()?
        .iter()
        .map(|l| l["pending"].as_u64())
        .sum()
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_records_land_exactly_once_across_sigkills() {
    let seed = seed();
    println!("crash test seed: {seed} (replay with SWITCHBOARD_CRASH_SEED={seed})");
    let mut rng = Rng(seed);

    // Build the binary and the connector off the async threads.
    tokio::task::spawn_blocking(|| {
        switchboard_bin();
        connector_wasm("hubspot");
    })
    .await
    .expect("build");
    let started = Instant::now();

    let sim_config = SimConfig {
        tokens: vec![CRM_TOKEN.into()],
        // Rate limits are not under test here; keep them out of the way.
        burst_limit: 1_000_000,
        search_per_second: 100_000,
        ..SimConfig::default()
    };
    let sim = Simulator::start(sim_config.clone())
        .await
        .expect("simulator");

    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), &sim_config, &sim.base_url());
    let log = dir.path().join("serve.log");
    copy_compiled(&shared_cache_dir(), &dir.path().join("data").join("cache"));

    // The load: good records in batches of 1..=20, each bad record alone,
    // shuffled among them.
    let mut batches: Vec<Vec<Value>> = Vec::new();
    let mut i = 0;
    while i < GOOD_RECORDS {
        let n = (rng.range(1, 20) as usize).min(GOOD_RECORDS - i);
        batches.push((i..i + n).map(good_record).collect());
        i += n;
    }
    for b in 0..BAD_RECORDS {
        let at = rng.range(0, batches.len() as u64) as usize;
        batches.insert(at, vec![bad_record(b)]);
    }
    let request_count = batches.len();
    let load = Arc::new(Load {
        queue: Mutex::new(batches.into()),
        acked: Mutex::default(),
        refused: Mutex::default(),
        failed_requests: Mutex::default(),
        duplicates: Mutex::default(),
    });

    let (url_tx, url_rx) = watch::channel::<Option<String>>(None);
    let loaders: Vec<_> = (0..2u64)
        .map(|n| tokio::spawn(loader(load.clone(), url_rx.clone(), seed ^ (n + 1))))
        .collect();

    // The kills. Every fourth or so run is killed while it is starting up
    // (before or right after it says it listens: leases from the previous
    // run are being released and redelivered); the rest after a random
    // 50-600 ms of work.
    let mut kills = 0;
    let mut startups: Vec<Duration> = Vec::new();
    let mut early_kills = 0;
    let mut prestart_kills = 0;
    let mut before_listening_kills = 0;
    while kills < KILLS {
        let spawned = Instant::now();
        let mut server = Server::spawn(&config, &log);
        let mode = match kills % 6 {
            1 => 1,
            4 => 2,
            _ if rng.range(0, 9) == 0 => 1,
            _ => 0,
        };
        if mode == 2 {
            // Possibly before it even listens.
            tokio::time::sleep(Duration::from_millis(rng.range(0, 250))).await;
            prestart_kills += 1;
            if server.listening.try_recv().is_err() {
                before_listening_kills += 1;
            }
        } else {
            let base = server.wait_listening(Duration::from_secs(60)).await;
            let Some(base) = base else {
                panic!(
                    "switchboard serve exited before listening:\n{}",
                    log_tail(&log)
                );
            };
            startups.push(spawned.elapsed());
            url_tx.send_replace(Some(base));
            if mode == 1 {
                tokio::time::sleep(Duration::from_millis(rng.range(0, 30))).await;
                early_kills += 1;
            } else {
                tokio::time::sleep(Duration::from_millis(rng.range(50, 600))).await;
            }
        }
        url_tx.send_replace(None);
        let up = spawned.elapsed();
        server.sigkill();
        kills += 1;
        println!(
            "kill {kills}: mode {mode}, up {up:?}, cycle {:?}, acked {}",
            spawned.elapsed(),
            load.acked.lock().unwrap().len()
        );
    }
    let kill_phase = started.elapsed();
    let acked_during_kills = load.acked.lock().unwrap().len();
    let delivered_during_kills = sim.snapshot().calls.len();

    // The last run: finish the load, then let it deliver everything.
    let mut server = Server::spawn(&config, &log);
    let base = server
        .wait_listening(Duration::from_secs(60))
        .await
        .expect("final server listening");
    url_tx.send_replace(Some(base.clone()));
    for l in loaders {
        tokio::time::timeout(Duration::from_secs(60), l)
            .await
            .expect("loaders finish within 60 s of the last restart")
            .expect("loader panicked");
    }
    let http = client();
    let drain_started = Instant::now();
    loop {
        if pending(&http, &base).await == Some(0) {
            break;
        }
        assert!(
            drain_started.elapsed() < Duration::from_secs(120),
            "records still pending after 120 s:\n{}",
            log_tail(&log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    copy_compiled(&dir.path().join("data").join("cache"), &shared_cache_dir());

    let acked = load.acked.lock().unwrap().clone();
    let refused = load.refused.lock().unwrap().clone();
    let good_acked: BTreeSet<&String> = acked.iter().filter(|id| id.starts_with("call-")).collect();
    let bad_acked: BTreeSet<&String> = acked.iter().filter(|id| id.starts_with("bad-")).collect();
    assert_eq!(
        good_acked.len(),
        GOOD_RECORDS,
        "every valid record was acknowledged in the end"
    );
    assert_eq!(bad_acked.len() + refused.len(), BAD_RECORDS);

    // The CRM, through the simulator's inspection endpoint.
    let state: Value = http
        .get(format!("{}/__sim/state", sim.base_url()))
        .send()
        .await
        .expect("sim state")
        .json()
        .await
        .expect("sim state json");
    let live = |kind: &str| -> Vec<Value> {
        state[kind]
            .as_array()
            .unwrap_or_else(|| panic!("sim state has {kind}"))
            .iter()
            .filter(|o| o["archived"] != true)
            .cloned()
            .collect()
    };
    let calls = live("calls");
    let contacts = live("contacts");
    let prop = |o: &Value, name: &str| o["properties"][name].as_str().map(str::to_owned);

    let mut calls_by_title: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for c in &calls {
        let title =
            prop(c, "hs_call_title").unwrap_or_else(|| format!("<untitled call {}>", c["id"]));
        calls_by_title.entry(title).or_default().push(c);
    }
    let doubled: Vec<(&String, usize)> = calls_by_title
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, v)| (k, v.len()))
        .collect();
    let missing: Vec<&&String> = good_acked
        .iter()
        .filter(|id| !calls_by_title.contains_key(id.as_str()))
        .collect();
    let unexpected: Vec<&String> = calls_by_title
        .keys()
        .filter(|t| !good_acked.contains(t))
        .collect();

    // Contacts: exactly one per phone number used.
    let mut contacts_by_phone: HashMap<String, Vec<String>> = HashMap::new();
    for c in &contacts {
        let phone = prop(c, "switchboard_phone_e164")
            .or_else(|| prop(c, "phone"))
            .unwrap_or_default();
        contacts_by_phone
            .entry(phone)
            .or_default()
            .push(c["id"].as_str().unwrap_or_default().to_owned());
    }
    let phones_used: BTreeSet<String> = (0..GOOD_RECORDS).map(phone).collect();
    let doubled_contacts: Vec<(&String, &Vec<String>)> = contacts_by_phone
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .collect();
    let contact_phones: BTreeSet<String> = contacts_by_phone.keys().cloned().collect();

    // Each call is associated with the contact of its record's phone.
    let contact_phone: HashMap<String, String> = contacts_by_phone
        .iter()
        .flat_map(|(p, ids)| ids.iter().map(move |id| (id.clone(), p.clone())))
        .collect();
    let mut misassociated = Vec::new();
    for (title, cs) in &calls_by_title {
        let Some(n) = title
            .strip_prefix("call-")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        for c in cs {
            let linked: Vec<String> = c["associations"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|pair| pair[0].as_str())
                        .filter_map(|id| contact_phone.get(id).cloned())
                        .collect()
                })
                .unwrap_or_default();
            if linked != vec![phone(n)] {
                misassociated.push((title.clone(), linked));
            }
        }
    }

    // The calls' idempotency keys, when the connector sets them.
    let mut key_mismatch = Vec::new();
    for (title, cs) in &calls_by_title {
        for c in cs {
            if let Some(key) = prop(c, "switchboard_idempotency_key") {
                let want = switchboard_runtime::idempotency_key(TENANT, title, DEPLOYMENT);
                if key != want {
                    key_mismatch.push(title.clone());
                }
            }
        }
    }

    // The DLQ: exactly the acknowledged invalid records, once each, for
    // validation.
    let dlq = admin_get(
        &http,
        &base,
        &format!("/v1/dlq?tenant={TENANT}&limit=10000"),
    )
    .await;
    let mut dlq_by_record: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in dlq["entries"].as_array().expect("dlq entries") {
        dlq_by_record
            .entry(e["record_id"].as_str().unwrap_or_default().to_owned())
            .or_default()
            .push(e["reason"].as_str().unwrap_or_default().to_owned());
    }
    let dlq_expected: BTreeMap<String, Vec<String>> = bad_acked
        .iter()
        .map(|id| ((*id).clone(), vec!["validation".to_owned()]))
        .collect();

    // The audit log: every acknowledged valid record has a delivered attempt
    // and was never dead-lettered; every acknowledged invalid one was
    // dead-lettered and never delivered.
    let mut audit_problems = Vec::new();
    let mut multi_delivered = 0;
    let mut attempts_total = 0;
    for id in &acked {
        let audit = admin_get(
            &http,
            &base,
            &format!("/v1/audit?record_id={id}&tenant={TENANT}&limit=1000"),
        )
        .await;
        let entries = audit["entries"].as_array().expect("audit entries");
        let count = |event: &str, outcome: Option<&str>| {
            entries
                .iter()
                .filter(|e| e["event"] == event && outcome.is_none_or(|o| e["outcome"] == o))
                .count()
        };
        let attempts = count("attempt", None);
        attempts_total += attempts;
        let delivered = count("attempt", Some("delivered"));
        let dead = count("attempt", Some("dead-lettered")) + count("dead-lettered", None);
        if id.starts_with("call-") {
            if delivered == 0 || dead > 0 {
                audit_problems.push(format!(
                    "{id}: {delivered} delivered, {dead} dead-lettered, {attempts} attempts"
                ));
            }
            if delivered > 1 {
                multi_delivered += 1;
            }
        } else if dead == 0 || delivered > 0 {
            audit_problems.push(format!(
                "{id}: {delivered} delivered, {dead} dead-lettered, {attempts} attempts"
            ));
        }
    }

    // Graceful shutdown.
    let pid = server.child.id();
    let term = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let exit = tokio::task::spawn_blocking(move || server.child.wait())
        .await
        .expect("join")
        .expect("wait for switchboard");

    startups.sort();
    println!(
        "crash test startups (spawn to listening): min {:?}, median {:?}, max {:?}",
        startups.first(),
        startups.get(startups.len() / 2),
        startups.last()
    );
    println!(
        "crash test summary: seed {seed}; {kills} SIGKILLs ({early_kills} within 30 ms of \
         listening, {prestart_kills} within 250 ms of spawn, {before_listening_kills} of them \
         before it listened); {request_count} batches, \
         {} failed requests re-sent, {} re-sent records reported as duplicates; {} records \
         acknowledged during the kills, {} calls in the CRM by then; {} acknowledged in all \
         ({} valid, {} invalid), {} refused at ingest; {} calls, {} contacts in the CRM; \
         {} dead letters; {attempts_total} audited attempts, {multi_delivered} records with \
         more than one delivered attempt; kill phase {:.1} s, total {:.1} s (after building)",
        load.failed_requests.lock().unwrap(),
        load.duplicates.lock().unwrap(),
        acked_during_kills,
        delivered_during_kills,
        acked.len(),
        good_acked.len(),
        bad_acked.len(),
        refused.len(),
        calls.len(),
        contacts.len(),
        dlq_by_record.values().map(Vec::len).sum::<usize>(),
        kill_phase.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );

    let failure_hint = format!("(seed {seed}; server log:\n{})", log_tail(&log));
    assert!(
        doubled.is_empty(),
        "calls in the CRM more than once: {doubled:?} {failure_hint}"
    );
    assert!(
        missing.is_empty(),
        "acknowledged records missing from the CRM: {missing:?} {failure_hint}"
    );
    assert!(
        unexpected.is_empty(),
        "calls in the CRM that were never acknowledged: {unexpected:?} {failure_hint}"
    );
    assert!(
        doubled_contacts.is_empty(),
        "phones with more than one contact: {doubled_contacts:?} {failure_hint}"
    );
    assert_eq!(
        contact_phones, phones_used,
        "one contact per phone used {failure_hint}"
    );
    assert!(
        misassociated.is_empty(),
        "calls not associated with their phone's contact: {misassociated:?}"
    );
    assert!(
        key_mismatch.is_empty(),
        "calls with a wrong idempotency key: {key_mismatch:?}"
    );
    assert_eq!(
        dlq_by_record, dlq_expected,
        "the DLQ holds exactly the invalid records, for validation {failure_hint}"
    );
    assert!(
        audit_problems.is_empty(),
        "audit log disagrees: {audit_problems:?} {failure_hint}"
    );
    assert_eq!(
        exit.code(),
        Some(0),
        "graceful shutdown on SIGTERM exits 0 {failure_hint}"
    );
    sim.shutdown().await;
}
