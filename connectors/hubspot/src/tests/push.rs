//! `push` of calls against the scripted fake host.

use serde_json::json;
use switchboard_sdk::http::{HttpError, TransportError};
use switchboard_sdk::prelude::*;

use super::fake::Fake;
use super::{record, t};
use crate::api::{CALLS_UPSERT, CONTACT_SEARCH, CONTACTS_UPSERT};
use crate::{map_record, normalize_record, push};

pub(crate) const KEY: &str = "tenant-a/rec-1/hubspot";
pub(crate) const EMPTY_SEARCH: &str = r#"{"total":0,"results":[]}"#;
const LINK_512: &str = "/crm/v4/objects/calls/9001/associations/default/contacts/512";
const LINKED: &str = r#"{"status":"COMPLETE","results":[]}"#;

fn ctx() -> PushContext {
    PushContext {
        tenant: "tenant-a".into(),
        idempotency_key: KEY.into(),
        trace_id: "trace-1".into(),
        attempt: 1,
    }
}

/// A batch upsert answer for one object.
pub(crate) fn upserted(id: &str, new: bool) -> String {
    json!({"status":"COMPLETE","results":[{"id": id, "properties": {}, "new": new}],
           "startedAt":"2024-05-01T10:00:00.000Z","completedAt":"2024-05-01T10:00:00.001Z"})
    .to_string()
}

fn call_record() -> Record {
    let rec = record(
        "call",
        &[
            ("phone", t("(650) 253-0000")),
            ("email", t("Ann@Example.com")),
            ("first-name", t("Ann")),
            ("started-at", t("2024-05-01T12:00:00+02:00")),
            ("duration-seconds", Value::Integer(60)),
            ("direction", t("inbound")),
        ],
    );
    normalize_record(rec).unwrap()
}

/// Pushes a normalized record through `map_fields` and `push`.
pub(crate) fn run(fake: &mut Fake, rec: Record) -> Result<PushOutcome, PushError> {
    let payload = map_record(rec.clone()).unwrap();
    push::push(fake, &ctx(), &rec, &payload)
}

/// `(primary, related, effects)` as `object/id` text.
pub(crate) fn refs(out: &PushOutcome) -> (String, Vec<String>, Vec<String>) {
    let r = |c: &CrmRef| format!("{}/{}", c.object, c.id);
    (
        r(&out.primary),
        out.related.iter().map(r).collect(),
        out.effects
            .iter()
            .map(|e| format!("{} {}", e.action, r(&e.target)))
            .collect(),
    )
}

#[test]
fn cached_contact_gets_a_call_upserted_by_key_then_linked() {
    let mut fake = Fake::new()
        .with_state("phone:+16502530000", "512")
        .answer(CALLS_UPSERT, 200, &upserted("9001", true))
        .answer(LINK_512, 200, LINKED);
    let out = run(&mut fake, call_record()).unwrap();
    assert!(matches!(out.status, PushStatus::Created));
    assert_eq!(
        refs(&out),
        (
            "calls/9001".into(),
            vec!["contacts/512".into()],
            vec!["create calls/9001".into()]
        )
    );
    let upsert = &fake.sent[0];
    assert_eq!(upsert.method, "POST");
    let input = &upsert.body["inputs"][0];
    assert_eq!(input["id"], KEY);
    assert_eq!(input["idProperty"], "switchboard_idempotency_key");
    assert_eq!(input["properties"]["switchboard_idempotency_key"], KEY);
    assert_eq!(input["properties"]["hs_timestamp"], "2024-05-01T10:00:00Z");
    assert_eq!(input["properties"]["hs_call_duration"], "60000");
    assert!(input.get("associations").is_none());
    let link = &fake.sent[1];
    assert_eq!((link.method.as_str(), &link.body), ("PUT", &json!(null)));
    assert_eq!(
        fake.state.get(&format!("call:{KEY}")).map(String::as_str),
        Some("9001")
    );
    assert_eq!(fake.note("contact"), Some("state cache 512"));
    assert_eq!(fake.note("call"), Some("created 9001"));
}

#[test]
fn replay_with_the_cache_is_already_present_without_any_request() {
    let mut fake = Fake::new()
        .with_state(&format!("call:{KEY}"), "9001")
        .with_state("phone:+16502530000", "512");
    let out = run(&mut fake, call_record()).unwrap();
    assert!(matches!(out.status, PushStatus::AlreadyPresent));
    assert_eq!(
        refs(&out),
        ("calls/9001".into(), vec!["contacts/512".into()], vec![])
    );
    assert!(fake.sent.is_empty());
}

#[test]
fn replay_after_a_lost_cache_finds_the_call_by_its_key() {
    // The previous attempt created call 9001 and died before the state
    // write: HubSpot's upsert answers with the same call, `new: false`.
    let mut fake = Fake::new()
        .with_state("phone:+16502530000", "512")
        .answer(CALLS_UPSERT, 200, &upserted("9001", false))
        .answer(LINK_512, 200, LINKED);
    let out = run(&mut fake, call_record()).unwrap();
    assert!(matches!(out.status, PushStatus::AlreadyPresent));
    assert_eq!(
        refs(&out),
        ("calls/9001".into(), vec!["contacts/512".into()], vec![])
    );
    assert_eq!(fake.paths(), [CALLS_UPSERT, LINK_512], "linked again");
    assert_eq!(
        fake.state.get(&format!("call:{KEY}")).map(String::as_str),
        Some("9001")
    );
    assert_eq!(
        fake.note("call"),
        Some("already in HubSpot as 9001 (found by switchboard_idempotency_key)")
    );
}

#[test]
fn phone_search_keeps_only_results_with_the_same_e164_and_picks_the_lowest_id() {
    let found = r#"{"total":4,"results":[
        {"id":"700","properties":{"phone":"+1 650 253 0001","mobilephone":null,"email":null}},
        {"id":"650","properties":{"phone":null,"mobilephone":"650.253.0000"}},
        {"id":"512","properties":{"phone":"(650) 253-0000"}},
        {"id":"90","properties":{"phone":"not a phone"}}]}"#;
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, found)
        .answer(CALLS_UPSERT, 200, &upserted("9001", true))
        .answer(LINK_512, 200, LINKED);
    let out = run(&mut fake, call_record()).unwrap();
    assert_eq!(refs(&out).1, vec!["contacts/512".to_string()]);
    assert_eq!(fake.note("contact"), Some("matched 512 by phone search"));
    assert_eq!(
        fake.state.get("phone:+16502530000").map(String::as_str),
        Some("512")
    );
    let groups = fake.sent[0].body["filterGroups"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!groups.is_empty() && groups.len() <= 5, "{groups:?}");
    let values: Vec<&str> = groups
        .iter()
        .map(|g| g["filters"][0]["value"].as_str().unwrap())
        .collect();
    assert!(
        values.contains(&"+16502530000") && values.contains(&"(650) 253-0000"),
        "{values:?}"
    );
    assert!(
        groups
            .iter()
            .all(|g| g["filters"][0]["propertyName"] == "phone"
                && g["filters"][0]["operator"] == "EQ")
    );
}

#[test]
fn email_search_follows_a_phone_miss() {
    let by_email = r#"{"total":1,"results":[{"id":"333","properties":{"email":"ann@example.com","phone":"+44 20 7946 0958"}}]}"#;
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACT_SEARCH, 200, by_email)
        .answer(CALLS_UPSERT, 200, &upserted("9001", true))
        .answer(
            "/crm/v4/objects/calls/9001/associations/default/contacts/333",
            200,
            LINKED,
        );
    let out = run(&mut fake, call_record()).unwrap();
    assert_eq!(refs(&out).1, vec!["contacts/333".to_string()]);
    assert_eq!(
        fake.sent[1].body["filterGroups"][0]["filters"][0],
        json!({"propertyName":"email","operator":"EQ","value":"ann@example.com"})
    );
    assert_eq!(fake.note("contact"), Some("matched 333 by email search"));
}

#[test]
fn unknown_caller_is_upserted_by_phone_and_both_creates_are_effects() {
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACTS_UPSERT, 200, &upserted("513", true))
        .answer(CALLS_UPSERT, 200, &upserted("9004", true))
        .answer(
            "/crm/v4/objects/calls/9004/associations/default/contacts/513",
            200,
            LINKED,
        );
    let out = run(&mut fake, call_record()).unwrap();
    assert_eq!(
        refs(&out),
        (
            "calls/9004".into(),
            vec!["contacts/513".into()],
            vec!["create contacts/513".into(), "create calls/9004".into()]
        )
    );
    assert_eq!(
        fake.sent[2].body,
        json!({"inputs": [{"id": "+16502530000", "idProperty": "switchboard_phone_e164",
            "properties": {"phone": "+16502530000", "email": "ann@example.com",
                           "firstname": "Ann", "switchboard_phone_e164": "+16502530000"}}]})
    );
    assert_eq!(fake.note("contact"), Some("created 513"));
    assert_eq!(
        fake.paths()[..4],
        [
            CONTACT_SEARCH,
            CONTACT_SEARCH,
            CONTACTS_UPSERT,
            CALLS_UPSERT
        ]
    );
}

#[test]
fn contact_created_before_a_crash_is_found_by_the_upsert_while_search_lags() {
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACTS_UPSERT, 200, &upserted("512", false))
        .answer(CALLS_UPSERT, 200, &upserted("9001", true))
        .answer(LINK_512, 200, LINKED);
    let out = run(&mut fake, call_record()).unwrap();
    assert_eq!(
        refs(&out),
        (
            "calls/9001".into(),
            vec!["contacts/512".into()],
            vec!["create calls/9001".into()]
        )
    );
    assert_eq!(
        fake.note("contact"),
        Some("matched 512 by switchboard_phone_e164 upsert")
    );
    assert_eq!(
        fake.state.get("phone:+16502530000").map(String::as_str),
        Some("512")
    );
}

#[test]
fn conflict_on_the_contact_upsert_uses_the_existing_contact() {
    let conflict = r#"{"status":"error","message":"Contact already exists. Existing ID: 512","correlationId":"x","category":"CONFLICT"}"#;
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACTS_UPSERT, 409, conflict)
        .answer(CALLS_UPSERT, 200, &upserted("9001", true))
        .answer(LINK_512, 200, LINKED);
    let out = run(&mut fake, call_record()).unwrap();
    assert_eq!(refs(&out).2, vec!["create calls/9001".to_string()]);
    assert_eq!(fake.note("contact"), Some("409 conflict, existing 512"));
}

#[test]
fn stale_cached_contact_is_resolved_again_once_and_the_call_is_not_upserted_twice() {
    let gone = r#"{"status":"error","message":"resource not found","correlationId":"x","category":"OBJECT_NOT_FOUND"}"#;
    let found = r#"{"total":1,"results":[{"id":"777","properties":{"phone":"+16502530000"}}]}"#;
    let mut fake = Fake::new()
        .with_state("phone:+16502530000", "512")
        .answer(CALLS_UPSERT, 200, &upserted("9001", true))
        .answer(LINK_512, 404, gone)
        .answer(CONTACT_SEARCH, 200, found)
        .answer(
            "/crm/v4/objects/calls/9001/associations/default/contacts/777",
            200,
            LINKED,
        );
    let out = run(&mut fake, call_record()).unwrap();
    assert_eq!(refs(&out).1, vec!["contacts/777".to_string()]);
    assert_eq!(
        fake.state.get("phone:+16502530000").map(String::as_str),
        Some("777")
    );
    assert_eq!(
        fake.paths().iter().filter(|p| **p == CALLS_UPSERT).count(),
        1
    );
}

#[test]
fn a_failed_link_is_returned_and_nothing_is_cached() {
    let mut fake = Fake::new()
        .with_state("phone:+16502530000", "512")
        .answer(CALLS_UPSERT, 200, &upserted("9001", true))
        .answer(LINK_512, 503, "");
    match run(&mut fake, call_record()) {
        Err(PushError::Response(r)) => assert_eq!(r.status, 503),
        other => panic!("{other:?}"),
    }
    assert!(!fake.state.contains_key(&format!("call:{KEY}")));
}

#[test]
fn error_responses_go_back_to_the_host_for_classification() {
    let limited = r#"{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}"#;
    let mut fake = Fake::new().answer(CONTACT_SEARCH, 429, limited);
    match run(&mut fake, call_record()) {
        Err(PushError::Response(r)) => assert_eq!(r.status, 429),
        other => panic!("{other:?}"),
    }
    assert!(!fake.state.contains_key(&format!("call:{KEY}")));
}

#[test]
fn transport_failures_go_back_to_the_host_as_they_came() {
    let timeout = HttpError::Timeout {
        phase: switchboard_sdk::http::TimeoutPhase::TlsHandshake,
        limit_ms: 5000,
    };
    let mut fake = Fake::new().fail(CONTACT_SEARCH, timeout);
    match run(&mut fake, call_record()) {
        Err(PushError::Transport(TransportError::Timeout(t))) => assert_eq!(t.limit_ms, 5000),
        other => panic!("{other:?}"),
    }
    let throttled = HttpError::Throttled {
        wait_ms: 700,
        budget: "ten-secondly".into(),
    };
    let mut fake = Fake::new().fail(CONTACT_SEARCH, throttled);
    match run(&mut fake, call_record()) {
        Err(PushError::Transport(TransportError::Throttled(t))) => assert_eq!(t.wait_ms, 700),
        other => panic!("{other:?}"),
    }
}

#[test]
fn success_without_an_id_is_a_permanent_error_naming_it() {
    let mut fake =
        Fake::new()
            .with_state("phone:+16502530000", "512")
            .answer(CALLS_UPSERT, 200, "{}");
    match run(&mut fake, call_record()) {
        Err(PushError::Classified(ErrorClass::Permanent(r))) => {
            assert!(r.contains("\"id\"") && r.contains("results"), "{r}")
        }
        other => panic!("{other:?}"),
    }
    let mut fake = Fake::new().answer(CONTACT_SEARCH, 200, r#"{"oops":true}"#);
    match run(&mut fake, call_record()) {
        Err(PushError::Classified(ErrorClass::Permanent(r))) => {
            assert!(r.contains("results"), "{r}")
        }
        other => panic!("{other:?}"),
    }
}
