//! The HubSpot connector running in the host against the HubSpot simulator
//! over real HTTP on loopback: creation, dedupe by phone however it was
//! typed, the 409 path, the search-lag race, idempotent replays (also after
//! the connector's state was lost, as in a crash), the portal set-up error,
//! and every error class from HubSpot's real responses.

use std::time::Duration;

use serde_json::json;
use switchboard_hubspot_sim::{Fault, FaultAction, SimConfig, SimHandle, Simulator};
use switchboard_runtime::types::{ErrorClass, LimitScope, PushStatus, Record};
use switchboard_runtime::{AttemptResult, DeliveryReport, Deployment, RetryPolicy, deliver};
use switchboard_tests::{TestHost, connector_wasm, record};

const TOKEN: &str = "pat-test-token-7f3a";

/// A simulator whose search cannot see new objects for a minute.
async fn lagging_sim() -> SimHandle {
    Simulator::start(SimConfig {
        search_lag: Duration::from_secs(60),
        ..sim_config()
    })
    .await
    .expect("sim")
}

fn sim_config() -> SimConfig {
    SimConfig {
        tokens: vec![TOKEN.into()],
        expired_tokens: vec!["pat-expired".into()],
        scopeless_tokens: vec!["pat-noscope".into()],
        search_per_second: 1000,
        ..SimConfig::default()
    }
}

async fn deploy(host: &TestHost, sim: &SimHandle, tenant: &str, token: &str) -> Deployment {
    let secret = host.write_secret(&format!("{tenant}-token"), token);
    let manifest = switchboard_tests::hubspot_manifest(&sim.base_url(), &secret, Some("GB"));
    host.deploy(tenant, &connector_wasm("hubspot"), &manifest)
        .await
}

fn call(id: &str, phone: &str) -> Record {
    record(json!({"id": id, "kind": "call", "fields": {
        "phone": phone,
        "started-at": "2026-11-24T09:30:00+01:00",
        "duration-seconds": 125,
        "direction": "outbound",
        "title": "Renewal call",
        "notes": "Discussed the renewal",
    }}))
}

async fn push(dep: &Deployment, r: &Record, attempts: u32) -> DeliveryReport {
    let policy = RetryPolicy {
        max_attempts: attempts,
        base: Duration::from_millis(20),
        cap: Duration::from_millis(200),
        max_wait: Duration::from_secs(3),
    };
    deliver(dep, r, &policy).await
}

fn outcome(report: &DeliveryReport) -> &AttemptResult {
    report.outcome().expect("at least one attempt")
}

fn delivered_status(report: &DeliveryReport) -> PushStatus {
    match outcome(report) {
        AttemptResult::Delivered(o) => o.status,
        other => panic!("record {} not delivered: {other:?}", report.record_id),
    }
}

fn class(report: &DeliveryReport) -> ErrorClass {
    match outcome(report) {
        AttemptResult::Failed(c) => c.clone(),
        other => panic!("expected a classified failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_contact_and_associated_call() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 1).await;
    assert_eq!(delivered_status(&report), PushStatus::Created);

    let snap = sim.snapshot();
    assert_eq!(snap.contacts.len(), 1);
    let contact = &snap.contacts[0];
    assert_eq!(
        contact.properties.get("phone").map(String::as_str),
        Some("+447911123456")
    );
    assert_eq!(snap.calls.len(), 1);
    let c = &snap.calls[0];
    assert_eq!(
        c.properties.get("hs_timestamp").map(String::as_str),
        Some("2026-11-24T08:30:00.000Z")
    );
    assert_eq!(
        c.properties.get("hs_call_duration").map(String::as_str),
        Some("125000")
    );
    assert_eq!(
        c.properties.get("hs_call_direction").map(String::as_str),
        Some("OUTBOUND")
    );
    assert_eq!(c.associations, vec![(contact.id.clone(), 194)]);

    // The token went over the wire but is nowhere in what the host kept.
    let kept = serde_json::to_string(&report).expect("json");
    assert!(
        !kept.contains(TOKEN),
        "secret leaked into the delivery report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedupes_one_person_typed_five_ways() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let host = TestHost::new();
    let typed = [
        "+44 7911 123456",
        "07911123456",
        "44-7911-123456",
        "(07911) 123 456",
        "+447911123456",
    ];
    // Each record through its own tenant deployment: no shared state cache,
    // so every dedupe after the first comes from HubSpot's search.
    for (i, phone) in typed.iter().enumerate() {
        let dep = deploy(&host, &sim, &format!("tenant-{i}"), TOKEN).await;
        let report = push(&dep, &call(&format!("call-{i}"), phone), 1).await;
        assert_eq!(delivered_status(&report), PushStatus::Created, "{phone}");
    }
    let snap = sim.snapshot();
    assert_eq!(
        snap.contacts.len(),
        1,
        "one person, one contact: {:?}",
        snap.contacts
    );
    assert_eq!(snap.calls.len(), 5);
    let id = &snap.contacts[0].id;
    assert!(
        snap.calls
            .iter()
            .all(|c| c.associations == vec![(id.clone(), 194)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matches_a_contact_a_person_typed_by_hand() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let seeded = sim.seed_contact(
        json!({"phone": "07911 123456", "firstname": "Ann"})
            .as_object()
            .cloned()
            .expect("object"),
    );
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 1).await;
    assert_eq!(delivered_status(&report), PushStatus::Created);
    let snap = sim.snapshot();
    assert_eq!(
        snap.contacts.len(),
        1,
        "no duplicate of the hand-typed contact"
    );
    assert_eq!(snap.calls[0].associations, vec![(seeded, 194)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflict_409_resolves_to_the_existing_contact() {
    // Search lags far behind: the email's owner is invisible to search, so
    // the create answers 409 "Contact already exists. Existing ID: N".
    let sim = lagging_sim().await;
    let host = TestHost::new();
    let first = deploy(&host, &sim, "tenant-a", TOKEN).await;
    let mut r1 = call("call-1", "+44 7911 123456");
    r1.fields.push(switchboard_runtime::types::Field {
        name: "email".into(),
        value: switchboard_runtime::types::Value::Text("ann@example.com".into()),
    });
    assert_eq!(
        delivered_status(&push(&first, &r1, 1).await),
        PushStatus::Created
    );

    let second = deploy(&host, &sim, "tenant-b", TOKEN).await;
    let mut r2 = call("call-2", "+44 7400 123456");
    r2.fields.push(switchboard_runtime::types::Field {
        name: "email".into(),
        value: switchboard_runtime::types::Value::Text(" Ann@Example.COM ".into()),
    });
    let report = push(&second, &r2, 1).await;
    assert_eq!(delivered_status(&report), PushStatus::Created);

    let snap = sim.snapshot();
    assert_eq!(snap.contacts.len(), 1);
    let id = snap.contacts[0].id.clone();
    assert_eq!(snap.calls.len(), 2);
    assert!(
        snap.calls
            .iter()
            .all(|c| c.associations == vec![(id.clone(), 194)])
    );
    assert!(
        snap.log.iter().any(|l| l.status == 409),
        "the 409 path was taken"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_lag_race_creates_no_duplicate() {
    let sim = lagging_sim().await;
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    // Three calls with one phone (no email) right after each other: search
    // cannot see the new contact yet, and HubSpot would happily create a
    // second one. The connector's durable state remembers it.
    for (i, phone) in ["+44 7911 123456", "07911 123456", "447911123456"]
        .iter()
        .enumerate()
    {
        assert_eq!(
            delivered_status(&push(&dep, &call(&format!("c{i}"), phone), 1).await),
            PushStatus::Created
        );
    }
    let snap = sim.snapshot();
    assert_eq!(snap.contacts.len(), 1, "{:?}", snap.contacts);
    assert_eq!(snap.calls.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_record_never_creates_a_second_call() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    let r = call("call-1", "+44 7911 123456");
    assert_eq!(
        delivered_status(&push(&dep, &r, 1).await),
        PushStatus::Created
    );
    assert_eq!(
        delivered_status(&push(&dep, &r, 1).await),
        PushStatus::AlreadyPresent
    );
    assert_eq!(sim.snapshot().calls.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_5xx_is_retried_then_delivered() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    sim.inject(Fault {
        method: Some("POST".into()),
        path_prefix: Some("/crm/v3/objects/calls".into()),
        times: 2,
        for_ms: None,
        action: FaultAction::Respond {
            status: 503,
            headers: vec![],
            body:
                r#"{"status":"error","message":"Service Unavailable","category":"INTERNAL_ERROR"}"#
                    .into(),
        },
    });
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 4).await;
    assert_eq!(delivered_status(&report), PushStatus::Created);
    assert_eq!(report.attempts.len(), 3);
    assert!(matches!(
        report.attempts[0].result,
        AttemptResult::Failed(ErrorClass::Transient(_))
    ));
    assert_eq!(sim.snapshot().calls.len(), 1);
    assert_eq!(
        sim.snapshot().contacts.len(),
        1,
        "the retried attempts reused the contact"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_reset_is_transient() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    sim.inject(Fault {
        method: None,
        path_prefix: None,
        times: 1,
        for_ms: None,
        action: FaultAction::Reset,
    });
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 1).await;
    assert!(
        matches!(class(&report), ErrorClass::Transient(_)),
        "{:?}",
        class(&report)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_invalid_tokens_are_auth_errors() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let host = TestHost::new();
    for token in ["pat-expired", "pat-unknown"] {
        let dep = deploy(&host, &sim, token, token).await;
        let report = push(&dep, &call("call-1", "+44 7911 123456"), 3).await;
        assert!(
            matches!(class(&report), ErrorClass::Auth(_)),
            "{token}: {:?}",
            class(&report)
        );
        assert_eq!(report.attempts.len(), 1, "auth errors are not retried");
        assert!(
            !serde_json::to_string(&report)
                .expect("json")
                .contains(token)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scopes_is_a_permission_error() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", "pat-noscope").await;
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 1).await;
    match class(&report) {
        ErrorClass::Permission(reason) => assert!(
            reason.contains("contacts") || reason.to_lowercase().contains("scope"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_secondly_429_is_a_burst_rate_limit_with_retry_after() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    sim.inject(Fault::rate_limit_storm("", 60_000, 1));
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 1).await;
    match class(&report) {
        ErrorClass::RateLimited(r) => {
            assert_eq!(r.scope, LimitScope::Burst);
            assert_eq!(r.policy, "TEN_SECONDLY_ROLLING");
            assert_eq!(r.retry_after_ms, Some(1000));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crm_s_remaining_count_holds_requests_back_before_it_refuses_them() {
    // The portal allows one request per 10 s; the connector declares HubSpot's 190. The
    // first response says `remaining: 0` of `max: 1`, so the host holds the next request
    // back itself instead of sending it into a 429.
    let sim = Simulator::start(SimConfig {
        burst_limit: 1,
        burst_window: Duration::from_secs(10),
        ..sim_config()
    })
    .await
    .expect("sim");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 1).await;
    match class(&report) {
        ErrorClass::RateLimited(r) => {
            assert_eq!(r.scope, LimitScope::Burst);
            assert_eq!(r.policy, "host: ten-secondly");
            let wait = r.retry_after_ms.expect("the wait");
            assert!((8_000..=11_000).contains(&wait), "{wait}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        sim.rate_stats().token(TOKEN).rejected(),
        0,
        "no 429 was needed"
    );
    let snapshot = dep.limiter().snapshot();
    let budget = snapshot
        .budgets
        .iter()
        .find(|b| b.name == "ten-secondly")
        .expect("budget");
    assert_eq!((budget.server_limit, budget.remaining), (Some(1), 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_limit_is_a_daily_rate_limit() {
    let sim = Simulator::start(SimConfig {
        daily_limit: 1,
        ..sim_config()
    })
    .await
    .expect("sim");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 1).await;
    match class(&report) {
        ErrorClass::RateLimited(r) => {
            assert_eq!(r.scope, LimitScope::Daily);
            assert_eq!(r.policy, "DAILY");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_property_is_field_removed_naming_it() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    sim.remove_property("calls", "hs_call_title");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 3).await;
    match class(&report) {
        ErrorClass::FieldRemoved(f) => assert_eq!(f.field, "hs_call_title"),
        other => panic!("{other:?}"),
    }
    assert_eq!(report.attempts.len(), 1, "a removed field is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_and_migration_in_progress_are_classified() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;
    let fault = |status: u16, body: &str, headers: Vec<(String, String)>| Fault {
        method: Some("POST".into()),
        path_prefix: Some("/crm/v3/objects/calls".into()),
        times: 1,
        for_ms: None,
        action: FaultAction::Respond {
            status,
            headers,
            body: body.into(),
        },
    };
    sim.inject(fault(404, r#"{"status":"error","message":"resource not found","correlationId":"x","category":"OBJECT_NOT_FOUND"}"#, vec![]));
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 1).await;
    assert!(
        matches!(class(&report), ErrorClass::NotFound(_)),
        "{:?}",
        class(&report)
    );

    sim.inject(fault(
        477,
        r#"{"status":"error","message":"Migration in progress"}"#,
        vec![("retry-after".into(), "3".into())],
    ));
    let report = push(&dep, &call("call-2", "+44 7911 123456"), 1).await;
    assert_eq!(class(&report), ErrorClass::Transient(Some(3000)));
}

// ------------------------------------------- crash safety (CRM-side dedupe)

/// The unique call property the connector upserts by.
const CALL_KEY: &str = "switchboard_idempotency_key";
/// The unique contact property the connector upserts by.
const PHONE_KEY: &str = "switchboard_phone_e164";

fn contact(id: &str, phone: &str) -> Record {
    record(json!({"id": id, "kind": "contact", "fields": {"phone": phone, "first-name": "Ann"}}))
}

/// Asserts every value of `property` on `object` is held by exactly one
/// live object, and returns how many values there are.
fn exactly_once(sim: &SimHandle, object: &str, property: &str) -> usize {
    let counts = sim.snapshot().count_by(object, property);
    for (value, count) in &counts {
        assert_eq!(
            (count.live, count.archived),
            (1, 0),
            "{object} with {property} = {value:?}: {count:?}"
        );
    }
    counts.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_pushed_again_after_its_state_was_lost_is_still_one_call() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let r = call("call-1", "+44 7911 123456");
    let first = TestHost::new();
    let dep = deploy(&first, &sim, "acme", TOKEN).await;
    assert_eq!(
        delivered_status(&push(&dep, &r, 1).await),
        PushStatus::Created
    );

    // A crash that lost the connector's state cache: a fresh data dir, same
    // tenant, same record, so the same idempotency key.
    let second = TestHost::new();
    let dep = deploy(&second, &sim, "acme", TOKEN).await;
    assert_eq!(
        delivered_status(&push(&dep, &r, 1).await),
        PushStatus::AlreadyPresent
    );

    let snap = sim.snapshot();
    assert_eq!(snap.calls.len(), 1, "{:?}", snap.calls);
    assert_eq!(snap.contacts.len(), 1, "{:?}", snap.contacts);
    assert_eq!(exactly_once(&sim, "calls", CALL_KEY), 1);
    assert_eq!(
        snap.calls[0].associations,
        vec![(snap.contacts[0].id.clone(), 194)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_call_upsert_and_link_is_healed_by_the_replay() {
    let sim = Simulator::start(sim_config()).await.expect("sim");
    let r = call("call-1", "+44 7911 123456");
    // The call is upserted, then the connection drops on the association.
    sim.inject(Fault {
        method: Some("PUT".into()),
        path_prefix: Some("/crm/v4/objects/calls/".into()),
        times: 1,
        for_ms: None,
        action: FaultAction::Reset,
    });
    let first = TestHost::new();
    let dep = deploy(&first, &sim, "acme", TOKEN).await;
    let report = push(&dep, &r, 1).await;
    assert!(
        matches!(class(&report), ErrorClass::Transient(_)),
        "{:?}",
        class(&report)
    );
    assert_eq!(sim.snapshot().calls.len(), 1);
    assert!(sim.snapshot().calls[0].associations.is_empty());

    let second = TestHost::new();
    let dep = deploy(&second, &sim, "acme", TOKEN).await;
    assert_eq!(
        delivered_status(&push(&dep, &r, 1).await),
        PushStatus::AlreadyPresent
    );
    let snap = sim.snapshot();
    assert_eq!(exactly_once(&sim, "calls", CALL_KEY), 1);
    assert_eq!(
        snap.calls[0].associations,
        vec![(snap.contacts[0].id.clone(), 194)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_pushed_again_after_its_state_was_lost_while_search_lags_is_one_contact() {
    // Search cannot see the contact for a minute, and the second host has no
    // cache: only the upsert by switchboard_phone_e164 can find it.
    let sim = lagging_sim().await;
    let first = TestHost::new();
    let dep = deploy(&first, &sim, "acme", TOKEN).await;
    assert_eq!(
        delivered_status(&push(&dep, &contact("person-1", "+44 7911 123456"), 1).await),
        PushStatus::Created
    );

    let second = TestHost::new();
    let dep = deploy(&second, &sim, "acme", TOKEN).await;
    assert_eq!(
        delivered_status(&push(&dep, &contact("person-1", "07911 123456"), 1).await),
        PushStatus::AlreadyPresent
    );
    // A call from the same person through yet another empty cache.
    let third = TestHost::new();
    let dep = deploy(&third, &sim, "acme", TOKEN).await;
    assert_eq!(
        delivered_status(&push(&dep, &call("call-1", "+447911123456"), 1).await),
        PushStatus::Created
    );

    let snap = sim.snapshot();
    assert_eq!(snap.contacts.len(), 1, "{:?}", snap.contacts);
    assert_eq!(exactly_once(&sim, "contacts", PHONE_KEY), 1);
    assert_eq!(exactly_once(&sim, "contacts", "phone"), 1);
    assert_eq!(
        snap.calls[0].associations,
        vec![(snap.contacts[0].id.clone(), 194)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_without_the_unique_properties_is_a_clear_permanent_error() {
    let sim = Simulator::start(SimConfig {
        unique_properties: Vec::new(),
        ..sim_config()
    })
    .await
    .expect("sim");
    let host = TestHost::new();
    let dep = deploy(&host, &sim, "acme", TOKEN).await;

    // A new caller: the contact upsert is refused first.
    let report = push(&dep, &call("call-1", "+44 7911 123456"), 3).await;
    match class(&report) {
        ErrorClass::Permanent(reason) => assert!(
            reason.contains(
                "HubSpot property \"switchboard_phone_e164\" on contacts must exist with hasUniqueValue=true"
            ),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(report.attempts.len(), 1, "permanent errors are not retried");

    // A known caller (found by search): the call upsert is refused.
    sim.seed_contact(
        json!({"phone": "+44 7400 123456"})
            .as_object()
            .cloned()
            .expect("object"),
    );
    let report = push(&dep, &call("call-2", "+44 7400 123456"), 3).await;
    match class(&report) {
        ErrorClass::Permanent(reason) => assert!(
            reason.contains(
                "HubSpot property \"switchboard_idempotency_key\" on calls must exist with hasUniqueValue=true"
            ),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    let snap = sim.snapshot();
    assert!(snap.calls.is_empty());
    assert_eq!(snap.contacts.len(), 1, "only the seeded contact");
}
