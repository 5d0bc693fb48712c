//! The connector's input vocabulary (record kinds and field names) and
//! lenient readers for field values.

use switchboard_sdk::prelude::*;

/// Record kind: a phone call, logged as a HubSpot call engagement.
pub(crate) const KIND_CALL: &str = "call";
/// Record kind: a person, a HubSpot contact.
pub(crate) const KIND_CONTACT: &str = "contact";

/// The other party's phone number.
pub(crate) const PHONE: &str = "phone";
/// The other party's e-mail address.
pub(crate) const EMAIL: &str = "email";
/// The other party's first name.
pub(crate) const FIRST_NAME: &str = "first-name";
/// The other party's last name.
pub(crate) const LAST_NAME: &str = "last-name";
/// The other party's company.
pub(crate) const COMPANY: &str = "company";
/// When the call started: RFC 3339 or Unix milliseconds.
pub(crate) const STARTED_AT: &str = "started-at";
/// Call length in whole seconds.
pub(crate) const DURATION: &str = "duration-seconds";
/// `inbound` or `outbound`.
pub(crate) const DIRECTION: &str = "direction";
/// Call title.
pub(crate) const TITLE: &str = "title";
/// Call notes (HubSpot's call body).
pub(crate) const NOTES: &str = "notes";
/// Call status, e.g. `COMPLETED`.
pub(crate) const STATUS: &str = "status";
/// The calling number.
pub(crate) const FROM_NUMBER: &str = "from-number";
/// The called number.
pub(crate) const TO_NUMBER: &str = "to-number";
/// Link to the call recording.
pub(crate) const RECORDING_URL: &str = "recording-url";

/// The trimmed text of field `name`, or `Ok(None)` when it is absent, null
/// or blank. Whole and decimal numbers are read as their decimal text;
/// booleans and JSON documents are refused.
pub(crate) fn text(rec: &Record, name: &str) -> Result<Option<String>, String> {
    let s = match rec.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Text(s) | Value::Timestamp(s)) => s.trim().to_string(),
        Some(Value::Integer(i)) => i.to_string(),
        Some(Value::Number(n)) if n.is_finite() => n.to_string(),
        Some(other) => return Err(format!("must be text, got {}", value_kind(other))),
    };
    Ok((!s.is_empty()).then_some(s))
}

/// True when field `name` holds something other than null or blank text.
pub(crate) fn is_present(rec: &Record, name: &str) -> bool {
    !matches!(text(rec, name), Ok(None))
}

/// The name of a value's variant, for error messages.
pub(crate) fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Text(_) => "text",
        Value::Integer(_) => "an integer",
        Value::Number(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Timestamp(_) => "a timestamp",
        Value::Json(_) => "a JSON document",
    }
}
