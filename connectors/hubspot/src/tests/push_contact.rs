//! `push` of contact records against the scripted fake host.

use serde_json::json;
use switchboard_sdk::prelude::*;

use super::fake::Fake;
use super::push::{EMPTY_SEARCH, refs, run, upserted};
use super::{record, t};
use crate::api::{CONTACT_SEARCH, CONTACTS, CONTACTS_UPSERT};
use crate::normalize_record;

fn phone_contact() -> Record {
    normalize_record(record("contact", &[("phone", t("+1 650 253 0000"))])).unwrap()
}

#[test]
fn contact_record_found_by_phone_is_already_present() {
    let found = r#"{"total":1,"results":[{"id":"512","properties":{"phone":"6502530000"}}]}"#;
    let mut fake = Fake::new().answer(CONTACT_SEARCH, 200, found);
    let out = run(&mut fake, phone_contact()).unwrap();
    assert!(matches!(out.status, PushStatus::AlreadyPresent));
    assert_eq!(refs(&out), ("contacts/512".into(), vec![], vec![]));
}

#[test]
fn new_contact_with_a_phone_is_created_by_upsert() {
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACTS_UPSERT, 200, &upserted("515", true));
    let out = run(&mut fake, phone_contact()).unwrap();
    assert!(matches!(out.status, PushStatus::Created));
    assert_eq!(
        refs(&out),
        (
            "contacts/515".into(),
            vec![],
            vec!["create contacts/515".into()]
        )
    );
    assert_eq!(
        fake.sent[1].body["inputs"][0]["properties"],
        json!({"phone": "+16502530000", "switchboard_phone_e164": "+16502530000"})
    );
    assert_eq!(
        fake.state.get("phone:+16502530000").map(String::as_str),
        Some("515")
    );
}

#[test]
fn contact_pushed_again_after_a_lost_cache_is_already_present() {
    // Search still lags behind the first push; the upsert finds the contact.
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACTS_UPSERT, 200, &upserted("515", false));
    let out = run(&mut fake, phone_contact()).unwrap();
    assert!(matches!(out.status, PushStatus::AlreadyPresent));
    assert_eq!(refs(&out), ("contacts/515".into(), vec![], vec![]));
}

#[test]
fn new_email_only_contact_is_created_plainly() {
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

#[test]
fn email_only_conflict_uses_the_existing_contact() {
    let rec = normalize_record(record("contact", &[("email", t("a@example.com"))])).unwrap();
    let conflict = r#"{"status":"error","message":"Contact already exists. Existing ID: 77","category":"CONFLICT"}"#;
    let mut fake = Fake::new()
        .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
        .answer(CONTACTS, 409, conflict);
    let out = run(&mut fake, rec).unwrap();
    assert!(matches!(out.status, PushStatus::AlreadyPresent));
    assert_eq!(refs(&out).0, "contacts/77");
}
