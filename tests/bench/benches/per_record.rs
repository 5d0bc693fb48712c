//! Per-record cost of the HubSpot connector: in the host (fresh pooled
//! instance + normalize + map-fields) versus the same Rust code compiled
//! natively. Run: `cargo bench -p switchboard-bench`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/fresh.rs"]
mod common;
use serde_json::json;
use switchboard_runtime::types::{CrmResponse, Record};
use switchboard_runtime::{Deployment, WorkUnit};
use switchboard_tests::{TestHost, connector_wasm, record};

fn sample() -> Record {
    record(json!({"id": "call-1", "kind": "call", "fields": {
        "phone": "07911 123456",
        "email": " Ann@Example.com ",
        "started-at": "2026-11-24T09:30:00+01:00",
        "duration-seconds": 125,
        "direction": "outbound",
        "title": "Renewal call",
        "notes": "Discussed the renewal",
    }}))
}

/// The same record as the SDK's type, for the native build.
fn native_sample() -> switchboard_sdk_types::Record {
    switchboard_sdk_types::convert(&sample())
}

mod switchboard_sdk_types {
    //! Host records and SDK records are generated from the same WIT but are
    //! distinct Rust types; this converts one to the other.
    use switchboard_runtime::types as host;
    pub use switchboard_sdk::{Field, Record, Value};

    pub fn convert(r: &host::Record) -> Record {
        Record {
            id: r.id.clone(),
            kind: r.kind.clone(),
            fields: r
                .fields
                .iter()
                .map(|f| Field {
                    name: f.name.clone(),
                    value: match &f.value {
                        host::Value::Null => Value::Null,
                        host::Value::Text(s) => Value::Text(s.clone()),
                        host::Value::Integer(i) => Value::Integer(*i),
                        host::Value::Number(n) => Value::Number(*n),
                        host::Value::Boolean(b) => Value::Boolean(*b),
                        host::Value::Timestamp(s) => Value::Timestamp(s.clone()),
                        host::Value::Json(s) => Value::Json(s.clone()),
                    },
                })
                .collect(),
        }
    }
}

fn per_record(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let host = TestHost::new();
    host.write_secret("bench-token", "not-used-by-normalize-or-map");
    let dep: Deployment =
        rt.block_on(host.deploy("bench", &connector_wasm("hubspot"), &common::manifest(64)));
    let rec = sample();
    let unit = WorkUnit {
        record_id: "call-1".into(),
        trace_id: "bench".into(),
    };

    let mut g = c.benchmark_group("hubspot");

    // Fresh-instance cases first: the warm-instance cases below leave pool
    // slots with more dirty pages, which inflates instantiation measured
    // after them (29 µs instead of 13 µs for instantiate + call).

    common::bench_fresh(&mut g, &rt, &dep, &rec, "wasm ");
    g.bench_function("native normalize+map", |b| {
        let native = native_sample();
        b.iter(|| {
            let n =
                hubspot::normalize_record_with(black_box(native.clone()), "GB").expect("normalize");
            black_box(hubspot::map_record(n).expect("map"))
        })
    });

    g.bench_function("wasm normalize+map (warm instance)", |b| {
        let mut inst = rt
            .block_on(dep.instantiate(unit.clone()))
            .expect("instance");
        b.iter(|| {
            rt.block_on(async { black_box(common::normalize_and_map(&mut inst, &rec).await) })
        })
    });

    g.bench_function("wasm classify-error (warm instance, trivial call)", |b| {
        let mut inst = rt
            .block_on(dep.instantiate(unit.clone()))
            .expect("instance");
        let tiny = CrmResponse {
            status: 503,
            headers: Vec::new(),
            body: Vec::new(),
        };
        b.iter(|| {
            rt.block_on(async {
                black_box(
                    inst.classify_error(black_box(&tiny))
                        .await
                        .expect("no fault"),
                )
            })
        })
    });

    g.finish();
}

criterion_group!(benches, per_record);
criterion_main!(benches);
