//! The delivery store's state machine: enqueue, lease, ack, retry, release, dead-letter,
//! replay, resolve; and that it survives reopening the database.

use switchboard_storage::Scope;
use switchboard_storage::delivery::{
    DeliveryError, DeliveryStore, DlqFilter, DlqStatus, Enqueued, KeyState, NewDeadLetter, NewItem,
};
use switchboard_storage::{Health, Storage};

fn item<'a>(lane: &'a Scope, record_id: &'a str, due_ms: u64) -> NewItem<'a> {
    NewItem {
        lane,
        record_id,
        body: record_id.as_bytes(),
        due_ms,
    }
}

fn new_id(e: &Enqueued) -> u64 {
    match e {
        Enqueued::New(id) => *id,
        other => panic!("expected a new item, got {other:?}"),
    }
}

#[test]
fn leases_due_items_in_order_and_ack_removes_them() {
    let storage = Storage::temporary().unwrap();
    let q = storage.delivery();
    let lane = Scope::new("acme", "hubspot");
    q.enqueue(&[
        item(&lane, "b", 20),
        item(&lane, "a", 10),
        item(&lane, "c", 99),
    ])
    .unwrap();
    let leased = q.lease(&lane, 50, 1000, 10).unwrap();
    let ids: Vec<&str> = leased.iter().map(|l| l.record_id.as_str()).collect();
    assert_eq!(ids, ["a", "b"], "only due items, oldest due first");
    assert_eq!(leased[0].body, b"a");
    assert!(
        q.lease(&lane, 50, 1000, 10).unwrap().is_empty(),
        "leased items are not leased twice"
    );
    q.ack(&leased[0].lease).unwrap();
    assert_eq!(q.pending(&lane).unwrap(), 2);
    assert_eq!(q.key_state(&lane, "a").unwrap(), Some(KeyState::Delivered));
    assert_eq!(q.key_state(&lane, "b").unwrap(), Some(KeyState::Pending));
}

#[test]
fn a_record_id_is_enqueued_once_per_lane() {
    let storage = Storage::temporary().unwrap();
    let q = storage.delivery();
    let hub = Scope::new("acme", "hubspot");
    let sf = Scope::new("acme", "salesforce");
    let first = q
        .enqueue(&[item(&hub, "r1", 0), item(&sf, "r1", 0)])
        .unwrap();
    let again = q
        .enqueue(&[
            item(&hub, "r1", 0),
            item(&hub, "r2", 0),
            item(&hub, "r2", 0),
        ])
        .unwrap();
    assert_eq!(
        again[0],
        Enqueued::Duplicate {
            id: new_id(&first[0]),
            state: KeyState::Pending
        }
    );
    let r2 = new_id(&again[1]);
    assert_eq!(
        again[2],
        Enqueued::Duplicate {
            id: r2,
            state: KeyState::Pending
        }
    );
    assert_eq!(q.pending(&hub).unwrap(), 2);
    assert_eq!(q.pending(&sf).unwrap(), 1);

    let leased = q.lease(&hub, 0, 1000, 1).unwrap();
    q.ack(&leased[0].lease).unwrap();
    let after_ack = q.enqueue(&[item(&hub, "r1", 0)]).unwrap();
    assert!(matches!(
        after_ack[0],
        Enqueued::Duplicate {
            state: KeyState::Delivered,
            ..
        }
    ));
}

#[test]
fn a_rejected_batch_enqueues_nothing() {
    let storage = Storage::temporary().unwrap();
    let q = storage.delivery();
    let lane = Scope::new("acme", "hubspot");
    let err = q
        .enqueue(&[item(&lane, "ok", 0), item(&lane, "", 0)])
        .unwrap_err();
    assert!(matches!(
        err,
        DeliveryError::Invalid {
            what: "record id",
            ..
        }
    ));
    assert_eq!(q.pending(&lane).unwrap(), 0);
    assert_eq!(q.key_state(&lane, "ok").unwrap(), None);
}

#[test]
fn an_expired_lease_is_taken_over_and_the_old_holder_cannot_ack() {
    let storage = Storage::temporary().unwrap();
    let q = storage.delivery();
    let lane = Scope::new("acme", "hubspot");
    q.enqueue(&[item(&lane, "r", 0)]).unwrap();
    let first = q.lease(&lane, 100, 50, 1).unwrap().remove(0);
    assert!(q.lease(&lane, 149, 50, 1).unwrap().is_empty());
    let second = q.lease(&lane, 150, 50, 1).unwrap().remove(0);
    assert_eq!(second.lease.item_id, first.lease.item_id);
    assert!(matches!(
        q.ack(&first.lease),
        Err(DeliveryError::LeaseLost { .. })
    ));
    q.ack(&second.lease).unwrap();
    assert_eq!(q.pending(&lane).unwrap(), 0);
}

#[test]
fn a_retry_waits_without_blocking_the_items_behind_it() {
    let storage = Storage::temporary().unwrap();
    let q = storage.delivery();
    let lane = Scope::new("acme", "hubspot");
    q.enqueue(&[item(&lane, "first", 0), item(&lane, "second", 0)])
        .unwrap();
    let first = q.lease(&lane, 10, 1000, 1).unwrap().remove(0);
    assert_eq!(first.record_id, "first");
    q.retry_later(&first.lease, 5000, b"attempt 1 failed")
        .unwrap();
    let next = q.lease(&lane, 20, 1000, 10).unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].record_id, "second");
    assert_eq!(
        q.next_due(&lane).unwrap(),
        Some(1020),
        "the lease end of `second`"
    );
    q.ack(&next[0].lease).unwrap();
    assert_eq!(q.next_due(&lane).unwrap(), Some(5000));
    let retried = q.lease(&lane, 5000, 1000, 10).unwrap();
    assert_eq!(retried[0].body, b"attempt 1 failed");
}

#[test]
fn release_all_leases_makes_every_leased_item_due_again() {
    let storage = Storage::temporary().unwrap();
    let q = storage.delivery();
    let a = Scope::new("acme", "hubspot");
    let b = Scope::new("globex", "hubspot");
    q.enqueue(&[item(&a, "1", 0), item(&a, "2", 0), item(&b, "3", 0)])
        .unwrap();
    let la = q.lease(&a, 0, 60_000, 1).unwrap();
    let lb = q.lease(&b, 0, 60_000, 1).unwrap();
    assert_eq!(q.release_all_leases(5).unwrap(), 2);
    assert!(matches!(
        q.ack(&la[0].lease),
        Err(DeliveryError::LeaseLost { .. })
    ));
    assert!(matches!(
        q.ack(&lb[0].lease),
        Err(DeliveryError::LeaseLost { .. })
    ));
    assert_eq!(q.lease(&a, 5, 1000, 10).unwrap().len(), 2);
    assert_eq!(q.lease(&b, 5, 1000, 10).unwrap().len(), 1);
}

#[test]
fn dead_letters_are_listed_edited_replayed_and_resolved() {
    let storage = Storage::temporary().unwrap();
    let q = storage.delivery();
    let hub = Scope::new("acme", "hubspot");
    let other = Scope::new("globex", "hubspot");
    q.enqueue(&[
        item(&hub, "bad", 0),
        item(&hub, "gone", 0),
        item(&other, "x", 0),
    ])
    .unwrap();
    let mut leased = q.lease(&hub, 0, 1000, 10).unwrap();
    leased.extend(q.lease(&other, 0, 1000, 10).unwrap());
    let letter = |reason, time_ms| NewDeadLetter {
        reason,
        body: b"{\"why\":1}",
        time_ms,
    };
    let bad = q
        .dead_letter(&leased[0].lease, letter("validation", 100))
        .unwrap();
    let gone = q
        .dead_letter(&leased[1].lease, letter("not-found", 200))
        .unwrap();
    q.dead_letter(&leased[2].lease, letter("validation", 300))
        .unwrap();
    assert_eq!(q.pending(&hub).unwrap(), 0);
    assert_eq!(
        q.key_state(&hub, "bad").unwrap(),
        Some(KeyState::DeadLettered)
    );

    let all = q.dlq_list(&DlqFilter::default()).unwrap();
    assert_eq!(
        all.iter().map(|d| d.record_id.as_str()).collect::<Vec<_>>(),
        ["x", "gone", "bad"]
    );
    let acme_validation = q
        .dlq_list(&DlqFilter {
            tenant: Some("acme".into()),
            reason: Some("validation".into()),
            ..DlqFilter::default()
        })
        .unwrap();
    assert_eq!(acme_validation.len(), 1);
    assert_eq!(acme_validation[0].id, bad);
    let in_window = q
        .dlq_list(&DlqFilter {
            from_ms: Some(150),
            to_ms: Some(300),
            ..DlqFilter::default()
        })
        .unwrap();
    assert_eq!(in_window.iter().map(|d| d.id).collect::<Vec<_>>(), [gone]);
    let page = q
        .dlq_list(&DlqFilter {
            limit: 1,
            before_id: Some(gone + 1),
            ..DlqFilter::default()
        })
        .unwrap();
    assert_eq!(page[0].id, gone);

    q.dlq_edit(bad, b"{\"fixed\":true}").unwrap();
    let new_item = q
        .dlq_replay(bad, 500, "phone fixed", &|d| Ok(d.body.clone()))
        .unwrap();
    let entry = q.dlq_get(bad).unwrap().unwrap();
    assert_eq!(
        (entry.status, entry.status_ms, entry.note.as_str()),
        (DlqStatus::Replayed, 500, "phone fixed")
    );
    assert!(matches!(
        q.dlq_edit(bad, b"{}"),
        Err(DeliveryError::NotOpen { .. })
    ));
    let replayed = q.lease(&hub, 500, 1000, 10).unwrap();
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0].lease.item_id, new_item);
    assert_eq!(
        replayed[0].record_id, "bad",
        "same record id, so same idempotency key"
    );
    assert_eq!(replayed[0].body, b"{\"fixed\":true}");

    q.dlq_resolve(gone, 600, "contact was merged by hand")
        .unwrap();
    assert_eq!(
        q.dlq_get(gone).unwrap().unwrap().status,
        DlqStatus::Resolved
    );
    assert!(matches!(
        q.dlq_replay(gone, 700, "", &|d| Ok(d.body.clone())),
        Err(DeliveryError::NotOpen { .. })
    ));
    assert!(matches!(
        q.dlq_resolve(99_999, 0, ""),
        Err(DeliveryError::NoSuchDeadLetter(99_999))
    ));
    let refused = q.dlq_replay(
        q.dlq_list(&DlqFilter {
            tenant: Some("globex".into()),
            ..DlqFilter::default()
        })
        .unwrap()[0]
            .id,
        0,
        "",
        &|_| Err("payload is not JSON".into()),
    );
    assert!(matches!(refused, Err(DeliveryError::Invalid { .. })));
    assert_eq!(
        q.pending(&other).unwrap(),
        0,
        "a refused replay changes nothing"
    );
}

#[test]
fn everything_survives_reopening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let lane = Scope::new("acme", "hubspot");
    let (lease_token, dlq_id) = {
        let storage = Storage::open(dir.path()).unwrap();
        let q = storage.delivery();
        q.enqueue(&[
            item(&lane, "a", 0),
            item(&lane, "b", 0),
            item(&lane, "c", 0),
        ])
        .unwrap();
        let leased = q.lease(&lane, 0, 60_000, 2).unwrap();
        let dlq_id = q
            .dead_letter(
                &leased[1].lease,
                NewDeadLetter {
                    reason: "auth",
                    body: b"b",
                    time_ms: 1,
                },
            )
            .unwrap();
        q.flush().unwrap();
        (leased[0].lease.token, dlq_id)
    };
    let storage = Storage::open(dir.path()).unwrap();
    let q = storage.delivery();
    assert_eq!(q.pending(&lane).unwrap(), 2);
    assert_eq!(q.dlq_get(dlq_id).unwrap().unwrap().reason, "auth");
    assert_eq!(q.release_all_leases(10).unwrap(), 1);
    let leased = q.lease(&lane, 10, 1000, 10).unwrap();
    assert_eq!(leased.len(), 2);
    assert!(leased.iter().all(|l| l.lease.token != lease_token));
}

#[test]
fn dropping_the_storage_closes_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let lane = Scope::new("acme", "hubspot");
    {
        let storage = Storage::open(dir.path()).unwrap();
        storage.delivery().enqueue(&[item(&lane, "a", 0)]).unwrap();
    }
    let storage = Storage::open(dir.path()).expect("reopened after drop");
    assert_eq!(storage.delivery().pending(&lane).unwrap(), 1);
}

/// Waits up to 10 s for `storage`'s health to satisfy `want`.
fn health_becomes(storage: &Storage, want: impl Fn(&Health) -> bool) -> Health {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let health = storage.health();
        if want(&health) || std::time::Instant::now() >= deadline {
            return health;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_filesystem_short_of_the_free_space_minimum_fails_the_store_until_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path()).unwrap();
    let lane = Scope::new("acme", "hubspot");
    let q = storage.delivery();
    q.enqueue(&[item(&lane, "before", 0)]).unwrap();
    q.sync_enqueued().unwrap();
    assert_eq!(q.health(), Health::Durable);

    // No filesystem here has a pebibyte free.
    storage.set_min_free_bytes(1 << 50);
    let failing = health_becomes(&storage, |h| *h != Health::Durable);
    let Health::Failing { reason, since_ms } = &failing else {
        panic!("the store never noticed the missing space: {failing:?}");
    };
    assert!(reason.contains("below storage.min_free_bytes"), "{reason}");
    assert!(*since_ms > 0);
    assert_eq!(
        q.health(),
        failing,
        "the delivery store reports the same health"
    );

    storage.set_min_free_bytes(0);
    let back = health_becomes(&storage, |h| *h == Health::Durable);
    assert_eq!(
        back,
        Health::Durable,
        "the store recovers once there is room"
    );
    // Nothing was lost on the way.
    assert_eq!(q.pending(&lane).unwrap(), 1);
    q.enqueue(&[item(&lane, "after", 0)]).unwrap();
    q.sync_enqueued().unwrap();
    assert_eq!(q.lease(&lane, 1, 1000, 10).unwrap().len(), 2);
}
