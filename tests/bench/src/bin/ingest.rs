//! Durable delivery benchmarks of `switchboard serve`, in one process:
//!
//! - **ingest**: the real server (`switchboard_server::run_with`, workers off, sled on disk
//!   in a temp dir) and a lean load generator of N keep-alive HTTP/1.1 clients, each sending
//!   one call record per request as fast as it gets its 202. Records/s acknowledged and
//!   p50/p99 latency, for group commit and the one-flush-per-request baseline.
//! - **e2e**: records enqueued first, then workers deliver them through the HubSpot
//!   connector to an unthrottled simulator; delivered records/s until the simulator has all.
//! - **breakdown**: the pieces of one ingest request timed alone (JSON, validation,
//!   envelope, enqueue under the write lock, flush, the HTTP round trip without storage).
//!
//! Run: `cargo run --release -p switchboard-bench --bin ingest -- [ingest|e2e|breakdown|all]`
//! Env: `BENCH_SECS` (measured seconds per scenario, default 10), `BENCH_WARMUP_SECS` (2),
//! `BENCH_CLIENTS` (comma list, default `1,64`), `BENCH_E2E_RECORDS` (5000),
//! `BENCH_E2E_CONCURRENCY` (32).

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_config::ServeConfig;
use switchboard_hubspot_sim::{SimConfig, Simulator};
use switchboard_server::{CommitMode, RunOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TENANT: &str = "bench";
const INGEST_TOKEN: &str = "bench-ingest-token-0123456789";
const SIM_TOKEN: &str = "pat-bench-token";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".to_owned());
    // The connector is built (wasm32-wasip2, release) before anything is timed.
    let wasm = switchboard_tests::connector_wasm("hubspot");
    anyhow::ensure!(wasm.exists(), "no connector at {}", wasm.display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "machine: {} cores; server runtime 2 worker threads; load generator on its own thread",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    if what == "breakdown" || what == "all" {
        rt.block_on(breakdown(&wasm))?;
    }
    if what == "ingest" || what == "all" {
        let secs = env_u64("BENCH_SECS", 10);
        let warmup = env_u64("BENCH_WARMUP_SECS", 2);
        let clients: Vec<usize> = std::env::var("BENCH_CLIENTS")
            .unwrap_or_else(|_| "1,64".into())
            .split(',')
            .filter_map(|c| c.trim().parse().ok())
            .collect();
        println!(
            "\n## durable ingest: one record per request, {warmup} s warm-up, {secs} s measured"
        );
        println!(
            "| commit | clients | records/s acked | p50 ms | p99 ms | flushes | records/flush |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for mode in [CommitMode::Group, CommitMode::PerRequest] {
            for &n in &clients {
                let r = rt.block_on(ingest_scenario(
                    &wasm,
                    mode,
                    n,
                    warmup,
                    secs,
                    Expect::Accepted,
                ))?;
                println!(
                    "| {} | {n} | {:.0} | {:.2} | {:.2} | {} | {:.1} |",
                    label(mode),
                    r.rate,
                    r.p50_ms,
                    r.p99_ms,
                    r.flushes,
                    r.records_per_flush()
                );
            }
        }
    }
    if what == "pipeline" || what == "all" {
        println!(
            "\n## Pipeline::ingest without HTTP: 64 tasks, one record per call, 1 s warm-up, 5 s measured"
        );
        println!("| commit | tasks | records/s durable | flushes |\n|---|---:|---:|---:|");
        for mode in [CommitMode::Group, CommitMode::PerRequest] {
            let (rate, flushes) = rt.block_on(pipeline_only(&wasm, mode, 64))?;
            println!("| {} | 64 | {rate:.0} | {flushes} |", label(mode));
        }
    }
    if what == "e2e" || what == "all" {
        let n = env_u64("BENCH_E2E_RECORDS", 5000) as usize;
        let conc = env_u64("BENCH_E2E_CONCURRENCY", 32);
        rt.block_on(e2e(&wasm, n, conc))?;
    }
    Ok(())
}

fn label(mode: CommitMode) -> &'static str {
    match mode {
        CommitMode::Group => "group",
        CommitMode::PerRequest => "per-request",
    }
}

/// A server config in `dir`: one tenant, one HubSpot deployment at `base_url`.
fn write_config(
    dir: &Path,
    wasm: &Path,
    base_url: &str,
    concurrency: u64,
) -> anyhow::Result<ServeConfig> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    // Share the compiled connector between runs (the compile takes seconds).
    let cache = switchboard_tests::repo_root()
        .join("target")
        .join("bench-compile-cache");
    std::fs::create_dir_all(&cache)?;
    #[cfg(unix)]
    std::os::unix::fs::symlink(&cache, data.join("cache"))?;
    std::fs::write(dir.join("ingest.token"), INGEST_TOKEN)?;
    std::fs::write(dir.join("hubspot-token.secret"), SIM_TOKEN)?;
    std::fs::write(
        dir.join("hubspot.toml"),
        switchboard_tests::hubspot_manifest(base_url, "hubspot-token.secret", Some("GB")),
    )?;
    let toml = format!(
        r#"
[storage]
dir = "data"

[server]
listen = "127.0.0.1:0"
shutdown_grace_ms = 2000

[workers]
concurrency = {concurrency}
poll_interval_ms = 50

[delivery]
backoff_base_ms = 50
backoff_cap_ms = 1000

[tenants.{TENANT}]
ingest_token = {{ file = "ingest.token" }}

[tenants.{TENANT}.deployments.hubspot]
wasm = {wasm:?}
manifest = "hubspot.toml"
kinds = ["call"]
"#,
        wasm = wasm.display().to_string()
    );
    let path = dir.join("switchboard.toml");
    std::fs::write(&path, toml)?;
    Ok(ServeConfig::load(&path)?)
}

fn record_json(id: &str, phone_seq: usize) -> serde_json::Value {
    json!({"id": id, "kind": "call", "fields": {
        "phone": format!("+447911{:06}", 100_000 + phone_seq % 900_000),
        "started-at": "2026-11-24T09:30:00+01:00",
        "duration-seconds": 125,
        "direction": "outbound",
        "title": "Renewal call",
        "notes": "Discussed the renewal",
    }})
}

/// A running in-process server.
struct Server {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start_server(
    config: ServeConfig,
    mode: CommitMode,
    workers: bool,
) -> anyhow::Result<Server> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        switchboard_server::run_with(
            &config,
            RunOptions {
                commit_mode: mode,
                workers,
            },
            async {
                let _ = stopped.await;
            },
            move |addr| {
                let _ = addr_tx.send(addr);
            },
        )
        .await
    });
    let addr = match addr_rx.await {
        Ok(a) => a,
        Err(_) => {
            return Err(task
                .await?
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("server did not start")));
        }
    };
    Ok(Server { addr, stop, task })
}

impl Server {
    async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await?
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 202 with a valid token.
    Accepted,
    /// 401: a wrong token, so the HTTP path without parsing or storage.
    Unauthorized,
}

struct RunResult {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    flushes: u64,
    acked: u64,
}

impl RunResult {
    fn records_per_flush(&self) -> f64 {
        if self.flushes == 0 {
            0.0
        } else {
            self.acked as f64 / self.flushes as f64
        }
    }
}

async fn ingest_scenario(
    wasm: &Path,
    mode: CommitMode,
    clients: usize,
    warmup: u64,
    secs: u64,
    expect: Expect,
) -> anyhow::Result<RunResult> {
    let dir = tempfile::tempdir()?;
    // Nothing listens there: workers are off, so nothing is delivered.
    let config = write_config(dir.path(), wasm, "http://127.0.0.1:9", 16)?;
    let server = start_server(config, mode, false).await?;
    let addr = server.addr;
    let before = counters(addr).await;
    let warm = Duration::from_secs(warmup);
    let measured = Duration::from_secs(secs);
    let token = if expect == Expect::Accepted {
        INGEST_TOKEN
    } else {
        "wrong-token-0000000000000000"
    };
    // The load generator has its own thread and single-threaded runtime.
    let stats = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("load generator runtime")
            .block_on(load(addr, clients, warm, measured, token, expect))
    })
    .join()
    .map_err(|_| anyhow::anyhow!("load generator panicked"))??;
    let after = counters(addr).await;
    server.stop().await?;
    drop(dir);
    let (count, mut lat) = stats;
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 * p) as usize).min(lat.len() - 1);
        lat[i] as f64 / 1000.0
    };
    Ok(RunResult {
        rate: count as f64 / measured.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        // Both over the whole run (warm-up included).
        flushes: after.0.saturating_sub(before.0),
        acked: after.1.saturating_sub(before.1),
    })
}

async fn counters(addr: SocketAddr) -> (u64, u64) {
    (
        metric(addr, "switchboard_commit_flushes_total")
            .await
            .unwrap_or(0),
        metric(addr, "switchboard_enqueued_total")
            .await
            .unwrap_or(0),
    )
}

/// Reads one counter from `GET /metrics`.
async fn metric(addr: SocketAddr, name: &str) -> Option<u64> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.ok()?;
    let text = String::from_utf8_lossy(&out);
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
}

/// Runs `clients` connections for `warm + measured`; returns the requests completed inside
/// the measured window and their latencies in µs.
async fn load(
    addr: SocketAddr,
    clients: usize,
    warm: Duration,
    measured: Duration,
    token: &'static str,
    expect: Expect,
) -> anyhow::Result<(u64, Vec<u32>)> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        tasks.push(tokio::spawn(client(
            addr, c, start, warm, measured, token, expect,
        )));
    }
    let mut count = 0;
    let mut lat = Vec::new();
    for t in tasks {
        let (n, l) = t.await??;
        count += n;
        lat.extend(l);
    }
    Ok((count, lat))
}

async fn client(
    addr: SocketAddr,
    idx: usize,
    start: Instant,
    warm: Duration,
    measured: Duration,
    token: &'static str,
    expect: Expect,
) -> anyhow::Result<(u64, Vec<u32>)> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let end = warm + measured;
    // Everything but the id is pre-built; the id is spliced in per request.
    let body_head = r#"{"id":"c"#;
    let body_tail = r#"","kind":"call","fields":{"phone":"+447911123456","started-at":"2026-11-24T09:30:00+01:00","duration-seconds":125,"direction":"outbound","title":"Renewal call","notes":"Discussed the renewal"}}"#;
    let mut req = Vec::with_capacity(1024);
    let mut rbuf = vec![0u8; 16 * 1024];
    let mut count = 0u64;
    let mut lat = Vec::with_capacity(1 << 16);
    let want: &[u8] = match expect {
        Expect::Accepted => b"HTTP/1.1 202",
        Expect::Unauthorized => b"HTTP/1.1 401",
    };
    let mut seq = 0u64;
    loop {
        let sent = Instant::now();
        if sent.duration_since(start) >= end {
            break;
        }
        seq += 1;
        let id = format!("{idx}-{seq}");
        let body_len = body_head.len() + id.len() + body_tail.len();
        req.clear();
        req.extend_from_slice(b"POST /v1/tenants/bench/records HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-ndjson\r\nAuthorization: Bearer ");
        req.extend_from_slice(token.as_bytes());
        req.extend_from_slice(b"\r\nContent-Length: ");
        req.extend_from_slice(body_len.to_string().as_bytes());
        req.extend_from_slice(b"\r\n\r\n");
        req.extend_from_slice(body_head.as_bytes());
        req.extend_from_slice(id.as_bytes());
        req.extend_from_slice(body_tail.as_bytes());
        s.write_all(&req).await?;
        // Read one response: headers, then Content-Length bytes of body.
        let mut have = 0usize;
        let (head_end, clen) = loop {
            let n = s.read(&mut rbuf[have..]).await?;
            anyhow::ensure!(n > 0, "server closed the connection");
            have += n;
            if let Some(pos) = find(&rbuf[..have], b"\r\n\r\n") {
                let head = std::str::from_utf8(&rbuf[..pos]).unwrap_or("");
                let clen = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                break (pos + 4, clen);
            }
            anyhow::ensure!(have < rbuf.len(), "response head too large");
        };
        while have < head_end + clen {
            if head_end + clen > rbuf.len() {
                rbuf.resize(head_end + clen, 0);
            }
            let n = s.read(&mut rbuf[have..]).await?;
            anyhow::ensure!(n > 0, "server closed the connection");
            have += n;
        }
        if !rbuf.starts_with(want) {
            anyhow::bail!(
                "unexpected response: {}",
                String::from_utf8_lossy(&rbuf[..have.min(400)])
            );
        }
        let done = Instant::now();
        let at = done.duration_since(start);
        if at >= warm && at < end {
            count += 1;
            lat.push(done.duration_since(sent).as_micros().min(u32::MAX as u128) as u32);
        }
    }
    Ok((count, lat))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Enqueues `n` records with the workers off, then starts them and times delivery until the
/// simulator holds every call.
async fn e2e(wasm: &Path, n: usize, concurrency: u64) -> anyhow::Result<()> {
    println!(
        "\n## end to end: {n} records, workers.concurrency = {concurrency}, unthrottled simulator"
    );
    let sim = Simulator::start(SimConfig {
        tokens: vec![SIM_TOKEN.into()],
        burst_limit: u32::MAX,
        daily_limit: u64::MAX,
        search_per_second: u32::MAX,
        ..SimConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let config = write_config(dir.path(), wasm, &sim.base_url(), concurrency)?;

    // 1. Enqueue over HTTP with the workers off (batches of 1000 records).
    let server = start_server(config.clone(), CommitMode::Group, false).await?;
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let batch: Vec<_> = (i..(i + 1000).min(n))
            .map(|k| record_json(&format!("e2e-{k}"), k))
            .collect();
        post_batch(server.addr, &serde_json::to_vec(&batch)?).await?;
        i += batch.len();
    }
    println!(
        "enqueued {n} records in {:.2} s (JSON arrays of 1000)",
        t.elapsed().as_secs_f64()
    );
    server.stop().await?;

    // 2. Same storage, workers on: time until the simulator has every call.
    // The database lock of the first run can outlive it briefly (sled's background
    // threads); retry until it is free.
    let mut tries = 0;
    let server = loop {
        match start_server(config.clone(), CommitMode::Group, true).await {
            Ok(s) => break s,
            Err(e) if tries < 100 && format!("{e:#}").contains("lock") => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e),
        }
    };
    if tries > 0 {
        println!(
            "(waited {} ms for the first run's database lock)",
            tries * 100
        );
    }
    let t = Instant::now();
    let deadline = Duration::from_secs(600);
    let last = loop {
        let last = sim.snapshot().calls.len();
        if last >= n || t.elapsed() > deadline {
            break last;
        }
        // A snapshot clones the simulator's state and request log: poll gently.
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let secs = t.elapsed().as_secs_f64();
    let snap = sim.snapshot();
    server.stop().await?;
    println!(
        "delivered {last} of {n} calls ({} contacts, {} CRM requests, {} answered 429) in {secs:.2} s: {:.0} records/s",
        snap.contacts.len(),
        snap.requests,
        snap.rate_limited,
        last as f64 / secs
    );
    anyhow::ensure!(last == n, "the simulator holds {last} calls, expected {n}");
    sim.shutdown().await;
    Ok(())
}

async fn post_batch(addr: SocketAddr, body: &[u8]) -> anyhow::Result<()> {
    let mut s = TcpStream::connect(addr).await?;
    let head = format!(
        "POST /v1/tenants/{TENANT}/records HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nAuthorization: Bearer {INGEST_TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    anyhow::ensure!(
        out.starts_with(b"HTTP/1.1 202"),
        "batch refused: {}",
        String::from_utf8_lossy(&out[..out.len().min(600)])
    );
    Ok(())
}

/// The pieces of one ingest request, each timed alone on this machine.
async fn breakdown(wasm: &Path) -> anyhow::Result<()> {
    use switchboard_pipeline::{Envelope, parse_body};
    use switchboard_storage::delivery::{DeliveryStore, NewItem};
    use switchboard_storage::{Scope, Storage};

    println!("\n## breakdown: one record per request, pieces timed alone (single thread)");
    let body = serde_json::to_vec(&record_json("c1-1", 1))?;
    let iters = 100_000u32;

    let t = Instant::now();
    for _ in 0..iters {
        let v =
            parse_body(std::hint::black_box(&body), 1000).map_err(|e| anyhow::anyhow!("{e}"))?;
        std::hint::black_box(v);
    }
    let parse = t.elapsed() / iters;
    let values = parse_body(&body, 1000).map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    for _ in 0..iters {
        let r = switchboard_runtime::record_from_json(std::hint::black_box(&values[0]))
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        std::hint::black_box(r);
    }
    let validate = t.elapsed() / iters;
    let t = Instant::now();
    for _ in 0..iters {
        let e = Envelope::new(
            values[0].clone(),
            "0123456789abcdef0123456789abcdef".into(),
            1,
        )
        .encode();
        std::hint::black_box(e);
    }
    let envelope = t.elapsed() / iters;
    println!("| piece | per record |\n|---|---:|");
    println!(
        "| parse body (serde_json, NDJSON line) | {:.1} µs |",
        micros(parse)
    );
    println!(
        "| validate (record_from_json) | {:.1} µs |",
        micros(validate)
    );
    println!("| envelope clone + encode | {:.1} µs |", micros(envelope));

    let dir = tempfile::tempdir()?;
    let storage = Storage::open(&dir.path().join("store"))?;
    let store = storage.delivery();
    let lane = Scope::new(TENANT, "hubspot");
    let env = Envelope::new(
        values[0].clone(),
        "0123456789abcdef0123456789abcdef".into(),
        1,
    )
    .encode();
    let n = 50_000u32;
    let t = Instant::now();
    for k in 0..n {
        let id = format!("r-{k}");
        store.enqueue(&[NewItem {
            lane: &lane,
            record_id: &id,
            body: &env,
            due_ms: 1,
        }])?;
    }
    let enqueue = t.elapsed() / n;
    println!(
        "| enqueue 1 item (write lock, dup check, 3-row sled batch), no flush | {:.1} µs |",
        micros(enqueue)
    );
    store.flush()?;
    for per in [1u32, 64, 512] {
        let rounds = if per == 1 { 300 } else { 100 };
        let t = Instant::now();
        for r in 0..rounds {
            for k in 0..per {
                let id = format!("f{per}-{r}-{k}");
                store.enqueue(&[NewItem {
                    lane: &lane,
                    record_id: &id,
                    body: &env,
                    due_ms: 1,
                }])?;
            }
            store.flush()?;
        }
        let each = t.elapsed() / rounds;
        println!(
            "| enqueue {per} + one flush (fsync) | {:.0} µs per flush, {:.1} µs per record |",
            micros(each),
            micros(each) / per as f64
        );
    }
    drop(store);
    drop(storage);

    // What the enqueue is made of, on a bare sled tree on disk.
    let db = sled::Config::new().path(dir.path().join("raw")).open()?;
    let tree = db.open_tree("t")?;
    let n = 50_000u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(db.generate_id()?);
    }
    println!("| sled generate_id | {:.2} µs |", micros(t.elapsed() / n));
    let t = Instant::now();
    for k in 0..n {
        std::hint::black_box(tree.get(format!("missing-{k}"))?);
    }
    println!("| sled get (miss) | {:.2} µs |", micros(t.elapsed() / n));
    let t = Instant::now();
    for k in 0..n {
        tree.insert(format!("i-{k:08}"), &env[..])?;
    }
    println!(
        "| sled insert 1 row (envelope-sized) | {:.2} µs |",
        micros(t.elapsed() / n)
    );
    let t = Instant::now();
    for k in 0..n {
        let mut b = sled::Batch::default();
        b.insert(format!("a-{k:08}").as_bytes(), &env[..]);
        b.insert(format!("b-{k:08}").as_bytes(), &[][..]);
        b.insert(format!("c-{k:08}").as_bytes(), &[0u8; 9][..]);
        tree.apply_batch(b)?;
    }
    println!(
        "| sled apply_batch of 3 rows | {:.2} µs |",
        micros(t.elapsed() / n)
    );
    let t = Instant::now();
    for k in 0..n {
        tree.insert(format!("d-{k:08}"), &env[..])?;
        tree.insert(format!("e-{k:08}"), &[][..])?;
        tree.insert(format!("f-{k:08}"), &[0u8; 9][..])?;
    }
    println!(
        "| sled 3 plain inserts (no batch) | {:.2} µs |",
        micros(t.elapsed() / n)
    );
    drop(tree);
    drop(db);
    for (name, mode) in [
        ("LowSpace (default)", sled::Mode::LowSpace),
        ("HighThroughput", sled::Mode::HighThroughput),
    ] {
        let db = sled::Config::new()
            .path(dir.path().join(format!("raw-{name}")))
            .mode(mode)
            .open()?;
        let tree = db.open_tree("t")?;
        for per in [1u32, 8, 64] {
            let rounds = 4000 / per.max(20);
            let (cpu0, t) = (cpu_time(), Instant::now());
            for r in 0..rounds {
                for k in 0..per {
                    let mut b = sled::Batch::default();
                    b.insert(format!("a-{per}-{r:06}-{k:04}").as_bytes(), &env[..]);
                    b.insert(format!("b-{per}-{r:06}-{k:04}").as_bytes(), &[][..]);
                    b.insert(format!("c-{per}-{r:06}-{k:04}").as_bytes(), &[0u8; 9][..]);
                    tree.apply_batch(b)?;
                }
                db.flush()?;
            }
            let wall = t.elapsed() / (rounds * per);
            let cpu = (cpu_time() - cpu0) / (rounds * per);
            println!(
                "| sled {name}: 3-row batch x{per} + flush | {:.1} µs wall, {:.1} µs CPU per record |",
                micros(wall),
                micros(cpu)
            );
        }
    }

    // The alternative: an append-only log file, one write + fdatasync per group.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join("wal"))?;
        for per in [1u32, 8, 64] {
            let rounds = 200u32;
            let mut buf = Vec::with_capacity(env.len() * per as usize + 64);
            let (cpu0, t) = (cpu_time(), Instant::now());
            for _ in 0..rounds {
                buf.clear();
                for _ in 0..per {
                    buf.extend_from_slice(&(env.len() as u32).to_le_bytes());
                    buf.extend_from_slice(&env);
                }
                f.write_all(&buf)?;
                f.sync_data()?;
            }
            let wall = t.elapsed() / (rounds * per);
            let cpu = (cpu_time() - cpu0) / (rounds * per);
            println!(
                "| append-only log: x{per} records + fdatasync | {:.1} µs wall, {:.1} µs CPU per record |",
                micros(wall),
                micros(cpu)
            );
        }
    }

    // The same into a preallocated (zero-filled) log, as a WAL segment would be: the
    // fdatasync then has no file-size change to journal.
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(dir.path().join("wal2"))?;
        let zeros = vec![0u8; 1 << 20];
        for i in 0..64u64 {
            f.write_all_at(&zeros, i << 20)?;
        }
        f.sync_all()?;
        let mut off = 0u64;
        for per in [1u32, 8, 64] {
            let rounds = 200u32;
            let mut buf = Vec::with_capacity(env.len() * per as usize + 64);
            let (cpu0, t) = (cpu_time(), Instant::now());
            for _ in 0..rounds {
                buf.clear();
                for _ in 0..per {
                    buf.extend_from_slice(&(env.len() as u32).to_le_bytes());
                    buf.extend_from_slice(&env);
                }
                f.write_all_at(&buf, off)?;
                off += buf.len() as u64;
                f.sync_data()?;
            }
            let wall = t.elapsed() / (rounds * per);
            let cpu = (cpu_time() - cpu0) / (rounds * per);
            println!(
                "| preallocated log: x{per} records + fdatasync | {:.1} µs wall, {:.1} µs CPU per record |",
                micros(wall),
                micros(cpu)
            );
        }
    }

    // The HTTP path alone: a wrong token is refused before the body is parsed.
    let r = ingest_scenario(wasm, CommitMode::Group, 64, 1, 5, Expect::Unauthorized).await?;
    println!(
        "| HTTP round trip, 64 clients, 401 before parsing (server + load generator) | {:.0} req/s, p50 {:.2} ms |",
        r.rate, r.p50_ms
    );
    Ok(())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// CPU time of this process so far (user + system), from /proc (Linux; zero elsewhere).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// `Pipeline::ingest` called directly (no HTTP) by `tasks` tasks on the server runtime.
async fn pipeline_only(wasm: &Path, mode: CommitMode, tasks: usize) -> anyhow::Result<(f64, u64)> {
    let dir = tempfile::tempdir()?;
    let config = write_config(dir.path(), wasm, "http://127.0.0.1:9", 16)?;
    let assembled = switchboard_server::assemble(&config, mode).await?;
    let pipeline = assembled.pipeline.clone();
    let start = Instant::now();
    let (warm, end) = (Duration::from_secs(1), Duration::from_secs(6));
    let mut handles = Vec::new();
    for c in 0..tasks {
        let p = pipeline.clone();
        handles.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut seq = 0u64;
            while start.elapsed() < end {
                seq += 1;
                let rec = [record_json(&format!("p{c}-{seq}"), c)];
                p.ingest(TENANT, &rec)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let at = start.elapsed();
                if at >= warm && at < end {
                    n += 1;
                }
            }
            anyhow::Ok(n)
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await??;
    }
    let text = pipeline.metrics_text();
    let flushes = text
        .lines()
        .find(|l| l.starts_with("switchboard_commit_flushes_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    drop(pipeline);
    drop(assembled);
    Ok((total as f64 / (end - warm).as_secs_f64(), flushes))
}
