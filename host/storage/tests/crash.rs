//! Process-crash durability: a child process writes and then aborts (no destructors, no
//! final flush); the parent reopens the directory and checks what survived.
//!
//! Each test re-runs this test binary as the child, selected by an environment variable.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use switchboard_storage::{Scope, Storage};

const CHILD_DIR: &str = "SWITCHBOARD_STORAGE_CRASH_DIR";

/// Runs `test` of this binary as a child with `CHILD_DIR=dir`; returns its stdout and
/// asserts it did not exit normally.
fn run_child(test: &str, dir: &Path) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !out.status.success(),
        "child should have aborted: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn value_after<'a>(stdout: &'a str, tag: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.split_once(tag).map(|(_, rest)| rest.trim()))
        .unwrap_or_else(|| panic!("no {tag} in child output: {stdout}"))
}

#[test]
fn enqueued_job_survives_process_abort() {
    let scope = Scope::new("acme", "hubspot");
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        let storage = Storage::open(Path::new(&dir)).unwrap();
        let queue = storage.jobs(&scope);
        let id = queue
            .enqueue("push", b"must-survive", Duration::ZERO)
            .unwrap();
        println!("ID={id}");
        std::process::abort();
    }
    let dir = tempfile::tempdir().unwrap();
    let stdout = run_child("enqueued_job_survives_process_abort", dir.path());
    let id = value_after(&stdout, "ID=");

    let storage = Storage::open(dir.path()).unwrap();
    let job = storage
        .jobs(&scope)
        .get(id)
        .unwrap()
        .expect("job lost in crash");
    assert_eq!(job.payload, b"must-survive");
}

#[test]
fn flushed_state_survives_process_abort() {
    let scope = Scope::new("acme", "hubspot");
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        let storage = Storage::open(Path::new(&dir)).unwrap();
        storage.state(&scope).set("cursor", b"flushed").unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(storage.flush()).unwrap();
        println!("FLUSHED");
        std::process::abort();
    }
    let dir = tempfile::tempdir().unwrap();
    let stdout = run_child("flushed_state_survives_process_abort", dir.path());
    value_after(&stdout, "FLUSHED");

    let storage = Storage::open(dir.path()).unwrap();
    let value = storage.state(&scope).get("cursor").unwrap();
    assert_eq!(value.as_deref(), Some(&b"flushed"[..]));
}

#[test]
fn synced_enqueues_survive_process_abort_before_reaching_sled() {
    use switchboard_storage::delivery::{DeliveryStore, NewItem};
    let lane = Scope::new("acme", "hubspot");
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        let storage = Storage::open(Path::new(&dir)).unwrap();
        let store = storage.delivery();
        let ids: Vec<String> = (0..500).map(|i| format!("r{i}")).collect();
        let items: Vec<NewItem<'_>> = ids
            .iter()
            .map(|id| NewItem {
                lane: &lane,
                record_id: id,
                body: b"must-survive",
                due_ms: 0,
            })
            .collect();
        store.enqueue(&items).unwrap();
        // Only the ingest log is synced: the abort may come before the applier writes
        // the items into sled.
        store.sync_enqueued().unwrap();
        println!("SYNCED");
        std::process::abort();
    }
    let dir = tempfile::tempdir().unwrap();
    let stdout = run_child(
        "synced_enqueues_survive_process_abort_before_reaching_sled",
        dir.path(),
    );
    value_after(&stdout, "SYNCED");
    let storage = Storage::open(dir.path()).unwrap();
    let store = storage.delivery();
    assert_eq!(store.pending(&lane).unwrap(), 500);
    let leased = store.lease(&lane, 0, 1000, 1000).unwrap();
    assert_eq!(leased.len(), 500);
    assert!(leased.iter().all(|l| l.body == b"must-survive"));
}
