//! Every event a connector causes (its `log` calls and its `audit`
//! annotations) reaches `tracing` tagged with tenant, connector, record id
//! and trace id, so one record's story can be found in any log pipeline.

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

#[tokio::test]
async fn log_and_audit_events_name_tenant_connector_record_and_trace() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // Thread-local: this test runs on one thread (current-thread runtime).
    let _guard = tracing::subscriber::set_default(subscriber);

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

    let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8 log");
    let events: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
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
