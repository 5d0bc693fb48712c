//! The one-time move from connector-named scopes to deployment scopes.

use std::time::Duration;

use switchboard_storage::{Adopted, LegacyClaim, Scope, Storage};

fn claim(tenant: &str, deployment: &str, claimed: &str) -> LegacyClaim {
    LegacyClaim {
        tenant: tenant.into(),
        deployment: deployment.into(),
        claimed_name: claimed.into(),
    }
}

/// A store as an older host left it: state and a job under the connector's own name.
fn legacy_store() -> Storage {
    let storage = Storage::temporary().unwrap();
    let old = Scope::new("acme", "hubspot");
    storage.state(&old).set("call:k1", b"calls/101").unwrap();
    storage.state(&old).set("cursor", b"7").unwrap();
    storage
        .jobs(&old)
        .enqueue("refresh", b"page-2", Duration::from_secs(60))
        .unwrap();
    storage
}

#[test]
fn a_deployment_named_after_its_connector_keeps_its_data_in_place() {
    let storage = legacy_store();
    let moved = storage
        .migrate_scopes(&[claim("acme", "hubspot", "hubspot")])
        .unwrap();
    assert!(moved.is_empty(), "{moved:?}");
    let state = storage.state(&Scope::new("acme", "hubspot"));
    assert_eq!(
        state.get("call:k1").unwrap().as_deref(),
        Some(&b"calls/101"[..])
    );
    assert_eq!(storage.key_identity("acme", "hubspot").unwrap(), "hubspot");
}

#[test]
fn a_renamed_deployment_adopts_state_jobs_and_key_identity() {
    let storage = legacy_store();
    let moved = storage
        .migrate_scopes(&[claim("acme", "crm", "hubspot")])
        .unwrap();
    assert_eq!(
        moved,
        vec![Adopted {
            tenant: "acme".into(),
            deployment: "crm".into(),
            from: "hubspot".into(),
            // two values, one count, one job, one job index row
            entries: 5,
        }]
    );
    let new = Scope::new("acme", "crm");
    let state = storage.state(&new);
    assert_eq!(
        state.get("call:k1").unwrap().as_deref(),
        Some(&b"calls/101"[..])
    );
    assert_eq!(state.get("cursor").unwrap().as_deref(), Some(&b"7"[..]));
    assert_eq!(state.len().unwrap(), 2);
    let jobs = storage.jobs(&new).pending().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].payload, b"page-2");
    assert!(storage.jobs(&new).remove(&jobs[0].id).unwrap());
    // Keys stay those computed before the upgrade, so retries still dedupe.
    assert_eq!(storage.key_identity("acme", "crm").unwrap(), "hubspot");
    // The old entries are left for a rollback.
    let old = storage.state(&Scope::new("acme", "hubspot"));
    assert_eq!(old.len().unwrap(), 2);
}

#[test]
fn an_impostor_beside_the_deployment_named_after_the_connector_gets_nothing() {
    let storage = legacy_store();
    let moved = storage
        .migrate_scopes(&[
            claim("acme", "hubspot", "hubspot"),
            claim("acme", "evil", "hubspot"),
        ])
        .unwrap();
    assert!(moved.is_empty(), "{moved:?}");
    assert!(
        storage
            .state(&Scope::new("acme", "evil"))
            .is_empty()
            .unwrap()
    );
    assert_eq!(storage.key_identity("acme", "evil").unwrap(), "evil");
}

#[test]
fn migration_runs_once_so_a_later_deployment_inherits_nothing() {
    let storage = legacy_store();
    assert!(storage.migrate_scopes(&[]).unwrap().is_empty());
    let moved = storage
        .migrate_scopes(&[claim("acme", "later", "hubspot")])
        .unwrap();
    assert!(moved.is_empty(), "{moved:?}");
    assert!(
        storage
            .state(&Scope::new("acme", "later"))
            .is_empty()
            .unwrap()
    );
}

#[test]
fn other_tenants_are_never_involved() {
    let storage = legacy_store();
    let moved = storage
        .migrate_scopes(&[claim("globex", "crm", "hubspot")])
        .unwrap();
    assert!(moved.is_empty(), "{moved:?}");
    assert!(
        storage
            .state(&Scope::new("globex", "crm"))
            .is_empty()
            .unwrap()
    );
}

#[test]
fn migration_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let storage = Storage::open(dir.path()).unwrap();
        storage
            .state(&Scope::new("acme", "hubspot"))
            .set("call:k1", b"calls/101")
            .unwrap();
        storage
            .migrate_scopes(&[claim("acme", "crm", "hubspot")])
            .unwrap();
    }
    let storage = Storage::open(dir.path()).unwrap();
    assert_eq!(storage.key_identity("acme", "crm").unwrap(), "hubspot");
    assert_eq!(
        storage
            .state(&Scope::new("acme", "crm"))
            .get("call:k1")
            .unwrap()
            .as_deref(),
        Some(&b"calls/101"[..])
    );
    assert!(
        storage
            .migrate_scopes(&[claim("acme", "other", "hubspot")])
            .unwrap()
            .is_empty()
    );
}

#[test]
fn only_a_store_with_unmoved_data_is_pending_migration() {
    let fresh = Storage::temporary().unwrap();
    assert!(!fresh.scopes_pending_migration().unwrap());
    let legacy = legacy_store();
    assert!(legacy.scopes_pending_migration().unwrap());
    legacy
        .migrate_scopes(&[claim("acme", "hubspot", "hubspot")])
        .unwrap();
    assert!(!legacy.scopes_pending_migration().unwrap());
}
