//! Audit log on a store of one million entries: searches, purge and append throughput.
//!
//! Run: `cargo bench -p switchboard-storage --bench audit`.
//!
//! The store (a sled directory in a temp dir) is filled once, before anything is measured,
//! with 1,000,000 entries over 7 days: 1,000 tenants of skewed size (the largest holds
//! about 3% of the entries, the smallest about 0.05%), about 10 attempts per record spread
//! over ~2 hours, one trace per record, ~400-byte JSON bodies. Record ids repeat across
//! tenants (`deal-0` .. `deal-19999`), as source-system ids do.
//!
//! Append adds entries newer than the fill; each purge iteration first (unmeasured) adds
//! 1,000 entries older than the fill, then removes them, so the store keeps its size.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use switchboard_storage::{AuditLog, AuditQuery, NewAuditEntry, Storage};

const ENTRIES: u64 = 1_000_000;
const TENANTS: u64 = 1_000;
const ATTEMPTS_PER_RECORD: u64 = 10;
/// Records with attempts in flight at once: entry `i` belongs to record
/// `(i % ACTIVE) + ACTIVE * (i / (ACTIVE * ATTEMPTS_PER_RECORD))`.
const ACTIVE: u64 = 1_000;
const DISTINCT_RECORD_IDS: u64 = 20_000;
const START_MS: u64 = 1_767_225_600_000; // 2026-01-01
const SPAN_MS: u64 = 7 * 24 * 3_600_000;
const STEP_MS: u64 = SPAN_MS / ENTRIES;
const HOUR_MS: u64 = 3_600_000;
const FILL_BATCH: usize = 1_000;
const CONNECTORS: [&str; 3] = ["hubspot", "salesforce", "pipedrive"];

/// splitmix64: a deterministic hash, so every run builds the same store.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The record of entry `i` and which attempt (0-based) of it the entry is.
fn record_of(i: u64) -> (u64, u64) {
    let block = i / (ACTIVE * ATTEMPTS_PER_RECORD);
    (
        i % ACTIVE + ACTIVE * block,
        (i / ACTIVE) % ATTEMPTS_PER_RECORD,
    )
}

/// Skewed tenant sizes: tenant `floor(TENANTS * u^2)` for uniform `u`, so `P(tenant < k) =
/// sqrt(k / TENANTS)`.
fn tenant_of(record: u64) -> u64 {
    let u = (mix(record) >> 11) as f64 / (1u64 << 53) as f64;
    ((u * u * TENANTS as f64) as u64).min(TENANTS - 1)
}

struct Fields {
    time_ms: u64,
    tenant: String,
    connector: &'static str,
    record_id: String,
    trace_id: String,
    body: Vec<u8>,
}

fn fields(i: u64) -> Fields {
    let (record, attempt) = record_of(i);
    let tenant = format!("tenant-{:04}", tenant_of(record));
    let connector = CONNECTORS[(mix(record ^ 0x5555) % 3) as usize];
    let record_id = format!("deal-{}", mix(record ^ 0xaaaa) % DISTINCT_RECORD_IDS);
    let trace_id = format!("{:016x}{:016x}", mix(record), mix(record + 1));
    let time_ms = START_MS + i * STEP_MS;
    let (event, outcome, status) = match attempt {
        0 => ("enqueued", "accepted", 202),
        9 => ("acknowledged", "delivered", 200),
        _ => ("attempt", "retry", 429),
    };
    let body = format!(
        concat!(
            r#"{{"event":"{event}","tenant":"{tenant}","connector":"{connector}","#,
            r#""connector_version":"1.4.2","record_id":"{record_id}","trace_id":"{trace}","#,
            r#""attempt":{attempt},"outcome":"{outcome}","http_status":{status},"#,
            r#""error":"rate limited by CRM (Retry-After: 30s)","duration_ms":{duration},"#,
            r#""next_attempt_ms":{next},"idempotency_key":"{tenant}:{record_id}:{connector}","#,
            r#""request":{{"method":"POST","path":"/crm/v3/objects/calls/batch/upsert"}}}}"#
        ),
        event = event,
        tenant = tenant,
        connector = connector,
        record_id = record_id,
        trace = trace_id,
        attempt = attempt,
        outcome = outcome,
        status = status,
        duration = 40 + mix(i) % 900,
        next = time_ms + 30_000,
    );
    Fields {
        time_ms,
        tenant,
        connector,
        record_id,
        trace_id,
        body: body.into_bytes(),
    }
}

fn new_entry(f: &Fields) -> NewAuditEntry<'_> {
    NewAuditEntry {
        time_ms: f.time_ms,
        tenant: &f.tenant,
        connector: f.connector,
        record_id: &f.record_id,
        trace_id: &f.trace_id,
        body: &f.body,
    }
}

fn fill(log: &AuditLog) {
    let started = Instant::now();
    let mut body_bytes = 0;
    for batch_start in (0..ENTRIES).step_by(FILL_BATCH) {
        let batch: Vec<Fields> = (batch_start..(batch_start + FILL_BATCH as u64).min(ENTRIES))
            .map(fields)
            .collect();
        body_bytes += batch.iter().map(|f| f.body.len()).sum::<usize>();
        let entries: Vec<NewAuditEntry<'_>> = batch.iter().map(new_entry).collect();
        log.append(&entries).expect("fill append");
    }
    eprintln!(
        "filled {ENTRIES} entries (mean body {} bytes) in {:.1?}",
        body_bytes / ENTRIES as usize,
        started.elapsed()
    );
}

/// Query samples spread over the whole store, so not one hot key is measured.
fn samples<T>(n: u64, make: impl Fn(u64) -> T) -> Vec<T> {
    (0..n).map(|k| make(mix(k) % ENTRIES)).collect()
}

/// Prints the mean number of results of a query set, so the numbers can be read in context.
fn report(log: &AuditLog, name: &str, queries: &[AuditQuery]) {
    let found: usize = queries
        .iter()
        .map(|q| log.search(q).expect("search").len())
        .sum();
    eprintln!(
        "{name}: {:.1} results per query on average",
        found as f64 / queries.len() as f64
    );
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Storage::open(dir.path()).expect("open storage");
    let log = storage.audit();
    fill(&log);

    let mut group = c.benchmark_group("audit_1m");
    group.measurement_time(Duration::from_secs(4));

    let by_record = samples(512, |i| {
        let f = fields(i);
        AuditQuery {
            tenant: Some(f.tenant),
            record_id: Some(f.record_id),
            ..AuditQuery::default()
        }
    });
    let mut k = 0;
    report(&log, "search_record_id_and_tenant", &by_record);
    group.bench_function("search_record_id_and_tenant", |b| {
        b.iter(|| {
            k += 1;
            let found = log.search(&by_record[k % by_record.len()]).expect("search");
            debug_assert!(!found.is_empty());
            black_box(found)
        })
    });

    let by_record_any = samples(512, |i| AuditQuery {
        record_id: Some(fields(i).record_id),
        ..AuditQuery::default()
    });
    report(&log, "search_record_id_any_tenant", &by_record_any);
    group.bench_function("search_record_id_any_tenant", |b| {
        b.iter(|| {
            k += 1;
            black_box(log.search(&by_record_any[k % by_record_any.len()]))
        })
    });

    let by_trace = samples(512, |i| AuditQuery {
        trace_id: Some(fields(i).trace_id),
        ..AuditQuery::default()
    });
    report(&log, "search_trace_id", &by_trace);
    group.bench_function("search_trace_id", |b| {
        b.iter(|| {
            k += 1;
            black_box(log.search(&by_trace[k % by_trace.len()]))
        })
    });

    // Tenant + the hour before a sampled entry, limit 100, for the largest tenant (the
    // hour holds more than 100 of its entries) and for typical ones (it holds a few).
    let hour_of = |tenant: String, i: u64| {
        let to = START_MS + i * STEP_MS + 1;
        AuditQuery {
            tenant: Some(tenant),
            from_ms: Some(to.saturating_sub(HOUR_MS)),
            to_ms: Some(to),
            limit: 100,
            ..AuditQuery::default()
        }
    };
    let largest = samples(512, |i| hour_of("tenant-0000".to_owned(), i));
    report(&log, "search_largest_tenant_1h_limit_100", &largest);
    group.bench_function("search_largest_tenant_1h_limit_100", |b| {
        b.iter(|| {
            k += 1;
            black_box(log.search(&largest[k % largest.len()]))
        })
    });
    let typical = samples(512, |i| hour_of(fields(i).tenant, i));
    report(&log, "search_tenant_1h_limit_100", &typical);
    group.bench_function("search_tenant_1h_limit_100", |b| {
        b.iter(|| {
            k += 1;
            black_box(log.search(&typical[k % typical.len()]))
        })
    });

    let any_hour = samples(512, |i| {
        let to = START_MS + i * STEP_MS + 1;
        AuditQuery {
            from_ms: Some(to.saturating_sub(HOUR_MS)),
            to_ms: Some(to),
            limit: 100,
            ..AuditQuery::default()
        }
    });
    report(&log, "search_time_1h_limit_100", &any_hour);
    group.bench_function("search_time_1h_limit_100", |b| {
        b.iter(|| {
            k += 1;
            black_box(log.search(&any_hour[k % any_hour.len()]))
        })
    });

    // Append: batches of 64 entries newer than the fill (one transaction each, no flush).
    let mut next = ENTRIES;
    group.throughput(Throughput::Elements(64));
    group.bench_function("append_batch_64", |b| {
        b.iter_batched(
            || {
                let batch: Vec<Fields> = (next..next + 64).map(fields).collect();
                next += 64;
                batch
            },
            |batch| {
                let entries: Vec<NewAuditEntry<'_>> = batch.iter().map(new_entry).collect();
                black_box(log.append(&entries).expect("append"))
            },
            BatchSize::SmallInput,
        )
    });

    // Purge: one call removing the 1,000 oldest entries and their index rows. Each
    // iteration first (unmeasured) appends 1,000 entries older than the fill, so the store
    // stays at its size however many iterations criterion runs.
    let mut old = 0;
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("purge_batch_1000", |b| {
        b.iter_batched(
            || {
                let batch: Vec<Fields> = (old..old + 1_000)
                    .map(|n| Fields {
                        time_ms: START_MS - 10_000_000 + n,
                        ..fields(n)
                    })
                    .collect();
                old += 1_000;
                let entries: Vec<NewAuditEntry<'_>> = batch.iter().map(new_entry).collect();
                log.append(&entries).expect("append old entries");
            },
            |()| {
                let removed = log.purge_older_than(START_MS, 1_000).expect("purge");
                assert_eq!(removed, 1_000);
                removed
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
    let started = Instant::now();
    let len = log.len().expect("len");
    eprintln!("len() = {len} (a full scan) took {:.1?}", started.elapsed());
}

criterion_group!(benches, bench);
criterion_main!(benches);
