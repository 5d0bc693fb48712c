//! `map-fields`: a normalized record to HubSpot's create body
//! (`{"properties": {...}}`). Pure. The call's association to its contact
//! is added at push time, when the contact id is known.

use serde_json::{Map, Value as Json, json};
use switchboard_sdk::prelude::*;

use crate::fields::{self, *};

/// HubSpot object type of call engagements.
pub(crate) const CALLS: &str = "calls";
/// HubSpot object type of contacts.
pub(crate) const CONTACTS: &str = "contacts";
/// `hs_call_status` when the record gives none.
const DEFAULT_STATUS: &str = "COMPLETED";

/// The HubSpot call properties this connector writes (and owns).
pub(crate) const OWNED_CALL_PROPERTIES: [&str; 8] = [
    "hs_call_title",
    "hs_call_body",
    "hs_call_duration",
    "hs_call_direction",
    "hs_call_status",
    "hs_call_from_number",
    "hs_call_to_number",
    "hs_call_recording_url",
];

/// The payload for a normalized `call` or `contact` record.
pub(crate) fn map(rec: &Record) -> Result<Payload, Vec<FieldError>> {
    let (object, properties) = match rec.kind.as_str() {
        KIND_CALL => (CALLS, call_properties(rec)?),
        KIND_CONTACT => {
            if !fields::is_present(rec, PHONE) && !fields::is_present(rec, EMAIL) {
                return Err(vec![FieldError::new(
                    PHONE,
                    "a contact needs a phone or an email",
                )]);
            }
            (CONTACTS, contact_properties(rec)?)
        }
        other => {
            return Err(vec![FieldError::new(
                "",
                format!("unknown record kind {other:?}"),
            )]);
        }
    };
    Ok(Payload {
        object: object.to_string(),
        body: json!({ "properties": properties }).to_string(),
    })
}

/// HubSpot contact properties from the record's contact fields (`phone`,
/// `email`, `first-name`, `last-name`, `company`), present values only.
pub(crate) fn contact_properties(rec: &Record) -> Result<Map<String, Json>, Vec<FieldError>> {
    let mut p = Props::default();
    for (field, prop) in [
        (PHONE, "phone"),
        (EMAIL, "email"),
        (FIRST_NAME, "firstname"),
        (LAST_NAME, "lastname"),
        (COMPANY, "company"),
    ] {
        p.copy(rec, field, prop);
    }
    p.finish()
}

fn call_properties(rec: &Record) -> Result<Map<String, Json>, Vec<FieldError>> {
    let mut p = Props::default();
    match fields::text(rec, STARTED_AT) {
        Ok(Some(ts)) => p.put("hs_timestamp", ts),
        Ok(None) => p.fail(STARTED_AT, "is required".into()),
        Err(e) => p.fail(STARTED_AT, e),
    }
    for (field, prop) in [
        (TITLE, "hs_call_title"),
        (NOTES, "hs_call_body"),
        (FROM_NUMBER, "hs_call_from_number"),
        (TO_NUMBER, "hs_call_to_number"),
        (RECORDING_URL, "hs_call_recording_url"),
    ] {
        p.copy(rec, field, prop);
    }
    if fields::is_present(rec, DURATION) {
        match rec
            .integer(DURATION)
            .and_then(|s| u64::try_from(s).ok())
            .and_then(|s| s.checked_mul(1000))
        {
            Some(ms) => p.put("hs_call_duration", ms.to_string()),
            None => p.fail(
                DURATION,
                "must be a whole number of seconds, 0 or more".into(),
            ),
        }
    }
    match fields::text(rec, DIRECTION) {
        Ok(Some(d)) if d.eq_ignore_ascii_case("inbound") => {
            p.put("hs_call_direction", "INBOUND".into())
        }
        Ok(Some(d)) if d.eq_ignore_ascii_case("outbound") => {
            p.put("hs_call_direction", "OUTBOUND".into())
        }
        Ok(Some(d)) => p.fail(
            DIRECTION,
            format!("must be \"inbound\" or \"outbound\", got {d:?}"),
        ),
        Ok(None) => {}
        Err(e) => p.fail(DIRECTION, e),
    }
    match fields::text(rec, STATUS) {
        Ok(s) => p.put(
            "hs_call_status",
            s.map_or_else(|| DEFAULT_STATUS.to_string(), |s| s.to_ascii_uppercase()),
        ),
        Err(e) => p.fail(STATUS, e),
    }
    p.finish()
}

/// Properties being built and the field errors met.
#[derive(Default)]
struct Props {
    map: Map<String, Json>,
    errors: Vec<FieldError>,
}

impl Props {
    fn put(&mut self, prop: &str, value: String) {
        self.map.insert(prop.to_string(), Json::String(value));
    }
    fn fail(&mut self, field: &str, reason: String) {
        self.errors.push(FieldError::new(field, reason));
    }
    /// Copies a text field to a property when it has a value.
    fn copy(&mut self, rec: &Record, field: &str, prop: &str) {
        match fields::text(rec, field) {
            Ok(Some(v)) => self.put(prop, v),
            Ok(None) => {}
            Err(e) => self.fail(field, e),
        }
    }
    fn finish(self) -> Result<Map<String, Json>, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(self.map)
        } else {
            Err(self.errors)
        }
    }
}
