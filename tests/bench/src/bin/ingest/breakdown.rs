//! The pieces of one ingest request timed alone, bare sled and plain log files for
//! comparison, and the pipeline without HTTP.

use super::*;

/// The pieces of one ingest request, each timed alone on this machine.
pub(crate) async fn breakdown(wasm: &Path) -> anyhow::Result<()> {
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
        time_log("append-only log", &env, |buf| {
            f.write_all(buf)?;
            f.sync_data()
        })?;
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
        time_log("preallocated log", &env, |buf| {
            f.write_all_at(buf, off)?;
            off += buf.len() as u64;
            f.sync_data()
        })?;
    }

    // The HTTP path alone: a wrong token is refused before the body is parsed.
    let r = ingest_scenario(wasm, CommitMode::Group, 64, 1, 5, Expect::Unauthorized).await?;
    println!(
        "| HTTP round trip, 64 clients, 401 before parsing (server + load generator) | {:.0} req/s, p50 {:.2} ms |",
        r.rate, r.p50_ms
    );
    Ok(())
}

pub(crate) fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// CPU time of this process so far (user + system), from /proc (Linux; zero elsewhere).
pub(crate) fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// `Pipeline::ingest` called directly (no HTTP) by `tasks` tasks on the server runtime.
pub(crate) async fn pipeline_only(
    wasm: &Path,
    mode: CommitMode,
    tasks: usize,
) -> anyhow::Result<(f64, u64)> {
    let dir = tempfile::tempdir()?;
    let config = offline_config(dir.path(), wasm)?;
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

/// Times `write_and_sync` of groups of 1, 8 and 64 length-prefixed `env` records, 200 groups
/// each, and prints wall and CPU time per record.
pub(crate) fn time_log(
    name: &str,
    env: &[u8],
    mut write_and_sync: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    for per in [1u32, 8, 64] {
        let rounds = 200u32;
        let mut buf = Vec::with_capacity(env.len() * per as usize + 64);
        let (cpu0, t) = (cpu_time(), Instant::now());
        for _ in 0..rounds {
            buf.clear();
            for _ in 0..per {
                buf.extend_from_slice(&(env.len() as u32).to_le_bytes());
                buf.extend_from_slice(env);
            }
            write_and_sync(&buf)?;
        }
        let wall = t.elapsed() / (rounds * per);
        let cpu = (cpu_time() - cpu0) / (rounds * per);
        println!(
            "| {name}: x{per} records + fdatasync | {:.1} µs wall, {:.1} µs CPU per record |",
            micros(wall),
            micros(cpu)
        );
    }
    Ok(())
}
