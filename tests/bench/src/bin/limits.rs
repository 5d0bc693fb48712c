//! Rate-limit utilisation of `switchboard serve` with 1, 10 and 100 tenants.
//!
//! Each tenant has its own HubSpot portal (a token of one simulator, limited per token to
//! `BENCH_LIMIT` requests per `BENCH_WINDOW_MS` rolling window) and a backlog big enough to
//! keep it busy. After the first window, for `BENCH_SECS` seconds, it measures per tenant
//! the requests the simulator accepted against the ones it allowed (utilisation), and
//! counts every 429 the simulator sent.
//!
//! Run: `cargo run --release -p switchboard-bench --bin limits -- [TENANTS ...]`
//! (default `1 10 100`). Env: `BENCH_LIMIT` (5), `BENCH_WINDOW_MS` (1000), `BENCH_SECS`
//! (10), `BENCH_CONCURRENCY` (`workers.concurrency`, 32).

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use switchboard_hubspot_sim::{SimConfig, SimHandle, Simulator};
use switchboard_tests::{InProcess, connector_wasm, hubspot_manifest_for, repo_root};

/// Tenant `t`'s ingest token is this, a dash, and `t`.
const INGEST: &str = "bench-ingest-token";
const ADMIN: &str = "bench-admin-token-4f1c";
/// CRM requests one call record costs against the burst window (contact upsert, call
/// upsert, association).
const REQUESTS_PER_RECORD: u64 = 3;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one run measured.
struct Measured {
    tenants: usize,
    allowed: u64,
    accepted: u64,
    min: f64,
    max: f64,
    rejected_429: u64,
}

fn main() -> anyhow::Result<()> {
    let counts: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let counts = if counts.is_empty() {
        vec![1, 10, 100]
    } else {
        counts
    };
    let limit = env_u64("BENCH_LIMIT", 5);
    let window = Duration::from_millis(env_u64("BENCH_WINDOW_MS", 1000));
    let secs = env_u64("BENCH_SECS", 10);
    let concurrency = env_u64("BENCH_CONCURRENCY", 32);
    connector_wasm("hubspot");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "## rate-limit utilisation: {limit} requests per {} ms per tenant, {secs} s measured after the first window, workers.concurrency = {concurrency}",
        window.as_millis()
    );
    println!(
        "| tenants | allowed req/s | accepted req/s | utilisation (all) | per tenant min..max | 429s |"
    );
    println!("|---|---|---|---|---|---|");
    for n in counts {
        let m = rt.block_on(run(n, limit, window, secs, concurrency))?;
        let total = m.accepted as f64 / m.allowed as f64;
        println!(
            "| {} | {:.0} | {:.0} | {:.1}% | {:.1}%..{:.1}% | {} |",
            m.tenants,
            m.allowed as f64 / secs as f64,
            m.accepted as f64 / secs as f64,
            total * 100.0,
            m.min * 100.0,
            m.max * 100.0,
            m.rejected_429
        );
    }
    Ok(())
}

async fn run(
    tenants: usize,
    limit: u64,
    window: Duration,
    secs: u64,
    concurrency: u64,
) -> anyhow::Result<Measured> {
    let tokens: Vec<String> = (0..tenants).map(|i| format!("pat-t{i}")).collect();
    let sim_config = SimConfig {
        tokens: tokens.clone(),
        burst_limit: u32::try_from(limit)?,
        burst_window: window,
        daily_limit: u64::MAX,
        search_per_second: u32::MAX,
        ..SimConfig::default()
    };
    let sim = Simulator::start(sim_config.clone()).await?;
    let dir = tempfile::tempdir()?;
    let path = write_config(dir.path(), &sim, &sim_config, &tokens, concurrency)?;
    let host = InProcess::start(&path, ADMIN).await;

    // A backlog that outlasts the measurement by half.
    let window_ms = u64::try_from(window.as_millis())?;
    let per_tenant =
        (limit * (secs * 1000 + window_ms) / window_ms / REQUESTS_PER_RECORD) * 3 / 2 + 5;
    for t in 0..tenants {
        let body: String = (0..per_tenant)
            .map(|i| {
                format!(
                    "{}\n",
                    json!({"id": format!("t{t}-{i}"), "kind": "call", "fields": {
                        "phone": format!("+44 7911 {:06}", 100_000 + i),
                        "started-at": "2026-11-20T10:00:00Z", "duration-seconds": 42}})
                )
            })
            .collect();
        let (status, answer) = host
            .ingest(&format!("t{t}"), &format!("{INGEST}-t{t}"), body)
            .await;
        anyhow::ensure!(status == 202, "ingest for t{t}: {status} {answer}");
    }
    // Every backlog is queued: the measurement starts one window later.
    let measure_from = sim.rate_stats().elapsed_ms;
    tokio::time::sleep(Duration::from_millis(secs * 1000 + window_ms)).await;
    let m = measure(&sim, &tokens, tenants, measure_from, secs, limit, window_ms);
    host.stop().await;
    Ok(m)
}

/// Utilisation per tenant over `secs` seconds that start one window after `from_ms`.
fn measure(
    sim: &SimHandle,
    tokens: &[String],
    tenants: usize,
    from_ms: u64,
    secs: u64,
    limit: u64,
    window_ms: u64,
) -> Measured {
    let stats = sim.rate_stats();
    let (start, end) = (from_ms + window_ms, from_ms + window_ms + secs * 1000);
    let allowed_each = limit * secs * 1000 / window_ms;
    let mut accepted = 0;
    let (mut min, mut max) = (f64::MAX, 0.0f64);
    let mut rejected_429 = stats.injected_429;
    for token in tokens {
        let t = stats.token(token);
        let used = t.accepted_between(start, end) as u64;
        accepted += used;
        let u = used as f64 / allowed_each as f64;
        min = min.min(u);
        max = max.max(u);
        rejected_429 += t.rejected();
    }
    Measured {
        tenants,
        allowed: allowed_each * tenants as u64,
        accepted,
        min,
        max,
        rejected_429,
    }
}

/// `switchboard.toml` with one HubSpot deployment per tenant, each with its own token and
/// budgets matching the simulator's limits.
fn write_config(
    dir: &Path,
    sim: &SimHandle,
    sim_config: &SimConfig,
    tokens: &[String],
    concurrency: u64,
) -> anyhow::Result<std::path::PathBuf> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let cache = repo_root().join("target").join("bench-compile-cache");
    std::fs::create_dir_all(&cache)?;
    #[cfg(unix)]
    std::os::unix::fs::symlink(&cache, data.join("cache"))?;
    std::fs::write(dir.join("admin.token"), ADMIN)?;
    let wasm = connector_wasm("hubspot");
    let mut config = format!(
        "[storage]\ndir = \"data\"\n[server]\nlisten = \"127.0.0.1:0\"\nshutdown_grace_ms = 1000\n\
         admin_token = {{ file = \"admin.token\" }}\n\
         [workers]\nconcurrency = {concurrency}\npoll_interval_ms = 20\n"
    );
    for (i, token) in tokens.iter().enumerate() {
        std::fs::write(dir.join(format!("t{i}.secret")), token)?;
        std::fs::write(dir.join(format!("t{i}.token")), format!("{INGEST}-t{i}"))?;
        std::fs::write(
            dir.join(format!("t{i}.toml")),
            hubspot_manifest_for(
                sim_config,
                &sim.base_url(),
                &format!("t{i}.secret"),
                Some("GB"),
            ),
        )?;
        config.push_str(&format!(
            "[tenants.t{i}]\ningest_token = {{ file = \"t{i}.token\" }}\n\
             [tenants.t{i}.deployments.hubspot]\nwasm = {wasm:?}\nmanifest = \"t{i}.toml\"\n"
        ));
    }
    let path = dir.join("switchboard.toml");
    std::fs::write(&path, config)?;
    Ok(path)
}
