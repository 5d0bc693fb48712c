//! The ingest scenario and its load generator: N keep-alive HTTP/1.1 clients, each sending
//! one record per request, with latency percentiles and the server's flush counters.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// 202 with a valid token.
    Accepted,
    /// 401: a wrong token, so the HTTP path without parsing or storage.
    Unauthorized,
}

pub(crate) struct RunResult {
    pub(crate) rate: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) flushes: u64,
    pub(crate) acked: u64,
}

impl RunResult {
    pub(crate) fn records_per_flush(&self) -> f64 {
        if self.flushes == 0 {
            0.0
        } else {
            self.acked as f64 / self.flushes as f64
        }
    }
}

pub(crate) async fn ingest_scenario(
    wasm: &Path,
    mode: CommitMode,
    clients: usize,
    warmup: u64,
    secs: u64,
    expect: Expect,
) -> anyhow::Result<RunResult> {
    let dir = tempfile::tempdir()?;
    // Nothing listens there: workers are off, so nothing is delivered.
    let config = offline_config(dir.path(), wasm)?;
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

pub(crate) async fn counters(addr: SocketAddr) -> (u64, u64) {
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
pub(crate) async fn metric(addr: SocketAddr, name: &str) -> Option<u64> {
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
pub(crate) async fn load(
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

pub(crate) async fn client(
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

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
