//! `push` flows against the scripted fake host.

use serde_json::json;
use switchboard_sdk::http::HttpError;
use switchboard_sdk::prelude::*;

use super::fake::Fake;
use super::{record, t};
use crate::api::{CALLS, CONTACT_SEARCH, CONTACTS};
use crate::{map_record, normalize_record, push};

const KEY: &str = "tenant-a/rec-1/hubspot";
const EMPTY_SEARCH: &str = r#"{"total":0,"results":[]}"#;

fn ctx() -> PushContext {
    PushContext {
        tenant: "tenant-a".into(),
        idempotency_key: KEY.into(),
        trace_id: "trace-1".into(),
        attempt: 1,
    }
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

fn run(fake: &mut Fake, rec: Record) -> Result<PushOutcome, PushError> {
    let payload = map_record(rec.clone()).unwrap();
    push::push(fake, &ctx(), &rec, &payload)
}

fn refs(out: &PushOutcome) -> (String, Vec<String>, Vec<String>) {
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
fn cached_contact_gets_a_new_call_associated_to_it() {
    let mut fake = Fake::new().with_state("phone:+16502530000", "512").answer(
        CALLS,
        201,
        r#"{"id":"9001","properties":{},"archived":false}"#,
    );
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
    let sent = &fake.sent[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.body["associations"],
        json!([{"to": {"id": "512"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 194}]}])
    );
    assert_eq!(
        sent.body["properties"]["hs_timestamp"],
        "2024-05-01T10:00:00Z"
    );
    assert_eq!(sent.body["properties"]["hs_call_duration"], "60000");
    assert_eq!(
        fake.state.get(&format!("call:{KEY}")).map(String::as_str),
        Some("9001")
    );
    assert_eq!(fake.note("contact"), Some("state cache 512"));
}

#[test]
fn replay_is_already_present_without_any_request() {
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
fn phone_search_keeps_only_results_with_the_same_e164_and_picks_the_lowest_id() {
    let found = r#"{"total":4,"results":[
        {"id":"700","properties":{"phone":"+1 650 253 0001","mobilephone":null,"email":null}},
        {"id":"650","properties":{"phone":null,"mobilephone":"650.253.0000"}},
        {"id":"512","properties":{"phone":"(650) 253-0000"}},
        {"id":"90","properties":{"phone":"not a phone"}}]}"#;
    let mut fake =
        Fake::new()
            .answer(CONTACT_SEARCH, 200, found)
            .answer(CALLS, 201, r#"{"id":"9002"}"#);
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
        .answer(CALLS, 201, r#"{"id":"9003"}"#);
    let out = run(&mut fake, call_record()).unwrap();
    assert_eq!(refs(&out).1, vec!["contacts/333".to_string()]);
    assert_eq!(
        fake.sent[1].body["filterGroups"][0]["filters"][0],
        json!({"propertyName":"email","operator":"EQ","value":"ann@example.com"})
    );
    assert_eq!(fake.note("contact"), Some("matched 333 by email search"));
}

#[test]
fn unknown_caller_becomes_a_new_contact_and_both_creates_are_effects() {
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACTS, 201, r#"{"id":"513","properties":{}}"#)
        .answer(CALLS, 201, r#"{"id":"9004"}"#);
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
        json!({"properties": {"phone": "+16502530000", "email": "ann@example.com", "firstname": "Ann"}})
    );
    assert_eq!(fake.note("contact"), Some("created 513"));
    let paths: Vec<&str> = fake.sent.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, [CONTACT_SEARCH, CONTACT_SEARCH, CONTACTS, CALLS]);
}

#[test]
fn conflict_on_create_uses_the_existing_contact() {
    let conflict = r#"{"status":"error","message":"Contact already exists. Existing ID: 512","correlationId":"x","category":"CONFLICT"}"#;
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACTS, 409, conflict)
        .answer(CALLS, 201, r#"{"id":"9005"}"#);
    let out = run(&mut fake, call_record()).unwrap();
    assert_eq!(refs(&out).2, vec!["create calls/9005".to_string()]);
    assert_eq!(fake.note("contact"), Some("409 conflict, existing 512"));
    assert_eq!(fake.sent[3].body["associations"][0]["to"]["id"], "512");
}

#[test]
fn stale_cached_contact_is_resolved_again_once() {
    let gone = r#"{"status":"error","message":"One or more associations are invalid","category":"VALIDATION_ERROR","subCategory":"crm.associations.INVALID_OBJECT_IDS"}"#;
    let found = r#"{"total":1,"results":[{"id":"777","properties":{"phone":"+16502530000"}}]}"#;
    let mut fake = Fake::new()
        .with_state("phone:+16502530000", "512")
        .answer(CALLS, 400, gone)
        .answer(CONTACT_SEARCH, 200, found)
        .answer(CALLS, 201, r#"{"id":"9006"}"#);
    let out = run(&mut fake, call_record()).unwrap();
    assert_eq!(refs(&out).1, vec!["contacts/777".to_string()]);
    assert_eq!(
        fake.state.get("phone:+16502530000").map(String::as_str),
        Some("777")
    );
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
fn transport_failures_are_classified_by_the_sdk() {
    let mut fake = Fake::new().fail(CONTACT_SEARCH, HttpError::Timeout("total".into()));
    assert!(matches!(
        run(&mut fake, call_record()),
        Err(PushError::Classified(ErrorClass::Transient(None)))
    ));
}

#[test]
fn success_without_an_id_is_a_permanent_error_naming_it() {
    let mut fake = Fake::new()
        .with_state("phone:+16502530000", "512")
        .answer(CALLS, 201, "{}");
    match run(&mut fake, call_record()) {
        Err(PushError::Classified(ErrorClass::Permanent(r))) => {
            assert!(r.contains("\"id\""), "{r}")
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

#[test]
fn contact_record_found_by_phone_is_already_present() {
    let rec = normalize_record(record("contact", &[("phone", t("+1 650 253 0000"))])).unwrap();
    let found = r#"{"total":1,"results":[{"id":"512","properties":{"phone":"6502530000"}}]}"#;
    let mut fake = Fake::new().answer(CONTACT_SEARCH, 200, found);
    let out = run(&mut fake, rec).unwrap();
    assert!(matches!(out.status, PushStatus::AlreadyPresent));
    assert_eq!(refs(&out), ("contacts/512".into(), vec![], vec![]));
}

#[test]
fn new_email_only_contact_is_created() {
    let rec = normalize_record(record(
        "contact",
        &[("email", t("New@Example.com")), ("last-name", t("Lee"))],
    ))
    .unwrap();
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACTS, 201, r#"{"id":"514"}"#);
    let out = run(&mut fake, rec).unwrap();
    assert!(matches!(out.status, PushStatus::Created));
    assert_eq!(
        refs(&out),
        (
            "contacts/514".into(),
            vec![],
            vec!["create contacts/514".into()]
        )
    );
    assert_eq!(
        fake.sent[1].body,
        json!({"properties": {"email": "new@example.com", "lastname": "Lee"}})
    );
    assert!(
        fake.state.is_empty(),
        "no phone, nothing cached: {:?}",
        fake.state
    );
}
