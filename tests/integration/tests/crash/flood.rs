//! A connection flood against `switchboard serve` at a 1,024-descriptor limit (a common
//! default): 2,000 idle connections, kept up by reconnecting as the server closes them,
//! and 100 slow unauthenticated uploads (a full head announcing 8 MiB, then a byte every
//! 100 ms), while another client sends records and health checks one after another. The
//! server must keep answering that client, stay within its descriptors (no
//! `Too many open files`) and within a stated memory bound, and say that it reached its
//! connection limit.
//!
//! The latencies are printed, not asserted (a shared machine's timing is not a test
//! result); the figures recorded in `docs/delivery.md` come from this test's output.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::harness::{INGEST_TOKEN, Server, Stage, TENANT, client, good_record, log_tail};

/// The server's descriptor limit.
const DESCRIPTORS: u64 = 1024;
/// Idle connections the flood keeps open (as far as the server lets it).
const IDLE: usize = 2_000;
/// Slow unauthenticated uploads.
const SLOW_UPLOADS: usize = 100;
/// Records the measured client sends, one request each.
const REQUESTS: usize = 200;
/// How much the flood may add to the server's resident memory. (The memory it starts
/// with varies: a clean clone's first start compiles the connector and keeps about
/// 150 MiB more than a start from the compile cache.)
const RSS_GROWTH_BOUND_MIB: u64 = 128;

/// A memory figure of process `pid` from `/proc/PID/status` (`VmRSS`, `VmHWM`), in MiB.
fn memory_mib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// Samples the resident memory of `pid` every 50 ms until `stop`; returns the largest.
async fn rss_during(pid: u32, stop: Arc<AtomicBool>) -> u64 {
    let mut max = 0;
    while !stop.load(Ordering::Relaxed) {
        max = max.max(memory_mib(pid, "VmRSS"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    max.max(memory_mib(pid, "VmRSS"))
}

/// Tasks opening idle connections side by side.
const FLOODERS: usize = 4;

/// Keeps up to `hold` connections open that never send a byte, opening a new one (and
/// counting it in `opened`) whenever it can, until `stop`.
async fn idle_flood(addr: String, hold: usize, opened: Arc<AtomicU64>, stop: Arc<AtomicBool>) {
    let mut held: std::collections::VecDeque<TcpStream> = Default::default();
    while !stop.load(Ordering::Relaxed) {
        match tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(&addr)).await {
            Ok(Ok(tcp)) => {
                opened.fetch_add(1, Ordering::Relaxed);
                held.push_back(tcp);
                if held.len() > hold {
                    held.pop_front();
                }
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// One slow unauthenticated upload: a head announcing 8 MiB, then a byte every 100 ms
/// until the server closes the connection or `stop`.
async fn slow_upload(addr: String, stop: Arc<AtomicBool>, closed: Arc<AtomicU64>) {
    let Ok(mut tcp) = TcpStream::connect(&addr).await else {
        return;
    };
    let head = format!(
        "POST /v1/tenants/{TENANT}/records HTTP/1.1\r\nhost: switchboard\r\n\
         content-type: application/json\r\ncontent-length: 8388608\r\n\r\n["
    );
    if tcp.write_all(head.as_bytes()).await.is_err() {
        closed.fetch_add(1, Ordering::Relaxed);
        return;
    }
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if tcp.write_all(b" ").await.is_err() {
            closed.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
}

/// The value at `q` (0..=1) of sorted `samples`, in ms.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Raises this process's soft descriptor limit to its hard one: the flood holds more than
/// 2,000 connections.
fn raise_own_descriptor_limit() {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let hard = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(4).map(str::to_owned))
        .expect("the descriptor limit in /proc/self/limits");
    let raised = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &std::process::id().to_string(),
            &format!("--nofile={hard}:"),
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        raised,
        "prlimit could not raise this test's descriptor limit to {hard}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_at_1024_descriptors_leaves_other_clients_served() {
    raise_own_descriptor_limit();
    let stage = Stage::set_up().await;
    let mut server = Server::spawn_with_descriptors(&stage.config, &stage.log, DESCRIPTORS);
    let base = server
        .wait_listening(Duration::from_secs(60))
        .await
        .expect("switchboard serve listens");
    let addr = base.trim_start_matches("http://").to_owned();
    let pid = server.child.id();
    let hint = || format!("server log:\n{}", log_tail(&stage.log));

    let stop = Arc::new(AtomicBool::new(false));
    let rss_before = memory_mib(pid, "VmRSS");
    let rss = tokio::spawn(rss_during(pid, stop.clone()));
    let opened = Arc::new(AtomicU64::new(0));
    let flood: Vec<_> = (0..FLOODERS)
        .map(|_| {
            tokio::spawn(idle_flood(
                addr.clone(),
                IDLE / FLOODERS,
                opened.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let closed = Arc::new(AtomicU64::new(0));
    let uploads: Vec<_> = (0..SLOW_UPLOADS)
        .map(|_| tokio::spawn(slow_upload(addr.clone(), stop.clone(), closed.clone())))
        .collect();
    // Measure once the flood holds its 2,000 connections (more than the server allows, so
    // it is evicting by then); it keeps reconnecting throughout.
    let deadline = Instant::now() + Duration::from_secs(120);
    while opened.load(Ordering::Relaxed) < IDLE as u64 + 200 {
        assert!(
            Instant::now() < deadline,
            "the flood opened only {} connections in 120 s",
            opened.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let http = client();
    let mut ingest = Vec::with_capacity(REQUESTS);
    let mut health = Vec::with_capacity(REQUESTS);
    let mut failures = Vec::new();
    for i in 0..REQUESTS {
        let t = Instant::now();
        let sent = http
            .post(format!("{base}/v1/tenants/{TENANT}/records"))
            .bearer_auth(INGEST_TOKEN)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&[good_record(i)]).expect("json"))
            .send()
            .await;
        ingest.push(t.elapsed());
        match sent {
            Ok(resp) if resp.status().as_u16() == 202 => {}
            Ok(resp) => failures.push(format!("ingest {i}: {}", resp.status())),
            Err(e) => failures.push(format!("ingest {i}: {e}")),
        }
        let t = Instant::now();
        let sent = http.get(format!("{base}/healthz")).send().await;
        health.push(t.elapsed());
        match sent {
            Ok(resp) if resp.status().as_u16() == 200 => {}
            Ok(resp) => failures.push(format!("healthz {i}: {}", resp.status())),
            Err(e) => failures.push(format!("healthz {i}: {e}")),
        }
    }
    stop.store(true, Ordering::Relaxed);
    for f in flood {
        f.await.expect("flood task");
    }
    let opened = opened.load(Ordering::Relaxed);
    for u in uploads {
        let _ = u.await;
    }
    let rss = rss.await.expect("memory sampler");
    let peak_since_start = memory_mib(pid, "VmHWM");
    ingest.sort();
    health.sort();
    println!(
        "flood summary: {DESCRIPTORS} descriptors; {opened} idle connections opened to keep \
         {IDLE} open, {SLOW_UPLOADS} slow unauthenticated uploads ({} closed by the server); \
         {REQUESTS} ingest requests p50 {:.1} ms p99 {:.1} ms max {:.1} ms; /healthz p50 {:.1} ms \
         p99 {:.1} ms; RSS {rss_before} MiB before the flood, at most {rss} MiB \
         during it (peak since start {peak_since_start} MiB); {} failures",
        closed.load(Ordering::Relaxed),
        quantile_ms(&ingest, 0.5),
        quantile_ms(&ingest, 0.99),
        quantile_ms(&ingest, 1.0),
        quantile_ms(&health, 0.5),
        quantile_ms(&health, 0.99),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "the other client was not served: {failures:?} {}",
        hint()
    );
    assert_eq!(
        closed.load(Ordering::Relaxed),
        SLOW_UPLOADS as u64,
        "every unauthenticated upload was answered and closed without its body being read"
    );
    assert!(
        rss.saturating_sub(rss_before) < RSS_GROWTH_BOUND_MIB,
        "the flood took the RSS from {rss_before} to {rss} MiB, more than \
         {RSS_GROWTH_BOUND_MIB} MiB"
    );
    let log = std::fs::read_to_string(&stage.log).unwrap_or_default();
    assert!(
        log.contains("connection limit reached") && log.contains("max_connections=768"),
        "the limit (three quarters of 1,024 descriptors) was reached and logged {}",
        hint()
    );
    assert!(
        !log.contains("Too many open files"),
        "the server ran out of descriptors {}",
        hint()
    );
    // Still serving after the flood, and it shuts down cleanly.
    let after = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz after the flood");
    assert_eq!(after.status().as_u16(), 200);
    stage.keep_cache();
    let exit = server.terminate().await;
    assert_eq!(exit.code(), Some(0), "graceful shutdown {}", hint());
    let Stage { sim, .. } = stage;
    sim.shutdown().await;
}

/// Writes `data` to a fresh connection to `addr`, shuts down the sending side (as
/// `printf ... | nc -N` does) and reads until the server closes or 5 s pass.
async fn exchange(addr: &str, data: &[u8]) -> String {
    use tokio::io::AsyncReadExt;
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(data).await.expect("write");
    tcp.shutdown().await.expect("shutdown the sending side");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_http_1_0_and_encoded_requests_are_answered_as_http_says() {
    let stage = Stage::set_up().await;
    let text = std::fs::read_to_string(&stage.config).expect("config");
    let text = text.replacen(
        "shutdown_grace_ms = 10000",
        "shutdown_grace_ms = 10000\nheader_timeout_ms = 1000\nbody_timeout_ms = 500",
        1,
    );
    std::fs::write(&stage.config, text).expect("config");
    let mut server = Server::spawn(&stage.config, &stage.log);
    let base = server
        .wait_listening(Duration::from_secs(60))
        .await
        .expect("switchboard serve listens");
    let addr = base.trim_start_matches("http://").to_owned();
    let ingest = |id: &str, extra: &str| {
        let body = serde_json::to_string(&[good_record(0)])
            .expect("json")
            .replace("call-00000", id);
        format!(
            "POST /v1/tenants/{TENANT}/records HTTP/1.1\r\nhost: switchboard\r\n\
             authorization: Bearer {INGEST_TOKEN}\r\ncontent-type: application/json\r\n\
             {extra}content-length: {}\r\n\r\n{body}",
            body.len()
        )
    };

    // Three requests in one write, then the client stops sending: three answers, in order.
    let three = format!(
        "{}{}{}",
        ingest("pipe-1", ""),
        ingest("pipe-2", ""),
        ingest("pipe-3", "")
    );
    let answer = exchange(&addr, three.as_bytes()).await;
    assert_eq!(
        answer.matches("HTTP/1.1 202 Accepted").count(),
        3,
        "{answer}"
    );
    let ids: Vec<usize> = ["pipe-1", "pipe-2", "pipe-3"]
        .iter()
        .map(|id| answer.find(id).expect("each receipt"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {answer}");

    // HTTP/1.0 without Host (RFC 9112 3.2 asks for Host in HTTP/1.1 only).
    let answer = exchange(&addr, b"GET /healthz HTTP/1.0\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.0 200 OK"), "{answer}");
    assert!(answer.ends_with("ok\n"), "{answer}");

    // A body that claims a content coding is refused, not misread.
    let answer = exchange(
        &addr,
        ingest("gz-1", "content-encoding: gzip\r\n").as_bytes(),
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 415 Unsupported Media Type"),
        "{answer}"
    );
    assert!(answer.contains("accept-encoding: identity"), "{answer}");
    assert!(answer.contains("\"unsupported-encoding\""), "{answer}");
    // `identity` is no coding at all.
    let answer = exchange(
        &addr,
        ingest("id-1", "content-encoding: identity\r\n").as_bytes(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 202 Accepted"), "{answer}");

    // SIGHUP neither stops nor disturbs the server.
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(hup.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.child.try_wait().expect("status").is_none(),
        "SIGHUP stopped serve"
    );
    let answer = exchange(&addr, b"GET /healthz HTTP/1.0\r\n\r\n").await;
    assert!(
        answer.starts_with("HTTP/1.0 200 OK"),
        "after SIGHUP: {answer}"
    );

    // A body that does not arrive in time is answered 408 and the connection closed.
    let mut tcp = TcpStream::connect(&addr).await.expect("connect");
    let whole = ingest("slow-1", "");
    tcp.write_all(&whole.as_bytes()[..whole.len() - 10])
        .await
        .expect("write");
    let started = Instant::now();
    let mut out = Vec::new();
    use tokio::io::AsyncReadExt;
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .expect("the server closes a connection whose body stalls")
        .expect("read");
    let answer = String::from_utf8_lossy(&out);
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout"),
        "{answer}"
    );
    assert!(answer.contains("\"body-timeout\""), "{answer}");
    println!("a stalled body was answered after {:?}", started.elapsed());

    // A head that stalls is cut off too (and so is an idle connection).
    let mut tcp = TcpStream::connect(&addr).await.expect("connect");
    tcp.write_all(b"GET /heal").await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .expect("the server closes a connection whose head stalls")
        .ok();
    let mut idle = TcpStream::connect(&addr).await.expect("connect");
    tokio::time::timeout(Duration::from_secs(10), idle.read_to_end(&mut out))
        .await
        .expect("the server closes an idle connection")
        .ok();
    stage.keep_cache();
    let exit = server.terminate().await;
    assert_eq!(exit.code(), Some(0), "graceful shutdown after SIGHUP");
    let log = std::fs::read_to_string(&stage.log).unwrap_or_default();
    assert!(
        log.contains("SIGHUP ignored"),
        "the SIGHUP is logged: {log}"
    );
    let Stage { sim, .. } = stage;
    sim.shutdown().await;
}
