//! Case fields to records and back, in the JSON form `switchboard push` reads, so a
//! failure's input can be pasted into a records file.

use serde_json::{Map, Value as Json};
use switchboard_runtime::types::Record;
use switchboard_runtime::{record_from_json, record_to_json};

use crate::cases::Fields;

/// A TOML value as JSON (dates as their text).
pub fn json(value: &toml::Value) -> Json {
    match value {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => Json::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(a) => Json::Array(a.iter().map(json).collect()),
        toml::Value::Table(t) => {
            Json::Object(t.iter().map(|(k, v)| (k.clone(), json(v))).collect())
        }
    }
}

/// The JSON record `{"id", "kind", "fields"}`.
pub fn record_json(id: &str, kind: &str, fields: &Fields) -> Json {
    let fields: Map<String, Json> = fields.iter().map(|(k, v)| (k.clone(), json(v))).collect();
    serde_json::json!({ "id": id, "kind": kind, "fields": fields })
}

/// The record a case describes.
pub fn record(id: &str, kind: &str, fields: &Fields) -> Result<Record, String> {
    record_from_json(&record_json(id, kind, fields)).map_err(|e| format!("the case's record: {e}"))
}

/// A record's fields as JSON, by name.
pub fn fields_json(rec: &Record) -> Map<String, Json> {
    match record_to_json(rec).get("fields") {
        Some(Json::Object(map)) => map.clone(),
        _ => Map::new(),
    }
}

/// `name = value` pairs, for messages.
pub fn show_fields(map: &Map<String, Json>) -> String {
    if map.is_empty() {
        return "no fields".into();
    }
    map.iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_fields_become_a_record_and_back() {
        let fields: Fields =
            toml::from_str("phone = \"07911 123456\"\nn = 42\nok = true\n").unwrap();
        let rec = record("r1", "contact", &fields).unwrap();
        let back = fields_json(&rec);
        assert_eq!(back["phone"], Json::String("07911 123456".into()));
        assert_eq!(back["n"], Json::from(42));
        assert_eq!(
            show_fields(&back),
            "n = 42, ok = true, phone = \"07911 123456\""
        );
    }

    #[test]
    fn a_bad_kind_is_named() {
        let e = record("r1", "Not A Kind", &Fields::new()).unwrap_err();
        assert!(e.contains("kind"), "{e}");
    }
}
