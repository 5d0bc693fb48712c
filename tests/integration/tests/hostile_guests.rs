//! A misbehaving guest costs one record, never the host: infinite loops hit
//! the time budget, memory bombs the memory cap, traps are contained (and
//! explained by the guest's stderr), floods of output are capped, and the
//! sandbox refuses hosts and addresses the deployment did not allow. The `under_serve`
//! module drives the same guests through `switchboard serve` as a child process.

#[path = "hostile_guests/load_failures.rs"]
mod load_failures;
#[path = "hostile_guests/secret_sinks.rs"]
mod secret_sinks;
#[path = "hostile_guests/under_serve.rs"]
mod under_serve;

use std::time::{Duration, Instant};

/// The tests of this binary run in parallel, each holding a read guard; the one that
/// measures latency (`a_hostile_tenant_costs_the_others_little`) takes the write guard, so
/// it runs alone and its idle and busy phases see the same machine.
static ALONE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

use serde_json::json;
use switchboard_runtime::types::{ErrorClass, PushContext, Record};
use switchboard_runtime::{
    AttemptOutput, AttemptResult, Deployment, GuestFault, MAX_STREAM_BYTES, RetryPolicy, WorkUnit,
    attempt, deliver,
};
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

/// One attempt of `r` with everything it produced, the observations included.
async fn attempt_output(dep: &Deployment, r: &Record) -> AttemptOutput {
    let unit = WorkUnit {
        record_id: r.id.clone(),
        trace_id: format!("trace-{}", r.id),
    };
    let ctx = PushContext {
        tenant: dep.tenant().to_string(),
        idempotency_key: format!("key-{}", r.id),
        trace_id: unit.trace_id.clone(),
        attempt: 1,
    };
    attempt(dep, unit, r, &ctx).await
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
    let _turn = crate::ALONE.read().await;
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
    let _turn = crate::ALONE.read().await;
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
    let _turn = crate::ALONE.read().await;
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
async fn guest_panic_message_is_in_the_fault() {
    let _turn = crate::ALONE.read().await;
    let host = TestHost::new();
    let dep = hostile(&host).await;
    let out = attempt_output(&dep, &rec("trap", json!({}))).await;
    let AttemptResult::Fault(GuestFault::Trap(text)) = &out.result else {
        panic!("expected trap, got {:?}", out.result);
    };
    assert!(text.contains("; guest stderr (last "), "{text}");
    assert!(text.contains("panicked at"), "{text}");
    assert!(
        text.contains("hostile guest panics on purpose"),
        "the Rust panic message is in the fault: {text}"
    );
    assert!(
        out.observed
            .stderr
            .contains("hostile guest panics on purpose"),
        "{:?}",
        out.observed.stderr
    );
    assert_eq!(out.observed.dropped_stderr_bytes, 0);
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_values_are_redacted_from_guest_stderr() {
    let _turn = crate::ALONE.read().await;
    let host = TestHost::new();
    // A deployment whose secret value happens to appear in what the guest writes.
    let secret = host.write_secret("hostile-leak", "panics on purpose");
    let manifest = format!(
        "{MANIFEST}\n[secrets]\nleak = {{ file = {secret:?}, hosts = [\"https://allowed.example\"] }}\n"
    );
    let dep = host.deploy("acme", &guest_wasm("hostile"), &manifest).await;
    let out = attempt_output(&dep, &rec("trap", json!({}))).await;
    let AttemptResult::Fault(GuestFault::Trap(text)) = &out.result else {
        panic!("expected trap, got {:?}", out.result);
    };
    assert!(text.contains("hostile guest [redacted]"), "{text}");
    assert!(!text.contains("panics on purpose"), "{text}");
    assert!(
        out.observed.stderr.contains("hostile guest [redacted]"),
        "{:?}",
        out.observed.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_writing_far_past_the_output_cap_still_completes() {
    let _turn = crate::ALONE.read().await;
    let host = TestHost::new();
    // 16,384 writes (each a WASI call) take about 320 ms of guest time in a debug host
    // on an idle machine, past the fixture's 200 ms budget: this test is about the
    // output cap, so it gets a budget with room for a loaded machine.
    let manifest = MANIFEST.replace("time_budget_ms = 200", "time_budget_ms = 4000");
    let dep = host.deploy("acme", &guest_wasm("hostile"), &manifest).await;
    let out = attempt_output(&dep, &rec("noisy", json!({}))).await;
    match &out.result {
        AttemptResult::Delivered(o) => assert_eq!(o.primary.id, "noisy-1"),
        other => panic!("a noisy guest is still a working guest: {other:?}"),
    }
    let written = 16_384 * 64 + "noisy done\n".len() as u64;
    let stderr = &out.observed.stderr;
    assert_eq!(stderr.len(), MAX_STREAM_BYTES, "the last bytes are kept");
    assert!(
        stderr.ends_with(
            "noisy line 16383 ----------------------------------------------\nnoisy done\n"
        ),
        "{stderr:?}"
    );
    assert_eq!(
        out.observed.dropped_stderr_bytes,
        written - MAX_STREAM_BYTES as u64
    );
    assert_eq!(out.observed.stdout, "noisy stdout\n");
    assert_eq!(out.observed.dropped_stdout_bytes, 0);
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spinning_guest_does_not_stall_other_work() {
    let _turn = crate::ALONE.read().await;
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
    let _turn = crate::ALONE.read().await;
    let host = TestHost::new();
    let dep = hostile(&host).await;
    let text = fetch_error(&dep, "https://evil.example/steal").await;
    assert!(text.starts_with("Denied("), "{text}");
    assert!(text.contains("not in the allowlist"), "{text}");
    // The guest's own input is not quoted back to it.
    assert!(!text.contains("evil.example"), "{text}");
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denies_loopback_without_permission() {
    let _turn = crate::ALONE.read().await;
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
    let _turn = crate::ALONE.read().await;
    let host = TestHost::new();
    let dep = hostile(&host).await;
    let text = fetch_error(&dep, "http://169.254.169.254/latest/meta-data/").await;
    assert!(text.starts_with("Denied("), "{text}");
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_queue_and_config_reach_the_guest() {
    let _turn = crate::ALONE.read().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_ceiling_holds_a_connector_that_declares_no_budget() {
    let _turn = crate::ALONE.read().await;
    let (addr, seen) =
        switchboard_tests::loopback::recording_server("200 OK", |_| "{}".into()).await;
    let host = TestHost::new();
    // The hostile connector declares no rate limits at all; only the operator's ceiling
    // stands between it and the CRM.
    let manifest = format!(
        "{}\n[rate_limits]\nmax_wait_ms = 0\nceiling_requests = 5\nceiling_window_ms = 60000\n",
        MANIFEST.replace("[http]\n", "[http]\nallow_private_addresses = true\n")
    );
    let dep = host.deploy("acme", &guest_wasm("hostile"), &manifest).await;
    let out = outcome(
        &dep,
        &rec("flood", json!({"url": format!("http://{addr}/")})),
    )
    .await;
    assert_eq!(seen.lock().unwrap().len(), 5, "{out:?}");
    // The attempt ended on the held-back request: a rate limit, so the record waits.
    match out {
        AttemptResult::Failed(ErrorClass::RateLimited(r)) => {
            assert!(r.policy.contains("operator-ceiling"), "{r:?}");
        }
        other => panic!("expected rate-limited, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_cannot_make_the_host_lift_more_than_its_transfer_limit() {
    let _turn = crate::ALONE.read().await;
    let host = TestHost::new();
    let dep = hostile(&host).await;
    // 8 MiB of field errors against a limit of 5 MiB (the 4 MiB request default + 1 MiB).
    assert_eq!(dep.limits().max_transfer_bytes, 5 << 20);
    match outcome(&dep, &rec("big-return", json!({}))).await {
        AttemptResult::Fault(GuestFault::Trap(text)) => {
            assert!(text.contains("fuel"), "{text}");
        }
        other => panic!("expected the lift to be refused, got {other:?}"),
    }
    assert_healthy(&dep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aliased_buffer_is_charged_for_every_time_it_is_lifted() {
    let _turn = crate::ALONE.read().await;
    let host = TestHost::new();
    let dep = host.deploy("acme", &guest_wasm("aliasing"), MANIFEST).await;
    // One 1 MiB buffer returned 120 times: 1 MiB of guest memory, 120 MiB to lift.
    match outcome(&dep, &rec("alias", json!({}))).await {
        AttemptResult::Fault(GuestFault::Trap(text)) => {
            assert!(text.contains("fuel"), "{text}");
        }
        other => panic!("expected the lift to be refused, got {other:?}"),
    }
    match outcome(&dep, &rec("echo", json!({}))).await {
        AttemptResult::Delivered(o) => assert_eq!(o.primary.id, "echo-1"),
        other => panic!("host unhealthy after the aliasing guest: {other:?}"),
    }
}
