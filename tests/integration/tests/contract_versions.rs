//! A connector built against the deprecated contract 0.2.0 (`tests/guests/legacy-contacts`,
//! wit-bindgen against `wit/versions/0.2.0`) loads beside 0.3.0 connectors and runs through
//! every import of its version, against the HubSpot simulator; the 0.2.0 conventions the
//! current contract replaced (`state.delete`, the `field-removed: ` reason prefix) reach the
//! host as their 0.3.0 equivalents.

use std::time::Duration;

use serde_json::json;
use switchboard_hubspot_sim::{SimConfig, SimHandle, Simulator};
use switchboard_runtime::types::{ErrorClass, LimitScope, PushContext, PushStatus, Record};
use switchboard_runtime::{
    AttemptResult, ContractVersion, Deployment, RetryPolicy, WorkUnit, deliver, idempotency_key,
};
use switchboard_tests::{TestHost, connector_wasm, guest_wasm, record, sim_manifest};

const TOKEN: &str = "pat-legacy-token-5d0e";

async fn simulator() -> SimHandle {
    Simulator::start(SimConfig {
        tokens: vec![TOKEN.into()],
        ..SimConfig::default()
    })
    .await
    .expect("start simulator")
}

/// The 0.2.0 fixture deployed for `tenant` against `base_url`.
async fn legacy(host: &TestHost, tenant: &str, base_url: &str) -> Deployment {
    let secret = host.write_secret(&format!("{tenant}-token"), TOKEN);
    let manifest = sim_manifest(("legacy-contacts", "^0.2"), base_url, &secret, None);
    host.deploy(tenant, &guest_wasm("legacy_contacts"), &manifest)
        .await
}

fn contact(id: &str, email: &str, extra: serde_json::Value) -> Record {
    let mut fields = json!({ "email": email, "firstname": "Ada" });
    if let (Some(all), Some(more)) = (fields.as_object_mut(), extra.as_object()) {
        all.extend(more.clone());
    }
    record(json!({ "id": id, "kind": "contact", "fields": fields }))
}

fn ctx(dep: &Deployment, record_id: &str) -> PushContext {
    PushContext {
        tenant: dep.tenant().into(),
        idempotency_key: idempotency_key(dep.tenant(), record_id, dep.connector()),
        trace_id: format!("trace-{record_id}"),
        attempt: 1,
    }
}

/// normalize, map-fields and push in one fresh instance; the status and the unit's
/// annotations.
async fn push_once(dep: &Deployment, rec: &Record) -> (PushStatus, Vec<(String, String)>) {
    let mut inst = dep
        .instantiate(WorkUnit {
            record_id: rec.id.clone(),
            trace_id: format!("trace-{}", rec.id),
        })
        .await
        .expect("instantiate");
    let rec = inst.normalize(rec).await.expect("no fault").expect("valid");
    let payload = inst
        .map_fields(&rec)
        .await
        .expect("no fault")
        .expect("mapped");
    let outcome = match inst.push(&ctx(dep, &rec.id), &rec, &payload).await {
        Ok(Ok(outcome)) => outcome,
        other => panic!("push {:?}: {other:?}", rec.id),
    };
    (outcome.status, inst.journal().annotations.clone())
}

fn quick_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 2,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(50),
        max_wait: Duration::from_secs(1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_a_0_2_0_connector_beside_0_3_0_ones_and_says_it_is_deprecated() {
    let host = TestHost::new();
    let old = host.load(&guest_wasm("legacy_contacts")).await;
    let new = host.load(&connector_wasm("hubspot")).await;

    assert_eq!(old.contract(), ContractVersion::V0_2);
    assert_eq!(old.contract().package(), "switchboard:connector@0.2.0");
    assert!(old.contract().is_deprecated());
    assert_eq!(new.contract(), ContractVersion::V0_3);
    assert!(!new.contract().is_deprecated());

    // `describe` came through the adapter whole.
    let d = old.descriptor();
    assert_eq!(
        (d.name.as_str(), d.version.as_str()),
        ("legacy-contacts", "0.2.0")
    );
    assert_eq!(d.record_kinds, ["contact"]);
    assert_eq!(d.secret_names, ["hubspot-token"]);
    let limit = &d.rate_limits[0];
    assert_eq!(
        (
            limit.name.as_str(),
            limit.tokens,
            limit.window_ms,
            limit.scope
        ),
        ("ten-secondly", 100, 10_000, LimitScope::Burst)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_2_0_connector_reaches_every_import_through_the_adapter() {
    let sim = simulator().await;
    let host = TestHost::new();
    let dep = legacy(&host, "acme", &sim.base_url()).await;

    // http (secret header, config base-url), state.set, audit, log, limits.
    let rec = contact("c-1", "  Ada@Example.COM ", json!({}));
    let (status, notes) = push_once(&dep, &rec).await;
    assert_eq!(status, PushStatus::Created);
    let snap = sim.snapshot();
    assert_eq!(snap.contacts.len(), 1, "{:?}", snap.contacts);
    let stored = &snap.contacts[0];
    assert_eq!(
        stored.properties["email"], "ada@example.com",
        "normalized by the guest"
    );
    assert!(
        notes.contains(&("hubspot-id".to_string(), stored.id.clone())),
        "{notes:?}"
    );

    // state.get: the same key again creates nothing.
    let (status, _) = push_once(&dep, &rec).await;
    assert_eq!(status, PushStatus::AlreadyPresent);
    assert_eq!(sim.snapshot().contacts.len(), 1);

    // state.delete (0.2.0's name for remove) answers whether the key existed; with the
    // key forgotten the push creates again (a new e-mail: HubSpot's e-mails are unique).
    let forget = contact("c-1", "ada.l@example.com", json!({ "forget": true }));
    let (status, notes) = push_once(&dep, &forget).await;
    assert_eq!(status, PushStatus::Created, "the key was forgotten");
    assert!(
        notes.contains(&("forgot".into(), "true".into())),
        "{notes:?}"
    );
    assert_eq!(sim.snapshot().contacts.len(), 2);

    // What the guest touched, as the kit sees it.
    let mut inst = dep
        .instantiate(WorkUnit {
            record_id: "c-2".into(),
            trace_id: "trace-c-2".into(),
        })
        .await
        .expect("instantiate");
    let rec = contact("c-2", "bob@example.com", json!({}));
    let payload = inst
        .map_fields(&rec)
        .await
        .expect("no fault")
        .expect("mapped");
    let outcome = inst.push(&ctx(&dep, "c-2"), &rec, &payload).await;
    assert!(matches!(outcome, Ok(Ok(_))), "{outcome:?}");
    let seen = inst.observed();
    for call in [
        "http.send",
        "state.get",
        "state.set",
        "audit.annotate",
        "log.log",
        "limits.report",
    ] {
        assert!(
            seen.calls.contains_key(call),
            "{call} missing from {:?}",
            seen.calls
        );
    }
    assert!(seen.budgets.contains("ten-secondly"), "{:?}", seen.budgets);
    assert!(seen.secrets.contains("hubspot-token"), "{:?}", seen.secrets);
    assert!(
        seen.logs
            .iter()
            .any(|l| l.level == "info" && l.message.starts_with("created contact")),
        "{:?}",
        seen.logs
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_2_0_field_removed_reason_becomes_the_field_removed_class() {
    let sim = simulator().await;
    sim.remove_property("contacts", "legacy_note");
    let host = TestHost::new();
    let dep = legacy(&host, "acme", &sim.base_url()).await;

    let rec = contact(
        "c-3",
        "eve@example.com",
        json!({ "note": "met at the fair" }),
    );
    let report = deliver(&dep, &rec, &quick_policy()).await;
    match report.outcome() {
        Some(AttemptResult::Failed(ErrorClass::FieldRemoved(e))) => {
            assert_eq!(e.field, "legacy_note");
            assert!(
                !e.reason.starts_with("field-removed"),
                "prefix stripped: {e:?}"
            );
        }
        other => panic!("expected field-removed: {other:?}"),
    }
    assert_eq!(report.attempts.len(), 1, "a removed field is not retried");

    // Once the property exists again, the same record goes through.
    sim.define_property("contacts", "legacy_note", false);
    let again = contact(
        "c-4",
        "eve@example.com",
        json!({ "note": "met at the fair" }),
    );
    let report = deliver(&dep, &again, &quick_policy()).await;
    assert!(
        matches!(report.outcome(), Some(AttemptResult::Delivered(_))),
        "{:?}",
        report.outcome()
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_2_0_connector_gets_http_errors_in_its_own_types() {
    let host = TestHost::new();
    // Nothing listens on port 9: the guest sees 0.2.0's `connect` error and calls it transient.
    let dep = legacy(&host, "acme", "http://127.0.0.1:9").await;
    let report = deliver(
        &dep,
        &contact("c-5", "zed@example.com", json!({})),
        &quick_policy(),
    )
    .await;
    assert_eq!(
        report.attempts.len(),
        2,
        "transient, so retried: {:?}",
        report.attempts
    );
    assert!(
        matches!(
            report.outcome(),
            Some(AttemptResult::Failed(ErrorClass::Transient(_)))
        ),
        "{:?}",
        report.outcome()
    );
}
