//! The fresh-instance cases both per-record benchmarks measure: a fresh pooled
//! instance alone, with one trivial call, and with normalize + map-fields.

use std::hint::black_box;

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use switchboard_runtime::types::{CrmResponse, Payload, Record};
use switchboard_runtime::{ConnectorInstance, Deployment, WorkUnit};

/// A HubSpot deployment manifest for benchmarks: `memory_mb` per instance, budgets no
/// benchmark reaches (one warm instance serves millions of calls), region GB, and a token
/// (`bench-token.secret`) that normalize and map-fields never use.
pub fn manifest(memory_mb: u32) -> String {
    format!(
        r#"
[limits]
memory_mb = {memory_mb}
time_budget_ms = 600000
wall_timeout_ms = 3600000

[config]
default-region = "GB"

[secrets]
hubspot-token = {{ file = "bench-token.secret" }}
"#
    )
}

/// normalize then map-fields in `inst`, as one attempt does before `push`.
pub async fn normalize_and_map(inst: &mut ConnectorInstance, rec: &Record) -> Payload {
    let n = inst
        .normalize(black_box(rec))
        .await
        .expect("no fault")
        .expect("valid");
    inst.map_fields(&n)
        .await
        .expect("no fault")
        .expect("mapped")
}

/// Adds the three fresh-instance cases to `g`, named `{prefix}instantiate`,
/// `{prefix}instantiate+call (classify-error)` and `{prefix}instantiate+normalize+map`.
pub fn bench_fresh(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    dep: &Deployment,
    rec: &Record,
    prefix: &str,
) {
    let unit = WorkUnit {
        record_id: rec.id.clone(),
        trace_id: "bench".into(),
    };
    g.bench_function(format!("{prefix}instantiate"), |b| {
        b.iter(|| {
            rt.block_on(async { black_box(dep.instantiate(unit.clone()).await.expect("instance")) })
        })
    });
    // The host's own per-record overhead: a fresh pooled instance plus one
    // export call that does almost no guest work.
    let tiny = CrmResponse {
        status: 503,
        headers: Vec::new(),
        body: Vec::new(),
    };
    g.bench_function(format!("{prefix}instantiate+call (classify-error)"), |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut inst = dep.instantiate(unit.clone()).await.expect("instance");
                black_box(
                    inst.classify_error(black_box(&tiny))
                        .await
                        .expect("no fault"),
                )
            })
        })
    });
    g.bench_function(format!("{prefix}instantiate+normalize+map"), |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut inst = dep.instantiate(unit.clone()).await.expect("instance");
                black_box(normalize_and_map(&mut inst, rec).await)
            })
        })
    });
}
