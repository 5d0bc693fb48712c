//! The job queue: ids, ordering, delays, due jobs, removal and scope isolation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use switchboard_storage::{NewJob, QueueError, Scope, Storage};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn ids_are_zero_padded_and_increase_with_creation() {
    let storage = Storage::temporary().unwrap();
    let queue = storage.jobs(&Scope::new("t", "c"));
    let ids: Vec<String> = (0..20)
        .map(|i| queue.enqueue("push", &[i], Duration::ZERO).unwrap())
        .collect();
    assert!(
        ids.iter()
            .all(|id| id.len() == 20 && id.bytes().all(|b| b.is_ascii_digit()))
    );
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, ids, "lexical order must equal creation order");
}

#[test]
fn pending_is_ordered_by_not_before_then_id() {
    let storage = Storage::temporary().unwrap();
    let queue = storage.jobs(&Scope::new("t", "c"));
    let before = now_ms();
    let late = queue
        .enqueue("push", b"late", Duration::from_secs(60))
        .unwrap();
    let first = queue.enqueue("push", b"first", Duration::ZERO).unwrap();
    let mid = queue
        .enqueue("retry", b"mid", Duration::from_secs(5))
        .unwrap();
    let after = now_ms();

    let pending = queue.pending().unwrap();
    let order: Vec<&str> = pending.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(order, [first.as_str(), mid.as_str(), late.as_str()]);

    let late_job = &pending[2];
    assert_eq!(
        (late_job.kind.as_str(), late_job.payload.as_slice()),
        ("push", &b"late"[..])
    );
    assert!(late_job.created_ms >= before && late_job.created_ms <= after);
    assert_eq!(late_job.not_before_ms, late_job.created_ms + 60_000);
    assert_eq!(pending[1].kind, "retry");
    assert_eq!(pending[1].not_before_ms, pending[1].created_ms + 5_000);
}

#[test]
fn due_returns_only_jobs_whose_delay_has_passed() {
    let storage = Storage::temporary().unwrap();
    let queue = storage.jobs(&Scope::new("t", "c"));
    let a = queue.enqueue("push", b"a", Duration::ZERO).unwrap();
    let b = queue
        .enqueue("push", b"b", Duration::from_secs(10))
        .unwrap();
    let c = queue.enqueue("push", b"c", Duration::ZERO).unwrap();
    let now = now_ms();

    let ids =
        |jobs: Vec<switchboard_storage::Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    assert_eq!(ids(queue.due(now, 10).unwrap()), [a.clone(), c.clone()]);
    assert_eq!(ids(queue.due(now, 1).unwrap()), std::slice::from_ref(&a));
    assert_eq!(
        ids(queue.due(now + 10_000, 10).unwrap()),
        [a.clone(), c.clone(), b.clone()]
    );
    assert_eq!(ids(queue.due(u64::MAX, 10).unwrap()), [a, c, b]);
    assert!(queue.due(0, 10).unwrap().is_empty());
    // due() does not consume.
    assert_eq!(queue.len().unwrap(), 3);
}

#[test]
fn remove_deletes_exactly_one_job() {
    let storage = Storage::temporary().unwrap();
    let queue = storage.jobs(&Scope::new("t", "c"));
    let a = queue.enqueue("push", b"a", Duration::from_secs(3)).unwrap();
    let b = queue.enqueue("push", b"b", Duration::ZERO).unwrap();
    assert_eq!(queue.get(&a).unwrap().unwrap().payload, b"a");
    assert!(queue.remove(&a).unwrap());
    assert!(!queue.remove(&a).unwrap());
    assert!(!queue.remove("not-an-id").unwrap());
    assert_eq!(queue.get(&a).unwrap(), None);
    let left: Vec<String> = queue.pending().unwrap().into_iter().map(|j| j.id).collect();
    assert_eq!(left, [b]);
}

#[test]
fn queues_of_different_scopes_are_isolated() {
    let storage = Storage::temporary().unwrap();
    let x = storage.jobs(&Scope::new("a/b", "c"));
    let y = storage.jobs(&Scope::new("a", "b/c"));
    let id = x.enqueue("push", b"x", Duration::ZERO).unwrap();
    assert!(y.pending().unwrap().is_empty());
    assert!(y.due(u64::MAX, 10).unwrap().is_empty());
    assert_eq!(y.get(&id).unwrap(), None);
    assert!(
        !y.remove(&id).unwrap(),
        "another scope must not remove the job"
    );
    assert_eq!(x.pending().unwrap().len(), 1);
    assert!(y.is_empty().unwrap());
}

#[test]
fn enqueue_many_adds_all_jobs_in_order() {
    let storage = Storage::temporary().unwrap();
    let queue = storage.jobs(&Scope::new("t", "c"));
    let payloads: [[u8; 1]; 5] = [[0], [1], [2], [3], [4]];
    let batch: Vec<NewJob> = payloads
        .iter()
        .map(|payload| NewJob {
            kind: "push",
            payload,
            delay: Duration::ZERO,
        })
        .collect();
    let ids = queue.enqueue_many(&batch).unwrap();
    let pending = queue.pending().unwrap();
    assert_eq!(
        pending.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(
        pending.iter().map(|j| j.payload[0]).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
}

#[test]
fn invalid_kind_is_refused_and_nothing_is_queued() {
    let storage = Storage::temporary().unwrap();
    let queue = storage.jobs(&Scope::new("t", "c"));
    assert!(matches!(
        queue.enqueue("", b"", Duration::ZERO),
        Err(QueueError::InvalidKind { .. })
    ));
    let long = "k".repeat(256);
    let batch = [
        NewJob {
            kind: "push",
            payload: b"ok",
            delay: Duration::ZERO,
        },
        NewJob {
            kind: &long,
            payload: b"",
            delay: Duration::ZERO,
        },
    ];
    assert!(matches!(
        queue.enqueue_many(&batch),
        Err(QueueError::InvalidKind { .. })
    ));
    assert!(queue.is_empty().unwrap());
    queue
        .enqueue(&"k".repeat(255), b"", Duration::ZERO)
        .unwrap();
}

#[test]
fn huge_delay_saturates_instead_of_overflowing() {
    let storage = Storage::temporary().unwrap();
    let queue = storage.jobs(&Scope::new("t", "c"));
    let id = queue.enqueue("push", b"", Duration::MAX).unwrap();
    assert_eq!(queue.get(&id).unwrap().unwrap().not_before_ms, u64::MAX);
    assert!(queue.due(now_ms(), 10).unwrap().is_empty());
    assert_eq!(queue.due(u64::MAX, 10).unwrap().len(), 1);
}

#[test]
fn usage_counts_jobs_and_bytes_and_old_jobs_expire() {
    let storage = Storage::temporary().unwrap();
    let queue = storage.jobs(&Scope::new("t", "c"));
    queue.enqueue("a", b"12345", Duration::ZERO).unwrap();
    queue.enqueue("b", b"678", Duration::from_secs(60)).unwrap();
    assert_eq!(
        queue.usage().unwrap(),
        switchboard_storage::QueueUsage {
            jobs: 2,
            payload_bytes: 8
        }
    );
    // Nothing was enqueued before the epoch; everything before the far future.
    assert_eq!(queue.expire_created_before(0).unwrap(), 0);
    assert_eq!(queue.expire_created_before(u64::MAX).unwrap(), 2);
    assert!(queue.is_empty().unwrap());
}
