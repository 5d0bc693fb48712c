//! Records as JSON: the external form used by the CLI and the ingest API.
//!
//! ```json
//! {"id": "call-1", "kind": "call", "fields": {"phone": "+44 7911 123456", "duration-seconds": 42}}
//! ```
//! Strings become `text`, whole numbers `integer`, other numbers `number`,
//! booleans `boolean`, `null` stays `null`, and arrays or objects travel as
//! `json` text. Field order is kept.

use serde_json::Value as Json;

use crate::types::{Field, Record, Value};

/// Longest record id, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Most fields a record may have.
pub const MAX_FIELDS: usize = 512;

/// Why a JSON document is not a record; names the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RecordJsonError {
    /// The JSON key at fault (`id`, `kind`, `fields.phone`, ...), or `record`.
    pub field: String,
    /// Why.
    pub reason: String,
}

fn err(field: impl Into<String>, reason: impl Into<String>) -> RecordJsonError {
    RecordJsonError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Parses one record from JSON text.
pub fn record_from_json_str(text: &str) -> Result<Record, RecordJsonError> {
    let json: Json =
        serde_json::from_str(text).map_err(|e| err("record", format!("invalid JSON: {e}")))?;
    record_from_json(&json)
}

/// Converts a parsed JSON value to a record; the error is the first of
/// [`record_problems`].
pub fn record_from_json(json: &Json) -> Result<Record, RecordJsonError> {
    if let Some(first) = record_problems(json).into_iter().next() {
        return Err(first);
    }
    let obj = json
        .as_object()
        .ok_or_else(|| err("record", "must be a JSON object"))?;
    let id = required_str(obj, "id")?;
    let kind = required_str(obj, "kind")?;
    let fields = obj
        .get("fields")
        .and_then(Json::as_object)
        .ok_or_else(|| err("fields", "must be a JSON object"))?
        .iter()
        .map(|(name, value)| Field {
            name: name.clone(),
            value: value_from_json(value),
        })
        .collect();
    Ok(Record {
        id: id.to_string(),
        kind: kind.to_string(),
        fields,
    })
}

/// Everything wrong with `json` as a record, one entry per key at fault (empty when it is
/// a valid record): the ingest API reports them all at once.
pub fn record_problems(json: &Json) -> Vec<RecordJsonError> {
    let Some(obj) = json.as_object() else {
        return vec![err("record", "must be a JSON object")];
    };
    let mut out = Vec::new();
    for key in obj.keys() {
        if !matches!(key.as_str(), "id" | "kind" | "fields") {
            out.push(err(
                key.as_str(),
                "unknown key; a record has `id`, `kind` and `fields`",
            ));
        }
    }
    match required_str(obj, "id") {
        Ok(id) if id.is_empty() || id.len() > MAX_ID_BYTES => {
            out.push(err("id", format!("must be 1 to {MAX_ID_BYTES} bytes")));
        }
        Ok(_) => {}
        Err(e) => out.push(e),
    }
    match required_str(obj, "kind") {
        Ok(kind)
            if kind.is_empty()
                || !kind
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') =>
        {
            out.push(err(
                "kind",
                format!("must be lower-case letters, digits and '-', got {kind:?}"),
            ));
        }
        Ok(_) => {}
        Err(e) => out.push(e),
    }
    match obj.get("fields").map(Json::as_object) {
        None => out.push(err("fields", "is required")),
        Some(None) => out.push(err("fields", "must be a JSON object")),
        Some(Some(fields)) if fields.len() > MAX_FIELDS => out.push(err(
            "fields",
            format!("has {} fields, at most {MAX_FIELDS} allowed", fields.len()),
        )),
        Some(Some(_)) => {}
    }
    out
}

fn required_str<'a>(
    obj: &'a serde_json::Map<String, Json>,
    key: &str,
) -> Result<&'a str, RecordJsonError> {
    obj.get(key)
        .ok_or_else(|| err(key, "is required"))?
        .as_str()
        .ok_or_else(|| err(key, "must be a string"))
}

fn value_from_json(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Text(s.clone()),
        other => Value::Json(other.to_string()),
    }
}

/// Converts a record back to its JSON form.
pub fn record_to_json(rec: &Record) -> Json {
    let fields: serde_json::Map<String, Json> = rec
        .fields
        .iter()
        .map(|f| {
            let v = match &f.value {
                Value::Null => Json::Null,
                Value::Text(s) | Value::Timestamp(s) => Json::String(s.clone()),
                Value::Integer(i) => Json::from(*i),
                Value::Number(n) => {
                    serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number)
                }
                Value::Boolean(b) => Json::Bool(*b),
                Value::Json(s) => {
                    serde_json::from_str(s).unwrap_or_else(|_| Json::String(s.clone()))
                }
            };
            (f.name.clone(), v)
        })
        .collect();
    serde_json::json!({ "id": rec.id, "kind": rec.kind, "fields": fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_fields_in_order() {
        let r = record_from_json_str(
            r#"{"id":"c1","kind":"call","fields":{"phone":"07911 123456","duration":42,"ok":true,"x":1.5,"n":null,"tags":["a"]}}"#,
        )
        .unwrap();
        assert_eq!(r.fields[0].name, "phone");
        assert_eq!(r.fields[1].value, Value::Integer(42));
        assert_eq!(r.fields[2].value, Value::Boolean(true));
        assert_eq!(r.fields[3].value, Value::Number(1.5));
        assert_eq!(r.fields[4].value, Value::Null);
        assert_eq!(r.fields[5].value, Value::Json("[\"a\"]".into()));
    }

    #[test]
    fn names_the_missing_id() {
        let e = record_from_json_str(r#"{"kind":"call","fields":{}}"#).unwrap_err();
        assert_eq!(e.field, "id");
    }

    #[test]
    fn rejects_unknown_top_level_key() {
        let e =
            record_from_json_str(r#"{"id":"1","kind":"call","fields":{},"extra":1}"#).unwrap_err();
        assert_eq!(e.field, "extra");
    }

    #[test]
    fn rejects_bad_kind() {
        let e = record_from_json_str(r#"{"id":"1","kind":"Call Log","fields":{}}"#).unwrap_err();
        assert_eq!(e.field, "kind");
    }
}
