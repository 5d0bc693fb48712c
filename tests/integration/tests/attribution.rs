//! Every event a connector causes (its `log` calls, its `audit` annotations
//! and the stderr of a unit that faulted) reaches `tracing` tagged with tenant,
//! connector, record id and trace id, so one record's story can be found in
//! any log pipeline.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use switchboard_runtime::{AttemptResult, RetryPolicy, deliver};
use switchboard_tests::{TestHost, guest_wasm, record};

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Every JSON event written so far, and the raw text.
    fn events(&self) -> (Vec<Value>, String) {
        let text = String::from_utf8(self.0.lock().expect("lock").clone()).expect("utf-8 log");
        let events = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        (events, text)
    }
}

/// A JSON subscriber writing into a fresh capture, for this thread only.
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // Thread-local: these tests run on one thread (current-thread runtime).
    (captured, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn log_and_audit_events_name_tenant_connector_record_and_trace() {
    let (captured, _guard) = capture();

    let host = TestHost::new();
    let dep = host
        .deploy("acme", &guest_wasm("hostile"), "[limits]\nmemory_mb = 32\n")
        .await;
    let rec = record(json!({"id": "echo-1", "kind": "echo", "fields": {}}));
    let report = deliver(&dep, &rec, &RetryPolicy::default()).await;
    assert!(matches!(
        report.outcome(),
        Some(AttemptResult::Delivered(_))
    ));

    let (events, text) = captured.events();
    for target in ["switchboard::connector", "switchboard::audit"] {
        let event = events
            .iter()
            .find(|e| e["target"] == target)
            .unwrap_or_else(|| panic!("no {target} event in:\n{text}"));
        let fields = &event["fields"];
        assert_eq!(fields["tenant"], "acme", "{event}");
        assert_eq!(fields["connector"], "hostile", "{event}");
        assert_eq!(fields["record_id"], "echo-1", "{event}");
        assert_eq!(fields["trace_id"], report.trace_id.as_str(), "{event}");
    }
}

#[tokio::test]
async fn stderr_of_a_faulted_unit_is_traced_with_its_identity() {
    let (captured, _guard) = capture();
    let host = TestHost::new();
    let dep = host
        .deploy("acme", &guest_wasm("hostile"), "[limits]\nmemory_mb = 32\n")
        .await;
    let rec = record(json!({"id": "trap-1", "kind": "trap", "fields": {}}));
    let policy = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let report = deliver(&dep, &rec, &policy).await;
    assert!(matches!(report.outcome(), Some(AttemptResult::Fault(_))));

    let (events, text) = captured.events();
    let event = events
        .iter()
        .find(|e| {
            e["target"] == "switchboard::connector"
                && e["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("hostile guest panics on purpose"))
        })
        .unwrap_or_else(|| panic!("no stderr event in:\n{text}"));
    let fields = &event["fields"];
    assert_eq!(event["level"], "WARN", "{event}");
    assert_eq!(fields["tenant"], "acme", "{event}");
    assert_eq!(fields["connector"], "hostile", "{event}");
    assert_eq!(fields["record_id"], "trap-1", "{event}");
    assert_eq!(fields["trace_id"], report.trace_id.as_str(), "{event}");
}
