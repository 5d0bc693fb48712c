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

mod breakdown;
mod e2e;
mod load;
mod setup;

use breakdown::*;
use e2e::*;
use load::*;
use setup::*;

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
