//! Batch upsert: request bodies, answers, and the portal set-up error.

use serde_json::{Map, json};
use switchboard_sdk::prelude::*;

use super::fake::Fake;
use crate::api::{self, CALLS_UPSERT, CONTACTS_UPSERT};
use crate::upsert::{self, CALL, CONTACT, Upserted};

/// HubSpot's (simulated) answer when the idProperty does not exist.
const NO_KEY_PROPERTY: &str = r#"{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"switchboard_idempotency_key\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"switchboard_idempotency_key\"}]","correlationId":"c-1","errors":[{"message":"Property \"switchboard_idempotency_key\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["switchboard_idempotency_key"]}}],"category":"VALIDATION_ERROR"}"#;

fn props() -> Map<String, serde_json::Value> {
    json!({"hs_timestamp": "2024-05-01T10:00:00Z"})
        .as_object()
        .cloned()
        .unwrap()
}

fn permanent(result: Result<Upserted, PushError>) -> String {
    match result {
        Err(PushError::Classified(ErrorClass::Permanent(reason))) => reason,
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

#[test]
fn body_and_answer_shapes() {
    let body = api::upsert_body("switchboard_idempotency_key", "k-1", props());
    assert_eq!(
        body,
        json!({"inputs": [{"id": "k-1", "idProperty": "switchboard_idempotency_key",
            "properties": {"hs_timestamp": "2024-05-01T10:00:00Z", "switchboard_idempotency_key": "k-1"}}]})
    );
    let answer = json!({"status":"COMPLETE","results":[{"id":"12","new":true}]});
    assert_eq!(api::upserted(&answer), Some(("12".into(), true)));
    let no_flag = json!({"results":[{"id":12}]});
    assert_eq!(api::upserted(&no_flag), Some(("12".into(), false)));
    assert_eq!(api::upserted(&json!({"results":[]})), None);
    let props = api::call_properties(r#"{"properties":{"hs_call_title":"t"}}"#, "k").unwrap();
    assert_eq!(props["switchboard_idempotency_key"], "k");
    assert_eq!(props["hs_call_title"], "t");
    assert!(api::call_properties("[]", "k").is_err());
}

#[test]
fn association_path_escapes_ids() {
    assert_eq!(
        api::call_contact_association("12", "34"),
        "/crm/v4/objects/calls/12/associations/default/contacts/34"
    );
    assert_eq!(
        api::call_contact_association("1/../x", "a b"),
        "/crm/v4/objects/calls/1%2F..%2Fx/associations/default/contacts/a%20b"
    );
}

#[test]
fn missing_key_property_is_a_permanent_error_telling_what_to_create() {
    let mut fake = Fake::new().answer(CALLS_UPSERT, 400, NO_KEY_PROPERTY);
    let reason = permanent(upsert::upsert(&mut fake, CALL, "k", props()));
    assert!(
        reason.starts_with(
            "HubSpot property \"switchboard_idempotency_key\" on calls must exist with hasUniqueValue=true"
        ),
        "{reason}"
    );
    assert!(
        reason.contains("README") && reason.contains("c-1"),
        "{reason}"
    );

    let not_unique = r#"{"status":"error","message":"Property \"switchboard_phone_e164\" is not a unique identifier property","category":"VALIDATION_ERROR"}"#;
    let mut fake = Fake::new().answer(CONTACTS_UPSERT, 400, not_unique);
    let reason = permanent(upsert::upsert(&mut fake, CONTACT, "+1", props()));
    assert!(
        reason
            .contains("\"switchboard_phone_e164\" on contacts must exist with hasUniqueValue=true"),
        "{reason}"
    );
}

#[test]
fn other_errors_go_back_to_the_host() {
    let removed = r#"{"status":"error","message":"Property values were not valid","errors":[{"message":"Property \"hs_call_title\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["hs_call_title"]}}],"category":"VALIDATION_ERROR"}"#;
    let mut fake = Fake::new().answer(CALLS_UPSERT, 400, removed);
    match upsert::upsert(&mut fake, CALL, "k", props()) {
        Err(PushError::Response(r)) => assert_eq!(r.status, 400),
        other => panic!("{other:?}"),
    }
    let mut fake = Fake::new().answer(CALLS_UPSERT, 503, "");
    assert!(matches!(
        upsert::upsert(&mut fake, CALL, "k", props()),
        Err(PushError::Response(r)) if r.status == 503
    ));
}

#[test]
fn multi_status_is_judged_by_its_first_error() {
    let multi = |error: serde_json::Value| {
        json!({"status":"COMPLETE","results":[],"numErrors":1,"errors":[error]}).to_string()
    };
    let missing = multi(json!({"status":"error","category":"VALIDATION_ERROR",
        "message":"Property \"switchboard_idempotency_key\" does not exist"}));
    let mut fake = Fake::new().answer(CALLS_UPSERT, 207, &missing);
    let reason = permanent(upsert::upsert(&mut fake, CALL, "k", props()));
    assert!(reason.contains("hasUniqueValue=true"), "{reason}");

    let conflict = multi(json!({"status":"error","category":"CONFLICT",
        "message":"Contact already exists. Existing ID: 9"}));
    let mut fake = Fake::new().answer(CONTACTS_UPSERT, 207, &conflict);
    match upsert::upsert(&mut fake, CONTACT, "+1", props()) {
        Err(PushError::Response(r)) => {
            assert_eq!(r.status, 409);
            assert_eq!(crate::classify(&r), ErrorClass::Duplicate(Some("9".into())));
        }
        other => panic!("{other:?}"),
    }

    let odd = multi(json!({"status":"error","category":"SOMETHING_NEW","message":"hmm"}));
    let mut fake = Fake::new().answer(CALLS_UPSERT, 207, &odd);
    let reason = permanent(upsert::upsert(&mut fake, CALL, "k", props()));
    assert!(reason.contains("SOMETHING_NEW: hmm"), "{reason}");
}
