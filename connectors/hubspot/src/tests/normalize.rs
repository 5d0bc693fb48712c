use switchboard_sdk::prelude::*;

use super::{record, t};
use crate::{normalize_record, normalize_record_with};

fn call(fields: &[(&str, Value)]) -> Record {
    let mut all = vec![("started-at", t("2024-05-01T10:00:00Z"))];
    all.extend_from_slice(fields);
    record("call", &all)
}

fn text_of(rec: &Record, name: &str) -> Option<String> {
    match rec.get(name) {
        Some(Value::Text(s) | Value::Timestamp(s)) => Some(s.clone()),
        other => panic!("{name} is not text: {other:?}"),
    }
}

fn error_fields(errs: &[FieldError]) -> Vec<&str> {
    errs.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn five_spellings_of_one_number_become_one_e164() {
    let typed = [
        t("+1 650 253 0000"),
        t("(650) 253-0000"),
        t("650.253.0000"),
        t("1-650-253-0000"),
        Value::Integer(6_502_530_000),
    ];
    for v in typed {
        let out = normalize_record(call(&[("phone", v.clone())])).unwrap();
        assert_eq!(
            text_of(&out, "phone").as_deref(),
            Some("+16502530000"),
            "{v:?}"
        );
    }
}

#[test]
fn numbers_without_country_code_use_the_given_region() {
    let rec = call(&[
        ("phone", t("07911 123456")),
        ("from-number", t("020 7946 0958")),
        ("to-number", t("+1 650 253 0000")),
    ]);
    let out = normalize_record_with(rec, "GB").unwrap();
    assert_eq!(text_of(&out, "phone").as_deref(), Some("+447911123456"));
    assert_eq!(
        text_of(&out, "from-number").as_deref(),
        Some("+442079460958")
    );
    assert_eq!(text_of(&out, "to-number").as_deref(), Some("+16502530000"));
}

#[test]
fn reports_every_bad_field_together_with_its_name() {
    let rec = record(
        "call",
        &[
            ("phone", t("call me maybe")),
            ("duration-seconds", Value::Integer(-5)),
            ("direction", t("sideways")),
            ("email", t("not-an-email")),
        ],
    );
    let errs = normalize_record(rec).unwrap_err();
    let mut fields = error_fields(&errs);
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "direction",
            "duration-seconds",
            "email",
            "phone",
            "started-at"
        ]
    );
    let duration = errs.iter().find(|e| e.field == "duration-seconds").unwrap();
    assert!(duration.reason.contains("-5"), "{}", duration.reason);
}

#[test]
fn missing_phone_and_started_at_are_required_for_calls() {
    let errs = normalize_record(record("call", &[("title", t("hi"))])).unwrap_err();
    assert_eq!(error_fields(&errs), ["phone", "started-at"]);
    assert!(errs.iter().all(|e| e.reason.contains("required")));
}

#[test]
fn contact_needs_phone_or_email() {
    let errs = normalize_record(record("contact", &[("first-name", t("Ann"))])).unwrap_err();
    assert_eq!(error_fields(&errs), ["phone"]);
    assert!(normalize_record(record("contact", &[("email", t("ann@example.com"))])).is_ok());
    assert!(normalize_record(record("contact", &[("phone", t("+16502530000"))])).is_ok());
}

#[test]
fn email_is_trimmed_and_lower_cased() {
    let out =
        normalize_record(record("contact", &[("email", t("  Ann.Lee@Example.COM "))])).unwrap();
    assert_eq!(
        text_of(&out, "email").as_deref(),
        Some("ann.lee@example.com")
    );
}

#[test]
fn started_at_becomes_utc_rfc3339() {
    for (given, want) in [
        (t("2024-05-01T12:00:00+02:00"), "2024-05-01T10:00:00Z"),
        (
            t("2024-05-01T05:30:15.250-04:30"),
            "2024-05-01T10:00:15.25Z",
        ),
        (Value::Integer(1_714_557_600_000), "2024-05-01T10:00:00Z"),
        (t("1714557600000"), "2024-05-01T10:00:00Z"),
        (
            Value::Timestamp("2024-05-01T10:00:00Z".into()),
            "2024-05-01T10:00:00Z",
        ),
    ] {
        let out = normalize_record(record(
            "call",
            &[("phone", t("+16502530000")), ("started-at", given.clone())],
        ))
        .unwrap();
        assert!(
            matches!(out.get("started-at"), Some(Value::Timestamp(s)) if s == want),
            "{given:?} -> {:?}",
            out.get("started-at")
        );
    }
}

#[test]
fn unix_seconds_and_garbage_timestamps_are_refused() {
    for bad in [
        Value::Integer(1_714_557_600),
        t("yesterday"),
        Value::Boolean(true),
    ] {
        let errs = normalize_record(record(
            "call",
            &[("phone", t("+16502530000")), ("started-at", bad.clone())],
        ))
        .unwrap_err();
        assert_eq!(error_fields(&errs), ["started-at"], "{bad:?}");
    }
}

#[test]
fn duration_direction_and_status_are_canonical() {
    let out = normalize_record(call(&[
        ("phone", t("+16502530000")),
        ("duration-seconds", t(" 95 ")),
        ("direction", t("Inbound")),
        ("status", t("no answer")),
    ]))
    .unwrap();
    assert!(matches!(
        out.get("duration-seconds"),
        Some(Value::Integer(95))
    ));
    assert_eq!(text_of(&out, "direction").as_deref(), Some("inbound"));
    assert_eq!(text_of(&out, "status").as_deref(), Some("NO_ANSWER"));
}

#[test]
fn fractional_duration_is_refused() {
    let errs = normalize_record(call(&[
        ("phone", t("+16502530000")),
        ("duration-seconds", Value::Number(1.5)),
    ]))
    .unwrap_err();
    assert_eq!(error_fields(&errs), ["duration-seconds"]);
}

#[test]
fn unknown_fields_are_kept_and_order_preserved() {
    let rec = call(&[
        ("phone", t("650 253 0000")),
        ("crm-owner", t("ann")),
        ("email", t("A@B.CO")),
    ]);
    let out = normalize_record(rec).unwrap();
    let names: Vec<&str> = out.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["started-at", "phone", "crm-owner", "email"]);
    assert_eq!(text_of(&out, "crm-owner").as_deref(), Some("ann"));
}

#[test]
fn normalizing_twice_changes_nothing() {
    let rec = call(&[
        ("phone", t("(650) 253-0000")),
        ("email", t("X@Y.ORG")),
        ("direction", t("OUTBOUND")),
    ]);
    let once = normalize_record(rec).unwrap();
    let twice = normalize_record(once.clone()).unwrap();
    assert_eq!(format!("{once:?}"), format!("{twice:?}"));
}

#[test]
fn unknown_kind_is_refused() {
    let errs = normalize_record(record("deal", &[])).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert!(errs[0].reason.contains("\"deal\""), "{}", errs[0].reason);
}

#[test]
fn recording_url_must_be_http() {
    let errs = normalize_record(call(&[
        ("phone", t("+16502530000")),
        ("recording-url", t("ftp://x/y.mp3")),
    ]))
    .unwrap_err();
    assert_eq!(error_fields(&errs), ["recording-url"]);
}
