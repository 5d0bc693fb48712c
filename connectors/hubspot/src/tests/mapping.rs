use serde_json::{Value as Json, json};
use switchboard_sdk::prelude::*;

use super::{record, t};
use crate::map_record;

fn body(p: &Payload) -> Json {
    serde_json::from_str(&p.body).unwrap()
}

#[test]
fn full_call_maps_to_hubspot_call_properties() {
    let rec = record(
        "call",
        &[
            ("phone", t("+16502530000")),
            ("email", t("ann@example.com")),
            (
                "started-at",
                Value::Timestamp("2024-05-01T10:00:00Z".into()),
            ),
            ("duration-seconds", Value::Integer(95)),
            ("direction", t("inbound")),
            ("title", t("Support call")),
            ("notes", t("Asked about invoices")),
            ("status", t("COMPLETED")),
            ("from-number", t("+16502530000")),
            ("to-number", t("+14155550123")),
            ("recording-url", t("https://rec.example/1.mp3")),
            ("crm-owner", t("ignored")),
        ],
    );
    let p = map_record(rec).unwrap();
    assert_eq!(p.object, "calls");
    assert_eq!(
        body(&p),
        json!({"properties": {
            "hs_timestamp": "2024-05-01T10:00:00Z",
            "hs_call_title": "Support call",
            "hs_call_body": "Asked about invoices",
            "hs_call_duration": "95000",
            "hs_call_direction": "INBOUND",
            "hs_call_status": "COMPLETED",
            "hs_call_from_number": "+16502530000",
            "hs_call_to_number": "+14155550123",
            "hs_call_recording_url": "https://rec.example/1.mp3",
        }})
    );
}

#[test]
fn minimal_call_has_only_timestamp_and_default_status() {
    let rec = record(
        "call",
        &[
            ("phone", t("+16502530000")),
            (
                "started-at",
                Value::Timestamp("2024-05-01T10:00:00Z".into()),
            ),
            ("notes", Value::Null),
        ],
    );
    let p = map_record(rec).unwrap();
    assert_eq!(
        p.body,
        r#"{"properties":{"hs_call_status":"COMPLETED","hs_timestamp":"2024-05-01T10:00:00Z"}}"#
    );
}

#[test]
fn outbound_direction_is_upper_case() {
    let rec = record(
        "call",
        &[
            ("started-at", t("2024-05-01T10:00:00Z")),
            ("direction", t("outbound")),
        ],
    );
    assert_eq!(
        body(&map_record(rec).unwrap())["properties"]["hs_call_direction"],
        "OUTBOUND"
    );
}

#[test]
fn contact_maps_to_hubspot_contact_properties() {
    let rec = record(
        "contact",
        &[
            ("phone", t("+447911123456")),
            ("email", t("ann@example.com")),
            ("first-name", t("Ann")),
            ("last-name", t("Lee")),
            ("company", t("Acme")),
        ],
    );
    let p = map_record(rec).unwrap();
    assert_eq!(p.object, "contacts");
    assert_eq!(
        body(&p),
        json!({"properties": {"phone": "+447911123456", "email": "ann@example.com", "firstname": "Ann", "lastname": "Lee", "company": "Acme"}})
    );
}

#[test]
fn call_without_started_at_is_a_field_error() {
    let errs = map_record(record(
        "call",
        &[("phone", t("+16502530000")), ("direction", t("up"))],
    ))
    .unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["started-at", "direction"]);
}
