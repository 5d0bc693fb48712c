//! End to end: records enqueued with workers off, then delivered by the workers to an
//! unthrottled simulator; delivered records per second.

use super::*;

/// Enqueues `n` records with the workers off, then starts them and times delivery until the
/// simulator holds every call.
pub(crate) async fn e2e(wasm: &Path, n: usize, concurrency: u64) -> anyhow::Result<()> {
    println!(
        "\n## end to end: {n} records, workers.concurrency = {concurrency}, unthrottled simulator"
    );
    let sim_config = SimConfig {
        tokens: vec![SIM_TOKEN.into()],
        burst_limit: u32::MAX,
        daily_limit: u64::MAX,
        search_per_second: u32::MAX,
        ..SimConfig::default()
    };
    let sim = Simulator::start(sim_config.clone()).await?;
    let dir = tempfile::tempdir()?;
    let config = write_config(dir.path(), wasm, &sim_config, &sim.base_url(), concurrency)?;

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

pub(crate) async fn post_batch(addr: SocketAddr, body: &[u8]) -> anyhow::Result<()> {
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
