//! Per-record cost of the same HubSpot connector written in Rust, Python
//! (componentize-py) and JavaScript (componentize-js): a fresh pooled,
//! pre-initialized instance plus one call, as the host runs every record.
//! Run: `cargo bench -p switchboard-bench --bench languages`.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/fresh.rs"]
mod common;
use serde_json::json;
use switchboard_runtime::Deployment;
use switchboard_tests::{TestHost, connector_wasm, language_connector_wasm, record};

/// The same limits for all three, with room to spare for each (the conformance kit
/// measured peaks of 33.9 MiB for Rust, 13.1 for Python and 10.1 for JavaScript).
const MEMORY_MB: u32 = 128;

fn languages(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let host = TestHost::new();
    host.write_secret("bench-token", "not-used-by-normalize-or-map");
    let rec = record(json!({"id": "call-1", "kind": "call", "fields": {
        "phone": "07911 123456",
        "email": " Ann@Example.com ",
        "started-at": "2026-11-24T09:30:00+01:00",
        "duration-seconds": 125,
        "direction": "outbound",
        "title": "Renewal call",
    }}));
    let connectors = [
        ("rust", connector_wasm("hubspot")),
        ("python", language_connector_wasm("hubspot-py")),
        ("javascript", language_connector_wasm("hubspot-js")),
    ];
    for (language, wasm) in connectors {
        let dep: Deployment =
            rt.block_on(host.deploy(language, &wasm, &common::manifest(MEMORY_MB)));
        let mut g = c.benchmark_group(language);
        common::bench_fresh(&mut g, &rt, &dep, &rec, "");
        g.finish();
    }
}

criterion_group!(benches, languages);
criterion_main!(benches);
