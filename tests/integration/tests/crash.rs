//! Crash safety of `switchboard serve`: the server runs as a child process
//! delivering thousands of call records to the HubSpot simulator (which runs
//! in this test process and so survives every crash), is SIGKILLed at random
//! moments (some of them while it is still starting up and recovering) and
//! restarted on the same data dir each time. At the end, every record the
//! ingest API acknowledged (202) must be in the CRM exactly once, nothing
//! else may be there, and the DLQ and the audit log must agree.
//!
//! The kill schedule is drawn from a seeded generator; the seed is printed
//! and can be replayed with `SWITCHBOARD_CRASH_SEED=...`.

#[path = "crash/flood.rs"]
mod flood;
#[path = "crash/full_disk.rs"]
mod full_disk;
#[path = "crash/harness.rs"]
mod harness;
#[path = "crash/reconcile.rs"]
mod reconcile;

use std::time::{Duration, Instant};

use harness::{Load, Rng, Server, Stage, batches, client, loader, log_tail, pending, seed};
use reconcile::reconcile;
use tokio::sync::watch;

/// SIGKILLs, at least.
const KILLS: usize = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_records_land_exactly_once_across_sigkills() {
    let seed = seed();
    println!("crash test seed: {seed} (replay with SWITCHBOARD_CRASH_SEED={seed})");
    let mut rng = Rng(seed);

    let stage = Stage::set_up().await;
    let started = Instant::now();
    let (sim, config, log) = (&stage.sim, &stage.config, &stage.log);

    let batches = batches(&mut rng);
    let request_count = batches.len();
    let load = Load::new(batches);

    let (url_tx, url_rx) = watch::channel::<Option<String>>(None);
    let loaders: Vec<_> = (0..2u64)
        .map(|n| tokio::spawn(loader(load.clone(), url_rx.clone(), seed ^ (n + 1))))
        .collect();

    // The kills. Every fourth or so run is killed while it is starting up
    // (before or right after it says it listens: leases from the previous
    // run are being released and redelivered); the rest after a random
    // 50-600 ms of work.
    let mut kills = 0;
    let mut startups: Vec<Duration> = Vec::new();
    let mut early_kills = 0;
    let mut prestart_kills = 0;
    let mut before_listening_kills = 0;
    while kills < KILLS {
        let spawned = Instant::now();
        let mut server = Server::spawn(config, log);
        let mode = match kills % 6 {
            1 => 1,
            4 => 2,
            _ if rng.range(0, 9) == 0 => 1,
            _ => 0,
        };
        if mode == 2 {
            // Possibly before it even listens.
            tokio::time::sleep(Duration::from_millis(rng.range(0, 250))).await;
            prestart_kills += 1;
            if server.listening.try_recv().is_err() {
                before_listening_kills += 1;
            }
        } else {
            let base = server.wait_listening(Duration::from_secs(60)).await;
            let Some(base) = base else {
                panic!(
                    "switchboard serve exited before listening:\n{}",
                    log_tail(log)
                );
            };
            startups.push(spawned.elapsed());
            url_tx.send_replace(Some(base));
            if mode == 1 {
                tokio::time::sleep(Duration::from_millis(rng.range(0, 30))).await;
                early_kills += 1;
            } else {
                tokio::time::sleep(Duration::from_millis(rng.range(50, 600))).await;
            }
        }
        url_tx.send_replace(None);
        let up = spawned.elapsed();
        server.sigkill();
        kills += 1;
        println!(
            "kill {kills}: mode {mode}, up {up:?}, cycle {:?}, acked {}",
            spawned.elapsed(),
            load.acked.lock().unwrap().len()
        );
    }
    let kill_phase = started.elapsed();
    let acked_during_kills = load.acked.lock().unwrap().len();
    let delivered_during_kills = sim.snapshot().calls.len();

    // The last run: finish the load, then let it deliver everything.
    let mut server = Server::spawn(config, log);
    let base = server
        .wait_listening(Duration::from_secs(60))
        .await
        .expect("final server listening");
    url_tx.send_replace(Some(base.clone()));
    for l in loaders {
        tokio::time::timeout(Duration::from_secs(60), l)
            .await
            .expect("loaders finish within 60 s of the last restart")
            .expect("loader panicked");
    }
    let http = client();
    let drain_started = Instant::now();
    loop {
        if pending(&http, &base).await == Some(0) {
            break;
        }
        assert!(
            drain_started.elapsed() < Duration::from_secs(120),
            "records still pending after 120 s:\n{}",
            log_tail(log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stage.keep_cache();

    let found = reconcile(&http, &base, &sim.base_url(), &load).await;

    let exit = server.terminate().await;

    startups.sort();
    println!(
        "crash test startups (spawn to listening): min {:?}, median {:?}, max {:?}",
        startups.first(),
        startups.get(startups.len() / 2),
        startups.last()
    );
    println!(
        "crash test summary: seed {seed}; {kills} SIGKILLs ({early_kills} within 30 ms of \
         listening, {prestart_kills} within 250 ms of spawn, {before_listening_kills} of them \
         before it listened); {request_count} batches, \
         {} failed requests re-sent, {} re-sent records reported as duplicates; {} records \
         acknowledged during the kills, {} calls in the CRM by then; {} acknowledged in all \
         ({} valid, {} invalid), {} refused at ingest; {} calls, {} contacts in the CRM; \
         {} dead letters; {} audited attempts, {} records with \
         more than one delivered attempt; kill phase {:.1} s, total {:.1} s (after building)",
        load.failed_requests.lock().unwrap(),
        load.duplicates.lock().unwrap(),
        acked_during_kills,
        delivered_during_kills,
        found.acked,
        found.good_acked,
        found.bad_acked,
        found.refused,
        found.calls,
        found.contacts,
        found.dead_letters,
        found.attempts,
        found.multi_delivered,
        kill_phase.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );

    let failure_hint = format!("(seed {seed}; server log:\n{})", log_tail(log));
    found.assert_clean(&failure_hint);
    assert_eq!(
        exit.code(),
        Some(0),
        "graceful shutdown on SIGTERM exits 0 {failure_hint}"
    );
    let Stage { sim, .. } = stage;
    sim.shutdown().await;
}
