//! What the fault tests share: the load (valid and invalid call records in batches), the
//! server as a child process, the loaders that send until every batch is acknowledged,
//! and admin API helpers.

use std::collections::{BTreeSet, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_hubspot_sim::{SimConfig, SimHandle, Simulator};
use switchboard_tests::{connector_wasm, copy_compiled, repo_root, switchboard_bin};
use tokio::sync::watch;

pub(crate) const TENANT: &str = "acme";
pub(crate) const DEPLOYMENT: &str = "hubspot";
pub(crate) const CRM_TOKEN: &str = "pat-crash-test-51d0";
pub(crate) const INGEST_TOKEN: &str = "ingest-crash-test-7b2a";
pub(crate) const ADMIN_TOKEN: &str = "admin-crash-test-03ce";

/// Valid call records sent.
pub(crate) const GOOD_RECORDS: usize = 2_200;
/// Records the connector refuses (negative duration): they must end in the
/// DLQ with reason `validation`, never in the CRM.
pub(crate) const BAD_RECORDS: usize = 20;
/// Distinct phone numbers, so that calls share contacts.
pub(crate) const PHONES: usize = 200;

/// Compiled components shared between runs of this test, so the first start
/// does not spend seconds compiling the connector.
pub(crate) fn shared_cache_dir() -> PathBuf {
    repo_root().join("target").join("test-crash-compile-cache")
}

/// A small deterministic generator (splitmix64), so the schedule replays
/// from its seed without a dependency.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

pub(crate) fn seed() -> u64 {
    match std::env::var("SWITCHBOARD_CRASH_SEED") {
        Ok(s) => s.parse().expect("SWITCHBOARD_CRASH_SEED is a u64"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

pub(crate) fn phone(i: usize) -> String {
    format!("+4479111{:05}", i % PHONES)
}

pub(crate) fn good_id(i: usize) -> String {
    format!("call-{i:05}")
}

pub(crate) fn bad_id(i: usize) -> String {
    format!("bad-{i:03}")
}

/// A valid call; its id doubles as the call title, which identifies the call
/// in the CRM.
pub(crate) fn good_record(i: usize) -> Value {
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
pub(crate) fn bad_record(i: usize) -> Value {
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
pub(crate) fn write_config(dir: &Path, sim: &SimConfig, sim_url: &str) -> PathBuf {
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
pub(crate) struct Server {
    pub child: Child,
    pub listening: tokio::sync::oneshot::Receiver<String>,
}

impl Server {
    pub(crate) fn spawn(config: &Path, log: &Path) -> Self {
        Self::start(Command::new(switchboard_bin()), config, log)
    }

    /// [`Server::spawn`] with at most `n` open file descriptors (soft and hard limit).
    pub(crate) fn spawn_with_descriptors(config: &Path, log: &Path, n: u64) -> Self {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={n}:{n}"))
            .arg("--")
            .arg(switchboard_bin());
        Self::start(command, config, log)
    }

    /// Runs `command serve --config CONFIG` (`command` is the binary, or a wrapper that
    /// execs it).
    fn start(mut command: Command, config: &Path, log: &Path) -> Self {
        let mut log = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("open server log");
        let mut child = command
            .arg("serve")
            .arg("--config")
            .arg(config)
            .env("CRASH_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("CRASH_INGEST_TOKEN", INGEST_TOKEN)
            .env("SWITCHBOARD_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Through a pipe this process copies to the log: a file-size limit put on the
            // server (the full-disk test) must not cut its log short.
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning switchboard serve");
        let mut stderr = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut stderr, &mut log);
        });
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
    pub(crate) async fn wait_listening(&mut self, timeout: Duration) -> Option<String> {
        tokio::time::timeout(timeout, &mut self.listening)
            .await
            .expect("switchboard serve did not start listening in time")
            .ok()
    }

    /// SIGTERM (a graceful shutdown), then its exit status.
    pub(crate) async fn terminate(mut self) -> std::process::ExitStatus {
        let term = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(term.success());
        tokio::task::spawn_blocking(move || self.child.wait())
            .await
            .expect("join")
            .expect("wait for switchboard")
    }

    /// SIGKILL (what `Child::kill` sends on unix), then reap.
    pub(crate) fn sigkill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Shared state of the loaders.
pub(crate) struct Load {
    /// Batches still to be acknowledged.
    pub queue: Mutex<VecDeque<Vec<Value>>>,
    /// Record ids acknowledged with a 202.
    pub acked: Mutex<BTreeSet<String>>,
    /// Record ids refused with a 400 (each is sent in a request of its own).
    pub refused: Mutex<BTreeSet<String>>,
    /// Requests that failed (connection refused/reset, timeout, 5xx).
    pub failed_requests: Mutex<u64>,
    /// Records counted as duplicates in a receipt (re-sends).
    pub duplicates: Mutex<u64>,
    /// 503 answers with a `Retry-After` header.
    pub refused_retry_after: Mutex<u64>,
    /// 503 answers without one.
    pub refused_no_retry_after: Mutex<u64>,
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("http client")
}

/// Sends batches from `load.queue` to whichever server is up, until every
/// batch is acknowledged. A failed batch goes back to the queue and is sent
/// again (same ids) later.
pub(crate) async fn loader(load: Arc<Load>, mut url: watch::Receiver<Option<String>>, seed: u64) {
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
                if status == 503 {
                    let counter = if resp.headers().contains_key("retry-after") {
                        &load.refused_retry_after
                    } else {
                        &load.refused_no_retry_after
                    };
                    *counter.lock().unwrap() += 1;
                }
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
pub(crate) async fn admin_get(http: &reqwest::Client, base: &str, path: &str) -> Value {
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
pub(crate) async fn pending(http: &reqwest::Client, base: &str) -> Option<u64> {
    let status = admin_get(http, base, "/v1/status").await;
    status["lanes"]
        .as_array()?
        .iter()
        .map(|l| l["pending"].as_u64())
        .sum()
}

pub(crate) fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// The load: valid records in batches of 1..=20, each invalid record alone, shuffled among
/// them.
pub(crate) fn batches(rng: &mut Rng) -> Vec<Vec<Value>> {
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
    batches
}

impl Load {
    /// A load that will send `batches`.
    pub(crate) fn new(batches: Vec<Vec<Value>>) -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(batches.into()),
            acked: Mutex::default(),
            refused: Mutex::default(),
            failed_requests: Mutex::default(),
            duplicates: Mutex::default(),
            refused_retry_after: Mutex::default(),
            refused_no_retry_after: Mutex::default(),
        })
    }
}

/// What a fault test runs against: the HubSpot simulator (rate limits out of the way: they
/// are not under test here) and a directory holding the server's config, its log and its
/// data (with the shared compile cache copied in).
pub(crate) struct Stage {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub log: PathBuf,
}

impl Stage {
    /// Builds the binary and the connector (off the async threads), starts the simulator
    /// and writes the config.
    pub(crate) async fn set_up() -> Self {
        tokio::task::spawn_blocking(|| {
            switchboard_bin();
            connector_wasm("hubspot");
        })
        .await
        .expect("build");
        let sim_config = SimConfig {
            tokens: vec![CRM_TOKEN.into()],
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
        Self {
            sim,
            dir,
            config,
            log,
        }
    }

    /// Copies the compile cache back for the next test.
    pub(crate) fn keep_cache(&self) {
        copy_compiled(
            &self.dir.path().join("data").join("cache"),
            &shared_cache_dir(),
        );
    }
}
