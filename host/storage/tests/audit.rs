//! The audit log: every query kind, combined filters, time bounds, paging, limits, tenant
//! isolation of record ids, purge with its index rows, reopen and corrupt values.

use switchboard_storage::{AuditEntry, AuditError, AuditLog, AuditQuery, NewAuditEntry, Storage};

/// `(time_ms, tenant, connector, record_id, trace_id)`.
type Spec = (u64, &'static str, &'static str, &'static str, &'static str);

/// A log with these entries; the body of each is `"{index}"`.
fn log_with(specs: &[Spec]) -> (Storage, AuditLog, Vec<u64>) {
    let storage = Storage::temporary().unwrap();
    let log = storage.audit();
    let bodies: Vec<String> = (0..specs.len()).map(|i| i.to_string()).collect();
    let entries: Vec<NewAuditEntry<'_>> = specs
        .iter()
        .zip(&bodies)
        .map(
            |(&(time_ms, tenant, connector, record_id, trace_id), body)| NewAuditEntry {
                time_ms,
                tenant,
                connector,
                record_id,
                trace_id,
                body: body.as_bytes(),
            },
        )
        .collect();
    let seqs = log.append(&entries).unwrap();
    (storage, log, seqs)
}

/// The bodies (spec indexes) of the results, in result order.
fn bodies(entries: &[AuditEntry]) -> Vec<usize> {
    entries
        .iter()
        .map(|e| std::str::from_utf8(&e.body).unwrap().parse().unwrap())
        .collect()
}

fn query() -> AuditQuery {
    AuditQuery::default()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// Two tenants, two connectors, overlapping record ids, two traces per tenant.
const SPECS: &[Spec] = &[
    (100, "acme", "hubspot", "r1", "trace-a"),     // 0
    (110, "acme", "hubspot", "r1", "trace-a"),     // 1
    (120, "acme", "salesforce", "r2", "trace-b"),  // 2
    (130, "globex", "hubspot", "r1", "trace-c"),   // 3
    (140, "acme", "hubspot", "r1", "trace-a"),     // 4
    (150, "globex", "hubspot", "r2", "trace-c"),   // 5
    (160, "acme", "salesforce", "r2", "trace-b"),  // 6
    (170, "globex", "pipedrive", "r1", "trace-d"), // 7
];

#[test]
fn append_returns_increasing_seqs_and_search_returns_everything_newest_first() {
    let (_storage, log, seqs) = log_with(SPECS);
    assert_eq!(seqs.len(), SPECS.len());
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let all = log.search(&query()).unwrap();
    assert_eq!(bodies(&all), [7, 6, 5, 4, 3, 2, 1, 0]);
    let first = all.last().unwrap();
    assert_eq!(
        (
            first.seq,
            first.time_ms,
            first.tenant.as_str(),
            first.connector.as_str(),
            first.record_id.as_str(),
            first.trace_id.as_str()
        ),
        (seqs[0], 100, "acme", "hubspot", "r1", "trace-a")
    );
    assert_eq!(log.len().unwrap(), 8);
    assert!(!log.is_empty().unwrap());
    assert_eq!(log.append(&[]).unwrap(), Vec::<u64>::new());
}

#[test]
fn searches_by_each_indexed_field() {
    let (_storage, log, _) = log_with(SPECS);
    let by = |q: AuditQuery| bodies(&log.search(&q).unwrap());
    assert_eq!(
        by(AuditQuery {
            trace_id: some("trace-a"),
            ..query()
        }),
        [4, 1, 0]
    );
    assert_eq!(
        by(AuditQuery {
            tenant: some("globex"),
            ..query()
        }),
        [7, 5, 3]
    );
    assert_eq!(
        by(AuditQuery {
            record_id: some("r2"),
            ..query()
        }),
        [6, 5, 2],
        "record id alone matches every tenant, still newest first"
    );
    assert_eq!(
        by(AuditQuery {
            connector: some("hubspot"),
            ..query()
        }),
        [5, 4, 3, 1, 0]
    );
    assert_eq!(
        by(AuditQuery {
            trace_id: some("no-such-trace"),
            ..query()
        }),
        Vec::<usize>::new()
    );
}

#[test]
fn the_same_record_id_of_two_tenants_does_not_mix() {
    let (_storage, log, _) = log_with(SPECS);
    let record = |tenant: &str| {
        bodies(
            &log.search(&AuditQuery {
                tenant: some(tenant),
                record_id: some("r1"),
                ..query()
            })
            .unwrap(),
        )
    };
    assert_eq!(record("acme"), [4, 1, 0]);
    assert_eq!(record("globex"), [7, 3]);
    assert_eq!(record("initech"), Vec::<usize>::new());
}

#[test]
fn combined_filters_must_all_hold() {
    let (_storage, log, _) = log_with(SPECS);
    let by = |q: AuditQuery| bodies(&log.search(&q).unwrap());
    assert_eq!(
        by(AuditQuery {
            tenant: some("acme"),
            connector: some("salesforce"),
            ..query()
        }),
        [6, 2]
    );
    assert_eq!(
        by(AuditQuery {
            record_id: some("r1"),
            connector: some("pipedrive"),
            ..query()
        }),
        [7]
    );
    assert_eq!(
        by(AuditQuery {
            trace_id: some("trace-c"),
            record_id: some("r2"),
            tenant: some("globex"),
            connector: some("hubspot"),
            ..query()
        }),
        [5]
    );
    assert_eq!(
        by(AuditQuery {
            trace_id: some("trace-a"),
            tenant: some("globex"),
            ..query()
        }),
        Vec::<usize>::new(),
        "a trace of one tenant is not returned for another"
    );
    assert_eq!(
        by(AuditQuery {
            trace_id: some("trace-b"),
            record_id: some("r1"),
            ..query()
        }),
        Vec::<usize>::new()
    );
}

#[test]
fn from_is_inclusive_and_to_is_exclusive_for_every_index() {
    let (_storage, log, _) = log_with(SPECS);
    let range = |q: AuditQuery| {
        bodies(
            &log.search(&AuditQuery {
                from_ms: Some(110),
                to_ms: Some(150),
                ..q
            })
            .unwrap(),
        )
    };
    assert_eq!(range(query()), [4, 3, 2, 1], "time only");
    assert_eq!(
        range(AuditQuery {
            tenant: some("acme"),
            ..query()
        }),
        [4, 2, 1]
    );
    assert_eq!(
        range(AuditQuery {
            tenant: some("acme"),
            record_id: some("r1"),
            ..query()
        }),
        [4, 1]
    );
    assert_eq!(
        range(AuditQuery {
            record_id: some("r1"),
            ..query()
        }),
        [4, 3, 1]
    );
    assert_eq!(
        range(AuditQuery {
            trace_id: some("trace-a"),
            ..query()
        }),
        [4, 1]
    );
    let only = |from_ms, to_ms| {
        bodies(
            &log.search(&AuditQuery {
                from_ms,
                to_ms,
                ..query()
            })
            .unwrap(),
        )
    };
    assert_eq!(only(Some(150), None), [7, 6, 5]);
    assert_eq!(only(None, Some(110)), [0]);
    assert_eq!(
        only(Some(120), Some(120)),
        Vec::<usize>::new(),
        "empty range"
    );
    assert_eq!(
        only(Some(130), Some(120)),
        Vec::<usize>::new(),
        "inverted range"
    );
    assert_eq!(only(Some(0), Some(u64::MAX)).len(), 8);
}

#[test]
fn extreme_times_are_stored_and_found() {
    let (_storage, log, _) = log_with(&[(0, "t", "c", "r", "x"), (u64::MAX, "t", "c", "r", "x")]);
    for q in [
        query(),
        AuditQuery {
            tenant: some("t"),
            ..query()
        },
        AuditQuery {
            record_id: some("r"),
            tenant: some("t"),
            ..query()
        },
        AuditQuery {
            trace_id: some("x"),
            ..query()
        },
    ] {
        assert_eq!(bodies(&log.search(&q).unwrap()), [1, 0], "{q:?}");
    }
    let before_max = AuditQuery {
        to_ms: Some(u64::MAX),
        ..query()
    };
    assert_eq!(bodies(&log.search(&before_max).unwrap()), [0]);
}

#[test]
fn limit_is_applied_and_capped() {
    let (_storage, log, _) = log_with(SPECS);
    let limited = |limit| bodies(&log.search(&AuditQuery { limit, ..query() }).unwrap());
    assert_eq!(limited(3), [7, 6, 5]);
    assert_eq!(limited(0), Vec::<usize>::new());
    assert_eq!(limited(usize::MAX).len(), 8);
    assert_eq!(AuditQuery::default().limit, 100);

    let storage = Storage::temporary().unwrap();
    let log = storage.audit();
    let batch: Vec<NewAuditEntry<'_>> = (0..AuditLog::MAX_SEARCH_LIMIT as u64 + 5)
        .map(|time_ms| NewAuditEntry {
            time_ms,
            tenant: "t",
            connector: "c",
            record_id: "r",
            trace_id: "x",
            body: b"",
        })
        .collect();
    log.append(&batch).unwrap();
    let all = log
        .search(&AuditQuery {
            tenant: some("t"),
            limit: usize::MAX,
            ..query()
        })
        .unwrap();
    assert_eq!(all.len(), AuditLog::MAX_SEARCH_LIMIT);
    assert_eq!(all[0].time_ms, AuditLog::MAX_SEARCH_LIMIT as u64 + 4);
}

#[test]
fn pages_with_the_cursor_cover_everything_once_for_every_index() {
    // Equal times in several entries: the cursor must use the seq to split them.
    let specs: Vec<Spec> = (0..23u64)
        .map(|i| {
            let record = if i % 2 == 0 { "r1" } else { "r2" };
            (1000 + i / 3, "acme", "hubspot", record, "trace")
        })
        .collect();
    let (_storage, log, _) = log_with(&specs);
    for base in [
        query(),
        AuditQuery {
            tenant: some("acme"),
            ..query()
        },
        AuditQuery {
            record_id: some("r1"),
            ..query()
        },
        AuditQuery {
            record_id: some("r1"),
            tenant: some("acme"),
            ..query()
        },
        AuditQuery {
            trace_id: some("trace"),
            ..query()
        },
    ] {
        let everything = bodies(&log.search(&base).unwrap());
        let mut paged = Vec::new();
        let mut before = None;
        loop {
            let page = log
                .search(&AuditQuery {
                    limit: 4,
                    before,
                    ..base.clone()
                })
                .unwrap();
            assert!(page.len() <= 4);
            paged.extend(bodies(&page));
            match page.last() {
                Some(last) => before = Some(last.cursor()),
                None => break,
            }
        }
        assert_eq!(paged, everything, "{base:?}");
        let mut expected: Vec<usize> = (0..specs.len())
            .filter(|&i| base.record_id.is_none() || specs[i].3 == "r1")
            .collect();
        expected.reverse();
        assert_eq!(everything, expected, "{base:?}");
    }
}

#[test]
fn cursor_and_to_combine() {
    let (_storage, log, _) = log_with(SPECS);
    let all = log.search(&query()).unwrap();
    let q = |to_ms, before| AuditQuery {
        to_ms,
        before,
        ..query()
    };
    // The tighter of the two bounds wins.
    let after_5 = Some(all[2].cursor());
    assert_eq!(
        bodies(&log.search(&q(Some(140), after_5)).unwrap()),
        [3, 2, 1, 0]
    );
    assert_eq!(
        bodies(&log.search(&q(Some(170), after_5)).unwrap()),
        [4, 3, 2, 1, 0]
    );
}

#[test]
fn purge_removes_the_oldest_entries_and_their_index_rows() {
    let (_storage, log, _) = log_with(SPECS);
    // Bounded batches: at most `max` per call, oldest first.
    assert_eq!(log.purge_older_than(150, 2).unwrap(), 2);
    assert_eq!(bodies(&log.search(&query()).unwrap()), [7, 6, 5, 4, 3, 2]);
    assert_eq!(
        log.purge_older_than(150, 100).unwrap(),
        3,
        "cutoff is exclusive"
    );
    assert_eq!(log.purge_older_than(150, 100).unwrap(), 0);
    assert_eq!(bodies(&log.search(&query()).unwrap()), [7, 6, 5]);

    // Nothing from the purged range comes back through any index.
    for q in [
        AuditQuery {
            trace_id: some("trace-a"),
            ..query()
        },
        AuditQuery {
            tenant: some("acme"),
            record_id: some("r1"),
            ..query()
        },
        AuditQuery {
            record_id: some("r1"),
            ..query()
        },
        AuditQuery {
            tenant: some("acme"),
            ..query()
        },
        AuditQuery {
            to_ms: Some(150),
            ..query()
        },
    ] {
        assert!(
            log.search(&q).unwrap().iter().all(|e| e.time_ms >= 150),
            "{q:?}"
        );
    }
    assert_eq!(
        bodies(
            &log.search(&AuditQuery {
                tenant: some("acme"),
                ..query()
            })
            .unwrap()
        ),
        [6]
    );
    assert_eq!(log.len().unwrap(), 3);
    assert_eq!(
        log.purge_older_than(u64::MAX, 0).unwrap(),
        0,
        "max 0 does nothing"
    );
    assert_eq!(log.purge_older_than(u64::MAX, usize::MAX).unwrap(), 3);
    assert!(log.is_empty().unwrap());
}

#[test]
fn purge_in_many_chunks_leaves_no_index_rows_behind() {
    let specs: Vec<Spec> = (0..1000u64)
        .map(|i| (i, ["t1", "t2", "t3"][i as usize % 3], "c", "r", "x"))
        .collect();
    let (_storage, log, _) = log_with(&specs);
    // Many internal transactions (64 entries each), and a call ending mid-chunk.
    assert_eq!(log.purge_older_than(700, 600).unwrap(), 600);
    assert_eq!(log.purge_older_than(700, 600).unwrap(), 100);
    for q in [
        AuditQuery {
            tenant: some("t2"),
            limit: usize::MAX,
            ..query()
        },
        AuditQuery {
            record_id: some("r"),
            limit: usize::MAX,
            ..query()
        },
        AuditQuery {
            trace_id: some("x"),
            to_ms: Some(700),
            ..query()
        },
    ] {
        let found = log.search(&q).unwrap();
        assert!(found.iter().all(|e| e.time_ms >= 700), "{q:?}");
        assert!(!found.is_empty() || q.to_ms.is_some());
    }
    assert_eq!(log.len().unwrap(), 300);
}

#[test]
fn oversized_fields_are_refused_and_nothing_is_written() {
    let storage = Storage::temporary().unwrap();
    let log = storage.audit();
    let long = "x".repeat(AuditLog::MAX_FIELD_BYTES + 1);
    let ok = NewAuditEntry {
        time_ms: 1,
        tenant: "t",
        connector: "c",
        record_id: "r",
        trace_id: "x",
        body: b"{}",
    };
    let err = log
        .append(&[
            ok,
            NewAuditEntry {
                record_id: &long,
                ..ok
            },
        ])
        .unwrap_err();
    assert_eq!(
        err,
        AuditError::TooLong {
            field: "record_id",
            len: AuditLog::MAX_FIELD_BYTES + 1,
            limit: AuditLog::MAX_FIELD_BYTES
        }
    );
    let big = vec![b'x'; AuditLog::MAX_BODY_BYTES + 1];
    assert!(matches!(
        log.append(&[NewAuditEntry { body: &big, ..ok }]),
        Err(AuditError::TooLong { field: "body", .. })
    ));
    assert!(log.is_empty().unwrap());
    let fits = "y".repeat(AuditLog::MAX_FIELD_BYTES);
    log.append(&[NewAuditEntry {
        tenant: &fits,
        ..ok
    }])
    .unwrap();
    let found = log
        .search(&AuditQuery {
            tenant: Some(fits.clone()),
            ..query()
        })
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].tenant, fits);
}

#[tokio::test]
async fn entries_survive_reopen_and_seqs_keep_increasing() {
    let dir = tempfile::tempdir().unwrap();
    let (seqs, before) = {
        let storage = Storage::open(dir.path()).unwrap();
        let log = storage.audit();
        let seqs = log
            .append(&[
                NewAuditEntry {
                    time_ms: 10,
                    tenant: "acme",
                    connector: "hubspot",
                    record_id: "r1",
                    trace_id: "t1",
                    body: b"{\"event\":\"enqueued\"}",
                },
                NewAuditEntry {
                    time_ms: 20,
                    tenant: "acme",
                    connector: "hubspot",
                    record_id: "r1",
                    trace_id: "t1",
                    body: b"{\"event\":\"attempt\"}",
                },
            ])
            .unwrap();
        storage.flush().await.unwrap();
        (seqs, log.search(&query()).unwrap())
    };
    let storage = Storage::open(dir.path()).unwrap();
    let log = storage.audit();
    assert_eq!(log.search(&query()).unwrap(), before);
    let by_record = log
        .search(&AuditQuery {
            tenant: some("acme"),
            record_id: some("r1"),
            ..query()
        })
        .unwrap();
    assert_eq!(by_record, before, "the indexes persist too");
    let newer = log
        .append(&[NewAuditEntry {
            time_ms: 30,
            tenant: "acme",
            connector: "hubspot",
            record_id: "r1",
            trace_id: "t1",
            body: b"{}",
        }])
        .unwrap();
    assert!(newer[0] > seqs[1], "{newer:?} after {seqs:?}");
}

#[tokio::test]
async fn a_corrupt_entry_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    {
        let storage = Storage::open(dir.path()).unwrap();
        storage
            .audit()
            .append(&[
                NewAuditEntry {
                    time_ms: 10,
                    tenant: "acme",
                    connector: "hubspot",
                    record_id: "r1",
                    trace_id: "t1",
                    body: b"{}",
                },
                NewAuditEntry {
                    time_ms: 20,
                    tenant: "acme",
                    connector: "hubspot",
                    record_id: "r2",
                    trace_id: "t2",
                    body: b"{}",
                },
            ])
            .unwrap();
        storage.flush().await.unwrap();
    }
    // Damage the newer entry's value behind the crate's back: a truncated string length.
    {
        // sled's background flush may hold the database for a moment after the drop.
        let db = (0..200)
            .find_map(|_| {
                sled::open(dir.path())
                    .map_err(|_| std::thread::sleep(std::time::Duration::from_millis(10)))
                    .ok()
            })
            .expect("the database is released");
        let tree = db.open_tree("audit").unwrap();
        let (key, _) = tree.last().unwrap().unwrap();
        tree.insert(key, &[1u8, 0, 9, b'a'][..]).unwrap();
        db.flush().unwrap();
    }
    let storage = Storage::open(dir.path()).unwrap();
    let log = storage.audit();
    for q in [
        query(),
        AuditQuery {
            tenant: some("acme"),
            ..query()
        },
        AuditQuery {
            trace_id: some("t2"),
            ..query()
        },
        AuditQuery {
            record_id: some("r2"),
            ..query()
        },
    ] {
        let err = log.search(&q).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("corrupt audit record: entry seq ")
                && err
                    .to_string()
                    .ends_with(" at time_ms 20: audit entry tenant is truncated or not UTF-8"),
            "{q:?}: {err}"
        );
    }
    // Searches that never reach it still work.
    let older = log
        .search(&AuditQuery {
            record_id: some("r1"),
            ..query()
        })
        .unwrap();
    assert_eq!(older.len(), 1);
    // Retention still removes it.
    assert_eq!(log.purge_older_than(u64::MAX, 10).unwrap(), 2);
    assert!(log.search(&query()).unwrap().is_empty());
    // Its index rows could not be found and stay behind; searches skip them.
    let dangling = AuditQuery {
        trace_id: some("t2"),
        ..query()
    };
    assert_eq!(log.search(&dangling).unwrap(), Vec::new());
}
