//! Key-value state: isolation between scopes and limits.

use switchboard_storage::{Scope, StateError, StateLimits, Storage};

#[test]
fn set_get_and_delete_round_trip() {
    let storage = Storage::temporary().unwrap();
    let state = storage.state(&Scope::new("acme", "hubspot"));
    assert_eq!(state.get("cursor").unwrap(), None);
    state.set("cursor", b"42").unwrap();
    assert_eq!(state.get("cursor").unwrap().as_deref(), Some(&b"42"[..]));
    state.set("cursor", b"43").unwrap();
    assert_eq!(state.get("cursor").unwrap().as_deref(), Some(&b"43"[..]));
    assert_eq!(state.len().unwrap(), 1);
    assert!(state.delete("cursor").unwrap());
    assert!(!state.delete("cursor").unwrap());
    assert_eq!(state.get("cursor").unwrap(), None);
    assert!(state.is_empty().unwrap());
}

#[test]
fn scopes_do_not_see_each_others_state() {
    let storage = Storage::temporary().unwrap();
    let a = storage.state(&Scope::new("acme", "hubspot"));
    let b = storage.state(&Scope::new("acme", "salesforce"));
    let c = storage.state(&Scope::new("globex", "hubspot"));
    a.set("cursor", b"a").unwrap();
    b.set("cursor", b"b").unwrap();
    assert_eq!(a.get("cursor").unwrap().as_deref(), Some(&b"a"[..]));
    assert_eq!(b.get("cursor").unwrap().as_deref(), Some(&b"b"[..]));
    assert_eq!(c.get("cursor").unwrap(), None);
    assert!(!c.delete("cursor").unwrap());
    assert!(a.delete("cursor").unwrap());
    assert_eq!(b.get("cursor").unwrap().as_deref(), Some(&b"b"[..]));
    assert_eq!(
        (a.len().unwrap(), b.len().unwrap(), c.len().unwrap()),
        (0, 1, 0)
    );
}

#[test]
fn separator_in_names_cannot_make_scopes_collide() {
    let storage = Storage::temporary().unwrap();
    // With a naive "tenant/connector/key" encoding these would all share keys.
    let x = storage.state(&Scope::new("a/b", "c"));
    let y = storage.state(&Scope::new("a", "b/c"));
    let z = storage.state(&Scope::new("a", "b"));
    x.set("k", b"x").unwrap();
    y.set("k", b"y").unwrap();
    z.set("c/k", b"z").unwrap();
    assert_eq!(x.get("k").unwrap().as_deref(), Some(&b"x"[..]));
    assert_eq!(y.get("k").unwrap().as_deref(), Some(&b"y"[..]));
    assert_eq!(z.get("c/k").unwrap().as_deref(), Some(&b"z"[..]));
    assert_eq!(z.get("k").unwrap(), None);
    // The same with the bytes shifted between tenant and connector.
    let p = storage.state(&Scope::new("ab", ""));
    let q = storage.state(&Scope::new("a", "b"));
    p.set("k", b"p").unwrap();
    assert_eq!(q.get("k").unwrap(), None);
}

#[test]
fn key_longer_than_limit_is_refused() {
    let storage = Storage::temporary().unwrap();
    let state = storage.state(&Scope::new("t", "c"));
    let ok = "k".repeat(256);
    let long = "k".repeat(257);
    state.set(&ok, b"v").unwrap();
    assert_eq!(
        state.set(&long, b"v"),
        Err(StateError::KeyTooLong { limit: 256 })
    );
    assert_eq!(state.get(&long), Err(StateError::KeyTooLong { limit: 256 }));
    assert_eq!(
        state.delete(&long),
        Err(StateError::KeyTooLong { limit: 256 })
    );
}

#[test]
fn value_larger_than_limit_is_refused_and_old_value_kept() {
    let storage = Storage::temporary().unwrap();
    let limits = StateLimits {
        max_value_bytes: 8,
        ..StateLimits::default()
    };
    let state = storage.state(&Scope::new("t", "c")).with_limits(limits);
    state.set("k", &[1; 8]).unwrap();
    assert_eq!(
        state.set("k", &[2; 9]),
        Err(StateError::ValueTooLarge { limit: 8 })
    );
    assert_eq!(state.get("k").unwrap(), Some(vec![1; 8]));
    assert_eq!(
        StateError::ValueTooLarge { limit: 8 }.to_string(),
        "state value is larger than 8 bytes"
    );
}

#[test]
fn too_many_keys_is_refused_but_updates_and_deletes_still_work() {
    let storage = Storage::temporary().unwrap();
    let limits = StateLimits {
        max_keys: 3,
        ..StateLimits::default()
    };
    let state = storage
        .state(&Scope::new("t", "c"))
        .with_limits(limits.clone());
    for key in ["a", "b", "c"] {
        state.set(key, b"1").unwrap();
    }
    assert_eq!(
        state.set("d", b"1"),
        Err(StateError::TooManyKeys { limit: 3 })
    );
    assert_eq!(
        state.get("d").unwrap(),
        None,
        "refused key must not be written"
    );
    assert_eq!(state.len().unwrap(), 3);
    state.set("a", b"2").unwrap(); // replacing an existing key is fine
    assert!(state.delete("b").unwrap());
    state.set("d", b"1").unwrap();
    assert_eq!(state.len().unwrap(), 3);
    // The limit is per scope.
    let other = storage.state(&Scope::new("t", "other")).with_limits(limits);
    other.set("a", b"1").unwrap();
}

#[test]
fn key_count_stays_exact_under_concurrent_writers() {
    let storage = Storage::temporary().unwrap();
    let limits = StateLimits {
        max_keys: 50,
        ..StateLimits::default()
    };
    let state = storage.state(&Scope::new("t", "c")).with_limits(limits);
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let state = state.clone();
            std::thread::spawn(move || {
                (0..40)
                    .filter(|i| state.set(&format!("{t}-{i}"), b"v").is_ok())
                    .count()
            })
        })
        .collect();
    let stored: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(stored, 50);
    assert_eq!(state.len().unwrap(), 50);
}
