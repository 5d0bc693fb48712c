//! Data survives closing and reopening the same directory (real files in a tempdir).

use std::time::Duration;

use switchboard_storage::{Scope, Storage};

#[tokio::test]
async fn state_persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let scope = Scope::new("acme", "hubspot");
    {
        let storage = Storage::open(dir.path()).unwrap();
        let state = storage.state(&scope);
        state.set("cursor", b"1700000000").unwrap();
        state.set("gone", b"x").unwrap();
        assert!(state.delete("gone").unwrap());
        storage.flush().await.unwrap();
    }
    let storage = Storage::open(dir.path()).unwrap();
    let state = storage.state(&scope);
    assert_eq!(
        state.get("cursor").unwrap().as_deref(),
        Some(&b"1700000000"[..])
    );
    assert_eq!(state.get("gone").unwrap(), None);
    assert_eq!(state.len().unwrap(), 1, "key count persists with the keys");
    assert_eq!(
        storage
            .state(&Scope::new("acme", "other"))
            .get("cursor")
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn jobs_persist_across_reopen_and_ids_keep_increasing() {
    let dir = tempfile::tempdir().unwrap();
    let scope = Scope::new("acme", "hubspot");
    let (kept, removed, before) = {
        let storage = Storage::open(dir.path()).unwrap();
        let queue = storage.jobs(&scope);
        let kept = queue
            .enqueue("push", b"record-1", Duration::from_secs(30))
            .unwrap();
        let removed = queue.enqueue("push", b"record-2", Duration::ZERO).unwrap();
        assert!(queue.remove(&removed).unwrap());
        storage.flush().await.unwrap();
        (kept, removed, queue.pending().unwrap())
    };
    let storage = Storage::open(dir.path()).unwrap();
    let queue = storage.jobs(&scope);
    let after = queue.pending().unwrap();
    assert_eq!(after, before);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].id, kept);
    assert_eq!(after[0].payload, b"record-1");
    assert_eq!(queue.get(&removed).unwrap(), None);

    let newer = queue.enqueue("push", b"record-3", Duration::ZERO).unwrap();
    assert!(
        newer > kept && newer > removed,
        "{newer} after {kept}, {removed}"
    );
}

#[test]
fn second_open_of_the_same_directory_fails_while_first_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Storage::open(dir.path()).unwrap();
    let err = Storage::open(dir.path()).unwrap_err();
    assert!(
        err.to_string().starts_with("cannot open storage at"),
        "{err}"
    );
}
