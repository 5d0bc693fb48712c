//! Rate limits, breakers and bulkheads through `switchboard serve` against HubSpot
//! simulators with real limits, on a compressed time scale (a 1 s burst window instead of
//! 10 s): sustained delivery near the allowed rate without a 429, a 429 storm and a 503
//! storm ridden out with nothing lost, the breaker opening and closing, and a healthy
//! tenant unharmed by a slow one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json, json};
use switchboard_hubspot_sim::{
    Fault, FaultAction, RateLimitPolicy, SimConfig, SimHandle, Simulator,
};
use switchboard_tests::{InProcess, connector_wasm, hubspot_manifest_for};

/// The tests of this file measure rates and latencies: they run one at a time, so none
/// measures another's load.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Tenant `t`'s ingest token is this, a dash, and `t`.
const INGEST: &str = "ingest-secret-2c8f";
const ADMIN: &str = "admin-secret-e41a7d";
const CRM_TOKEN: &str = "sim-token";

/// A portal with HubSpot's limits for `CRM_TOKEN`, except a search limit out of the way
/// (the connector searches rarely; these tests are about the other budgets).
fn crm_limits() -> SimConfig {
    SimConfig {
        tokens: vec![CRM_TOKEN.into()],
        search_per_second: 10_000,
        ..SimConfig::default()
    }
}

/// One tenant of the test config: a HubSpot deployment against the CRM at `base_url`.
struct TenantSpec<'a> {
    name: &'a str,
    base_url: String,
    limits: &'a SimConfig,
    /// Appended to the deployment manifest (e.g. a `[breaker]` table).
    manifest_extra: &'a str,
    /// Added to the manifest's `[http]` table (e.g. `tls_timeout_ms = 300`).
    http_extra: &'a str,
    /// Added to the deployment's table in `switchboard.toml` (e.g. `concurrency = 3`).
    deployment_extra: &'a str,
}

impl<'a> TenantSpec<'a> {
    fn new(name: &'a str, sim: &SimHandle, limits: &'a SimConfig) -> Self {
        Self {
            name,
            base_url: sim.base_url(),
            limits,
            manifest_extra: "",
            http_extra: "",
            deployment_extra: "",
        }
    }
}

/// Writes `switchboard.toml` with `workers` and `delivery` tables and one `hubspot`
/// deployment per tenant, and starts it.
async fn start(dir: &Path, workers: &str, delivery: &str, tenants: &[TenantSpec<'_>]) -> InProcess {
    std::fs::write(dir.join("crm.secret"), CRM_TOKEN).unwrap();
    std::fs::write(dir.join("admin.token"), ADMIN).unwrap();
    let wasm = connector_wasm("hubspot");
    let mut config = format!(
        "[storage]\ndir = \"data\"\n[server]\nlisten = \"127.0.0.1:0\"\n\
         admin_token = {{ file = \"admin.token\" }}\nshutdown_grace_ms = 3000\n\
         [workers]\n{workers}\n[delivery]\n{delivery}\n"
    );
    for t in tenants {
        let manifest = format!(
            "{}\n{}",
            hubspot_manifest_for(t.limits, &t.base_url, "crm.secret", Some("GB")).replacen(
                "request_timeout_ms = 5000\n",
                &format!("request_timeout_ms = 5000\n{}\n", t.http_extra),
                1
            ),
            t.manifest_extra
        );
        std::fs::write(dir.join(format!("{}.toml", t.name)), manifest).unwrap();
        std::fs::write(
            dir.join(format!("{}.token", t.name)),
            format!("{INGEST}-{}", t.name),
        )
        .unwrap();
        config.push_str(&format!(
            "[tenants.{name}]\ningest_token = {{ file = \"{name}.token\" }}\n\
             [tenants.{name}.deployments.hubspot]\nwasm = {wasm:?}\nmanifest = \"{name}.toml\"\n{extra}\n",
            name = t.name,
            extra = t.deployment_extra,
        ));
    }
    let path: PathBuf = dir.join("switchboard.toml");
    std::fs::write(&path, config).unwrap();
    InProcess::start(&path, ADMIN).await
}

fn call(id: &str, n: usize) -> Json {
    json!({"id": id, "kind": "call", "fields": {
        "phone": format!("+44 7911 {:06}", 100_000 + n % 100_000), "started-at": "2026-11-20T10:00:00Z",
        "duration-seconds": 42, "title": format!("call {id}")}})
}

/// Sends `records` for `tenant` in batches of 100; every batch must be accepted.
async fn send(host: &InProcess, tenant: &str, records: &[Json]) {
    for batch in records.chunks(100) {
        let body: String = batch.iter().map(|r| format!("{r}\n")).collect();
        let (status, answer) = host
            .ingest(tenant, &format!("{INGEST}-{tenant}"), body)
            .await;
        assert_eq!(status, 202, "{answer}");
    }
}

/// Calls the simulator holds, by idempotency key: each must be there exactly once.
fn calls_once(sim: &SimHandle) -> usize {
    let counts = sim
        .snapshot()
        .count_by("calls", "switchboard_idempotency_key");
    for (key, c) in &counts {
        assert_eq!(c.live, 1, "call {key} is in the CRM {} times", c.live);
    }
    counts.len()
}

/// Every audit entry of `tenant` (newest first).
async fn audit(host: &InProcess, tenant: &str) -> Vec<Json> {
    host.audit(&format!("tenant={tenant}&limit=10000")).await
}

async fn dlq_is_empty(host: &InProcess) {
    let dead = host.get("/v1/dlq").await;
    assert_eq!(
        dead["entries"].as_array().map(Vec::len),
        Some(0),
        "nothing may be dead-lettered: {dead}"
    );
}

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} missing:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustained_delivery_uses_at_least_95_percent_of_the_rate_without_a_429() {
    let _one = ONE_AT_A_TIME.lock().await;
    const LIMIT: u32 = 40;
    let limits = SimConfig {
        burst_limit: LIMIT,
        burst_window: Duration::from_secs(1),
        ..crm_limits()
    };
    let sim = Simulator::start(limits.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tenant = TenantSpec::new("acme", &sim, &limits);
    let host = start(
        dir.path(),
        "concurrency = 8\npoll_interval_ms = 20",
        "max_attempts = 3",
        &[tenant],
    )
    .await;
    let records: Vec<Json> = (0..110).map(|i| call(&format!("c-{i}"), i)).collect();
    send(&host, "acme", &records).await;
    host.settle(Duration::from_secs(60)).await;
    dlq_is_empty(&host).await;
    assert_eq!(calls_once(&sim), records.len());

    let stats = sim.rate_stats();
    let token = stats.token(CRM_TOKEN);
    assert_eq!(
        token.rejected(),
        0,
        "the host never sends a request the CRM refuses"
    );
    let window = Duration::from_secs(1);
    assert!(token.max_accepted_in_window(window) <= LIMIT as usize);
    // Utilisation over the whole windows after the first, while the backlog lasted (the
    // last window, when the queue ran dry, is left out).
    let times = &token.accepted_at_ms;
    let (first, last) = (times[0], times[times.len() - 1]);
    let windows = (last - first) / 1000 - 1;
    assert!(windows >= 4, "{windows} windows of backlog");
    let (from, to) = (first + 1000, first + 1000 + windows * 1000);
    let used = token.accepted_between(from, to);
    let allowed = windows as usize * LIMIT as usize;
    let utilisation = used as f64 / allowed as f64;
    println!("{used} of {allowed} allowed requests in {windows} windows: {utilisation:.3}");
    assert!(utilisation >= 0.95, "utilisation {utilisation:.3}");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_pauses_the_deployment_and_loses_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let limits = crm_limits();
    let sim = Simulator::start(limits.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tenant = TenantSpec::new("acme", &sim, &limits);
    // Two attempts at most and a one-second age limit: were rate limits counted, every
    // record would be dead-lettered.
    let host = start(
        dir.path(),
        "concurrency = 8\npoll_interval_ms = 20",
        "max_attempts = 2\nmax_age_secs = 1\nbackoff_base_ms = 20\nbackoff_cap_ms = 100",
        &[tenant],
    )
    .await;
    // HubSpot answers 429 TEN_SECONDLY_ROLLING with Retry-After: 1 to everything for 2.5 s.
    sim.inject(Fault::rate_limit_storm("", 2_500, 1));
    let records: Vec<Json> = (0..40).map(|i| call(&format!("r-{i}"), i)).collect();
    send(&host, "acme", &records).await;
    host.settle(Duration::from_secs(60)).await;
    assert_eq!(calls_once(&sim), records.len(), "every record delivered");
    dlq_is_empty(&host).await;

    let entries = audit(&host, "acme").await;
    let pauses = entries
        .iter()
        .filter(|e| e["event"] == "rate-limit-pause")
        .count();
    let waits = entries
        .iter()
        .filter(|e| e["outcome"] == "rate-limit-wait")
        .count();
    let storm_429s = sim.rate_stats().injected_429;
    println!("{storm_429s} 429s, {pauses} pauses, {waits} waiting attempts");
    assert!(pauses >= 2, "a 1 s pause at a time over a 2.5 s storm");
    assert!(waits >= 1);
    // Only attempts already under way meet the storm: a pause stops the rest in the host.
    assert!(
        storm_429s <= 3 * 8,
        "{storm_429s} requests ran into the storm"
    );
    let metrics = host.metrics().await;
    assert!(metric(&metrics, "switchboard_rate_limit_pauses_total") >= 2);
    assert_eq!(metric(&metrics, "switchboard_dead_lettered_total"), 0);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_storm_opens_the_breaker_records_wait_and_it_closes_again() {
    let _one = ONE_AT_A_TIME.lock().await;
    let limits = crm_limits();
    let sim = Simulator::start(limits.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let breaker =
        "[breaker]\nconsecutive_failures = 3\ncooldown_ms = 300\nmax_cooldown_ms = 1200\n";
    let tenant = TenantSpec {
        manifest_extra: breaker,
        ..TenantSpec::new("acme", &sim, &limits)
    };
    let host = start(
        dir.path(),
        "concurrency = 8\npoll_interval_ms = 20",
        "max_attempts = 4\nbackoff_base_ms = 50\nbackoff_cap_ms = 400",
        &[tenant],
    )
    .await;
    sim.inject(Fault::unavailable_storm("", 3_000));
    let storm_started = now_ms();
    let records: Vec<Json> = (0..30).map(|i| call(&format!("s-{i}"), i)).collect();
    send(&host, "acme", &records).await;

    // The API shows it open while the storm lasts.
    let mut seen_open = false;
    while now_ms() < storm_started + 2_500 && !seen_open {
        let status = host.get("/v1/status").await;
        seen_open = status["lanes"][0]["breaker"]["state"] == "open";
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen_open, "the breaker opened during the storm");

    host.settle(Duration::from_secs(60)).await;
    assert_eq!(calls_once(&sim), records.len(), "every record delivered");
    dlq_is_empty(&host).await;

    let mut entries = audit(&host, "acme").await;
    entries.reverse();
    let changes: Vec<&str> = entries
        .iter()
        .filter(|e| e["event"] == "breaker")
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    println!("breaker: {changes:?}");
    assert_eq!(changes.first(), Some(&"open"), "{changes:?}");
    assert_eq!(changes.last(), Some(&"closed"), "{changes:?}");
    // Every open is followed by a half-open probe; a failed probe opens it again.
    for pair in changes.windows(2) {
        let ok = matches!(
            (pair[0], pair[1]),
            ("open", "half-open") | ("half-open", "open" | "closed")
        );
        assert!(ok, "{changes:?}");
    }
    // While open, records wait: attempts during the storm are the ones that opened it,
    // those already under way, and one probe per cooldown.
    let storm_attempts = entries
        .iter()
        .filter(|e| e["event"] == "attempt" && e["class"] == "transient")
        .count();
    let probes = changes.iter().filter(|c| **c == "half-open").count();
    println!("{storm_attempts} failed attempts, {probes} probes");
    assert!(
        storm_attempts <= 3 + 8 + probes,
        "{storm_attempts} attempts against a CRM known to be down"
    );
    let metrics = host.metrics().await;
    assert!(metric(&metrics, "switchboard_breaker_opened_total") >= 1);
    assert_eq!(metric(&metrics, "switchboard_breaker_closed_total"), 1);
    host.stop().await;
}

/// When each record of `tenant` was delivered (its delivered audit entry), by record id.
async fn delivered_at(host: &InProcess, tenant: &str) -> BTreeMap<String, u64> {
    audit(host, tenant)
        .await
        .into_iter()
        .filter(|e| e["event"] == "attempt" && e["outcome"] == "delivered")
        .map(|e| {
            (
                e["record_id"].as_str().unwrap().to_owned(),
                e["time_ms"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn p99(sorted: &[u64]) -> u64 {
    sorted[(sorted.len() * 99).div_ceil(100) - 1]
}

/// Sends `n` records one at a time, 50 ms apart, each with a phone not seen before
/// (numbered from `first_phone`, so every phase does the same CRM work), waits until each
/// has its delivered audit entry, and returns the sorted delivery latencies (send to
/// delivered).
async fn steady_load(host: &InProcess, prefix: &str, first_phone: usize, n: usize) -> Vec<u64> {
    let mut sent = BTreeMap::new();
    for i in 0..n {
        let id = format!("{prefix}-{i}");
        sent.insert(id.clone(), now_ms());
        send(host, "healthy", &[call(&id, first_phone + i)]).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let start = std::time::Instant::now();
    loop {
        let delivered = delivered_at(host, "healthy").await;
        if sent.keys().all(|id| delivered.contains_key(id)) {
            let mut out: Vec<u64> = sent
                .iter()
                .map(|(id, at)| delivered[id].saturating_sub(*at))
                .collect();
            out.sort_unstable();
            return out;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "not delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The healthy tenant's p99 delivery latency alone, then next to a `noisy` tenant whose CRM
/// answers each request after `noisy_delay` and which has `backlog` records queued; and the
/// noisy tenant's lanes' status while both run. Both CRMs take 20 ms per request, like real ones.
/// Each tenant may run 4 attempts (half of 8 workers); `noisy_deployment` adds to the noisy
/// deployment's table (e.g. its own concurrency).
async fn healthy_p99_alone_and_beside_noisy(
    noisy_delay: Duration,
    backlog: usize,
    noisy_deployment: &str,
) -> (u64, u64, Vec<Vec<Json>>) {
    let limits = SimConfig {
        burst_limit: 1_000_000,
        ..crm_limits()
    };
    let healthy = Simulator::start(limits.clone()).await.unwrap();
    healthy.inject(Fault::slow_storm("", 600_000, Duration::from_millis(20)));
    let noisy = Simulator::start(limits.clone()).await.unwrap();
    noisy.inject(Fault::slow_storm("", 600_000, noisy_delay));
    let dir = tempfile::tempdir().unwrap();
    let host = start(
        dir.path(),
        "concurrency = 8\npoll_interval_ms = 20",
        "max_attempts = 3",
        &[
            TenantSpec::new("healthy", &healthy, &limits),
            TenantSpec {
                deployment_extra: noisy_deployment,
                ..TenantSpec::new("noisy", &noisy, &limits)
            },
        ],
    )
    .await;

    // Warm up (first instances, connections), then measure the healthy tenant alone.
    steady_load(&host, "warm", 0, 10).await;
    let alone = steady_load(&host, "alone", 1_000, 60).await;
    let records: Vec<Json> = (0..backlog).map(|i| call(&format!("b-{i}"), i)).collect();
    send(&host, "noisy", &records).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Ten readings of the noisy tenant's lanes: one reading can catch an attempt
    // ending on one lane and the next starting on another.
    let mut samples = Vec::new();
    for _ in 0..10 {
        let status = host.get("/v1/status").await;
        samples.push(
            status["lanes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["tenant"] == "noisy")
                .cloned()
                .collect(),
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let beside = steady_load(&host, "beside", 2_000, 60).await;
    host.stop().await;
    (p99(&alone), p99(&beside), samples)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_whose_crm_answers_in_2_s_does_not_slow_a_healthy_one() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (alone, beside, samples) =
        healthy_p99_alone_and_beside_noisy(Duration::from_secs(2), 300, "concurrency = 3").await;
    println!("healthy tenant p99: alone {alone} ms, next to a slow tenant {beside} ms");
    // The deployment's own limit (3) binds below its tenant's (4): never more than 3,
    // and all 3 in use.
    let running: Vec<u64> = samples
        .iter()
        .map(|lanes| lanes[0]["in_flight"].as_u64().unwrap())
        .collect();
    let slow = &samples[0][0];
    assert_eq!(slow["concurrency"], 3, "{slow}");
    assert_eq!(slow["tenant_concurrency"], 4, "{slow}");
    assert!(
        running.iter().all(|n| *n <= 3) && running.contains(&3),
        "the slow deployment uses all of its 3 slots and no more: {running:?}"
    );
    assert!(
        beside <= 2 * alone,
        "p99 {beside} ms next to a slow tenant, {alone} ms alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_with_a_5000_record_backlog_does_not_delay_a_healthy_one() {
    let _one = ONE_AT_A_TIME.lock().await;
    // Two deployments of 3 each, both with the backlog: the tenant's limit (4, half the
    // workers) binds over both.
    let second = format!(
        "concurrency = 3\n[tenants.noisy.deployments.second]\nwasm = {:?}\n\
         manifest = \"noisy.toml\"\nconcurrency = 3",
        connector_wasm("hubspot")
    );
    let (alone, beside, samples) =
        healthy_p99_alone_and_beside_noisy(Duration::from_millis(20), 5_000, &second).await;
    println!("healthy tenant p99: alone {alone} ms, next to a 5000-record backlog {beside} ms");
    let lanes = &samples[0];
    assert_eq!(lanes.len(), 2, "{lanes:?}");
    // The tenant's own reading (its slots), never above 4 and at 4 while the backlog
    // lasts; each lane below its own 3.
    let tenant: Vec<u64> = samples
        .iter()
        .map(|lanes| lanes[0]["tenant_in_flight"].as_u64().unwrap())
        .collect();
    assert!(
        tenant.iter().all(|n| *n <= 4) && tenant.contains(&4),
        "the busy tenant runs 4 at once over its lanes, never more: {tenant:?}"
    );
    assert!(
        samples
            .iter()
            .flatten()
            .all(|l| l["in_flight"].as_u64().unwrap() <= 3),
        "no lane above its 3: {samples:?}"
    );
    let busy = &lanes[0];
    assert!(
        busy["pending"].as_u64().unwrap() > 4_000,
        "the backlog is still there: {busy}"
    );
    assert!(
        beside <= 2 * alone,
        "p99 {beside} ms next to a backlog, {alone} ms alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_daily_quota_holds_records_until_the_reset_without_dead_lettering() {
    let _one = ONE_AT_A_TIME.lock().await;
    // A portal with 7 requests a day: two records' worth. The daily headers tell the host
    // the quota is spent; the rest wait for the reset (UTC midnight, like the simulator).
    let limits = SimConfig {
        daily_limit: 7,
        ..crm_limits()
    };
    let sim = Simulator::start(limits.clone()).await.unwrap();
    // The host is configured with HubSpot's default quota: only the CRM's headers say
    // otherwise.
    let declared = SimConfig {
        daily_limit: 650_000,
        ..limits.clone()
    };
    let dir = tempfile::tempdir().unwrap();
    let host = start(
        dir.path(),
        "concurrency = 1\npoll_interval_ms = 20",
        "max_attempts = 2\nmax_age_secs = 1",
        &[TenantSpec::new("acme", &sim, &declared)],
    )
    .await;
    let records: Vec<Json> = (0..6).map(|i| call(&format!("d-{i}"), i)).collect();
    send(&host, "acme", &records).await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    dlq_is_empty(&host).await;
    calls_once(&sim);
    let delivered = audit(&host, "acme")
        .await
        .iter()
        .filter(|e| e["outcome"] == "delivered")
        .count();
    assert!(delivered < records.len(), "{delivered} delivered");
    assert_eq!(host.pending().await, (records.len() - delivered) as u64);
    let status = host.get("/v1/status").await;
    let lane = &status["lanes"][0];
    let daily = lane["rate_limits"]["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "daily")
        .unwrap();
    assert_eq!(daily["remaining"], 0, "{lane}");
    let blocked = daily["blocked_for_ms"].as_u64().unwrap_or(0);
    let paused = lane["rate_limits"]["paused_for_ms"].as_u64().unwrap_or(0);
    let to_midnight = 86_400_000 - now_ms() % 86_400_000;
    assert!(
        blocked.max(paused) + 5_000 >= to_midnight,
        "held until the reset, {to_midnight} ms away: {lane}"
    );
    // Waiting records are due at the reset, not retried meanwhile.
    let waits: Vec<u64> = audit(&host, "acme")
        .await
        .iter()
        .filter(|e| e["outcome"] == "rate-limit-wait")
        .map(|e| e["next_retry_ms"].as_u64().unwrap())
        .collect();
    assert!(!waits.is_empty());
    let midnight = now_ms() + to_midnight;
    assert!(
        waits.iter().all(|due| *due + 5_000 >= midnight),
        "{waits:?}"
    );
    assert!(
        sim.rate_stats().token(CRM_TOKEN).rejected_daily <= 1,
        "the host stopped at the quota, not the CRM"
    );
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_tls_handshake_is_filed_as_such_not_as_a_crm_error() {
    let _one = ONE_AT_A_TIME.lock().await;
    // A CRM address that accepts connections and never speaks TLS.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let limits = SimConfig::default();
    let dir = tempfile::tempdir().unwrap();
    let tenant = TenantSpec {
        name: "acme",
        base_url: format!("https://{addr}"),
        limits: &limits,
        manifest_extra: "",
        http_extra: "tls_timeout_ms = 300",
        deployment_extra: "",
    };
    let host = start(
        dir.path(),
        "concurrency = 2\npoll_interval_ms = 20",
        "max_attempts = 2\nbackoff_base_ms = 20\nbackoff_cap_ms = 50",
        &[tenant],
    )
    .await;
    send(&host, "acme", &[call("t-1", 1)]).await;
    host.settle(Duration::from_secs(30)).await;
    let attempts: Vec<Json> = audit(&host, "acme")
        .await
        .into_iter()
        .filter(|e| e["event"] == "attempt")
        .collect();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    for a in &attempts {
        assert_eq!(a["class"], "timeout-tls-handshake", "{a}");
        assert!(
            a["requests"][0]
                .as_str()
                .is_some_and(|r| r.contains("tls handshake") && r.contains("300ms")),
            "{a}"
        );
    }
    let dead = host.get("/v1/dlq").await;
    assert_eq!(dead["entries"][0]["reason"], "retries-exhausted", "{dead}");
    host.stop().await;
    hold.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crm_rate_limit_pause_is_kept_across_a_restart() {
    let _one = ONE_AT_A_TIME.lock().await;
    let limits = crm_limits();
    let sim = Simulator::start(limits.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tenants = [TenantSpec::new("acme", &sim, &limits)];
    let serve = || {
        start(
            dir.path(),
            "concurrency = 2\npoll_interval_ms = 20",
            "max_attempts = 3",
            &tenants,
        )
    };
    let host = serve().await;
    // The portal's daily quota is gone: one 429 saying so, with ten minutes to wait.
    sim.inject(Fault::new(FaultAction::RateLimited {
        policy: RateLimitPolicy::Daily,
        retry_after_secs: Some(600),
    }));
    send(&host, "acme", &[call("before", 1)]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while paused_for_ms(&host).await == 0 {
        assert!(std::time::Instant::now() < deadline, "never paused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    host.stop().await;
    let requests = sim.snapshot().requests;

    // A new process over the same data: paused from the start, and says why.
    let host = serve().await;
    let lane = &host.get("/v1/status").await["lanes"][0];
    let left = lane["rate_limits"]["paused_for_ms"].as_u64().unwrap_or(0);
    assert!(left > 500_000, "about ten minutes left: {lane}");
    let reason = lane["rate_limits"]["pause_reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("DAILY") && reason.contains("kept across a restart"),
        "{lane}"
    );
    let restored = audit(&host, "acme")
        .await
        .into_iter()
        .filter(|e| e["event"] == "rate-limit-pause" && e["outcome"] == "restored")
        .count();
    assert_eq!(restored, 1);

    // A record that arrives now waits in the queue: nothing reaches the CRM.
    send(&host, "acme", &[call("after", 2)]).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(sim.snapshot().requests, requests, "the CRM heard nothing");
    assert_eq!(host.pending().await, 2);
    dlq_is_empty(&host).await;
    host.stop().await;
}

async fn paused_for_ms(host: &InProcess) -> u64 {
    host.get("/v1/status").await["lanes"][0]["rate_limits"]["paused_for_ms"]
        .as_u64()
        .unwrap_or(0)
}
