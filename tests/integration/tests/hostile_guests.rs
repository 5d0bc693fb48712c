//! A misbehaving guest costs one record, never the host: infinite loops hit
//! the time budget, memory bombs the memory cap, traps are contained, and
//! the sandbox refuses hosts and addresses the deployment did not allow.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_runtime::types::{ErrorClass, Record};
use switchboard_runtime::{AttemptResult, Deployment, GuestFault, RetryPolicy, deliver};
use switchboard_tests::{TestHost, guest_wasm, record};

const MANIFEST: &str = r#"
[limits]
memory_mb = 32
time_budget_ms = 200
wall_timeout_ms = 5000

[http]
allowed_hosts = ["https://allowed.example", "http://127.0.0.1:*", "http://localhost:*", "http://169.254.169.254"]
connect_timeout_ms = 1000
request_timeout_ms = 2000

[config]
greeting = "hello"
"#;

fn rec(kind: &str, fields: serde_json::Value) -> Record {
    record(json!({"id": format!("{kind}-1"), "kind": kind, "fields": fields}))
}

async fn outcome(dep: &Deployment, r: &Record) -> AttemptResult {
    let policy = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    deliver(dep, r, &policy)
        .await
        .outcome()
        .cloned()
        .expect("one attempt")
}

/// After any fault, the same deployment still delivers a good record.
async fn assert_healthy(dep: &Deployment) {
    match outcome(dep, &rec("echo", json!({}))).await {
        AttemptResult::Delivered(o) => assert_eq!(o.primary.id, "echo-1"),
        other => panic!("host unhealthy after fault: {other:?}"),
    }
}

async fn hostile(host: &TestHost) -> Deployment {
    host.deploy("acme", &guest_wasm("hostile"), MANIFEST).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_loop_hits_the_time_budget() {
    let host = TestHost::new();
    let dep = hostile(&host).await;
    let started = Instant::now();
    match outcome(&dep, &rec("loop", json!({}))).await {
        AttemptResult::Fault(GuestFault::TimeBudget(b)) => {
            assert_eq!(b, Duration::from_millis(200))
        }
        other => panic!("expected time budget fault, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "budget enforced late: {:?}",
        started.elapsed()
    );
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_bomb_hits_the_memory_cap() {
    let host = TestHost::new();
    let dep = hostile(&host).await;
    match outcome(&dep, &rec("oom", json!({}))).await {
        AttemptResult::Fault(GuestFault::MemoryLimit { limit, requested }) => {
            assert_eq!(limit, 32 << 20);
            assert!(requested > limit);
        }
        other => panic!("expected memory limit fault, got {other:?}"),
    }
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_panic_is_a_trap_for_that_record() {
    let host = TestHost::new();
    let dep = hostile(&host).await;
    match outcome(&dep, &rec("trap", json!({}))).await {
        AttemptResult::Fault(GuestFault::Trap(text)) => assert!(
            text.contains("unreachable") || text.contains("trap"),
            "{text}"
        ),
        other => panic!("expected trap, got {other:?}"),
    }
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spinning_guest_does_not_stall_other_work() {
    let host = TestHost::new();
    let dep = hostile(&host).await;
    let spinner = {
        let dep = dep.clone();
        tokio::spawn(async move { outcome(&dep, &rec("loop", json!({}))).await })
    };
    // While one guest spins for its whole budget, good records keep flowing.
    let started = Instant::now();
    for _ in 0..5 {
        assert!(matches!(
            outcome(&dep, &rec("echo", json!({}))).await,
            AttemptResult::Delivered(_)
        ));
    }
    let good_elapsed = started.elapsed();
    assert!(matches!(
        spinner.await.expect("join"),
        AttemptResult::Fault(GuestFault::TimeBudget(_))
    ));
    assert!(
        good_elapsed < Duration::from_millis(2000),
        "good records waited {good_elapsed:?} behind a spinning guest"
    );
}

async fn fetch_error(dep: &Deployment, url: &str) -> String {
    match outcome(dep, &rec("fetch", json!({"url": url}))).await {
        AttemptResult::Failed(ErrorClass::Permanent(text)) => text,
        other => panic!("expected the fetch to fail, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denies_host_not_in_allowlist() {
    let host = TestHost::new();
    let dep = hostile(&host).await;
    let text = fetch_error(&dep, "https://evil.example/steal").await;
    assert!(text.starts_with("Denied("), "{text}");
    assert!(text.contains("evil.example"), "{text}");
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denies_loopback_without_permission() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let host = TestHost::new();
    let dep = hostile(&host).await;
    let text = fetch_error(&dep, &format!("http://127.0.0.1:{port}/")).await;
    assert!(text.starts_with("Denied("), "{text}");
    let text = fetch_error(&dep, &format!("http://localhost:{port}/")).await;
    assert!(
        text.starts_with("Denied("),
        "localhost resolves to loopback: {text}"
    );
    listener.set_nonblocking(true).expect("nonblocking");
    assert!(
        listener.accept().is_err(),
        "no connection may reach a denied address"
    );
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denies_cloud_metadata_address() {
    let host = TestHost::new();
    let dep = hostile(&host).await;
    let text = fetch_error(&dep, "http://169.254.169.254/latest/meta-data/").await;
    assert!(text.starts_with("Denied("), "{text}");
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_queue_and_config_reach_the_guest() {
    let host = TestHost::new();
    let dep = hostile(&host).await;
    match outcome(&dep, &rec("state", json!({}))).await {
        AttemptResult::Delivered(o) => assert_eq!(
            o.primary.id.len(),
            64,
            "idempotency key round-trips through state"
        ),
        other => panic!("{other:?}"),
    }
    match outcome(&dep, &rec("queue", json!({}))).await {
        AttemptResult::Delivered(o) => assert!(!o.primary.id.is_empty()),
        other => panic!("{other:?}"),
    }
    let jobs = host
        .runtime
        .storage()
        .jobs(&switchboard_storage::Scope::new("acme", "hostile"));
    assert_eq!(jobs.pending().expect("pending").len(), 1);
    match outcome(&dep, &rec("config", json!({}))).await {
        AttemptResult::Delivered(o) => assert_eq!(o.primary.id, "hello"),
        other => panic!("{other:?}"),
    }
}
