//! Parsing and validating `SimplePublicObjectInput(ForCreate)` bodies.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::errors::{self, PropertyError};
use crate::objects::ObjectType;
use crate::reply::{Ctx, Reply};
use crate::store::Store;
use crate::time::{iso_ms, parse_iso_ms};

/// `{"properties":{..},"associations":[..]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ObjectInput {
    pub properties: BTreeMap<String, Value>,
    #[serde(default)]
    pub associations: Option<Vec<AssociationInput>>,
}

/// One entry of `associations`.
#[derive(Debug, Deserialize)]
pub(crate) struct AssociationInput {
    pub to: AssociationTo,
    pub types: Vec<AssociationType>,
}

/// `{"id": "…"}` (a JSON number is accepted too).
#[derive(Debug, Deserialize)]
pub(crate) struct AssociationTo {
    pub id: Value,
}

/// `{"associationCategory": "...", "associationTypeId": N}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssociationType {
    pub association_category: String,
    pub association_type_id: u32,
}

/// Parses a JSON body, mapping errors to HubSpot's 400.
pub(crate) fn parse_json<T: for<'de> Deserialize<'de>>(ctx: &Ctx, body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| errors::invalid_json(ctx, &e))
}

/// A scalar JSON value as the string HubSpot stores (`null` clears to "").
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Validates client-written properties, normalising `hs_timestamp`.
pub(crate) fn validate_properties(
    ctx: &Ctx,
    store: &Store,
    object: ObjectType,
    raw: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, String>, Reply> {
    let mut problems = Vec::new();
    let mut clean = BTreeMap::new();
    for (name, value) in raw {
        if !store.is_writable(object, name) {
            problems.push(if object.system().contains(&name.as_str()) {
                // [UNVERIFIED] code and wording for read-only properties.
                PropertyError {
                    name: name.clone(),
                    code: "READ_ONLY_VALUE",
                    message: format!("Property \"{name}\" is read-only"),
                }
            } else {
                PropertyError::doesnt_exist(name)
            });
            continue;
        }
        let Some(text) = scalar_text(value) else {
            problems.push(PropertyError {
                name: name.clone(),
                code: "INVALID_OPTION",
                message: format!("Property \"{name}\" must be a string, number or boolean"),
            });
            continue;
        };
        match check_value(name, text) {
            Ok(text) => {
                clean.insert(name.clone(), text);
            }
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(clean)
    } else {
        Err(errors::property_errors(ctx, &problems))
    }
}

/// Per-property value rules. INVALID_EMAIL wording is from v1 captures;
/// INVALID_DATE for `hs_timestamp` is [UNVERIFIED].
fn check_value(name: &str, text: String) -> Result<String, PropertyError> {
    match name {
        "email" if !text.is_empty() && !plausible_email(&text) => Err(PropertyError {
            name: name.to_owned(),
            code: "INVALID_EMAIL",
            message: format!("Email address {text} is invalid"),
        }),
        "hs_timestamp" if !text.is_empty() => normalise_timestamp(&text).ok_or(PropertyError {
            name: name.to_owned(),
            code: "INVALID_DATE",
            message: format!(
                "{text} was not a valid long or ISO 8601 date for property \"{name}\""
            ),
        }),
        _ => Ok(text),
    }
}

/// Unix milliseconds or ISO-8601 UTC, returned as ISO with milliseconds.
fn normalise_timestamp(text: &str) -> Option<String> {
    if let Ok(ms) = text.parse::<u64>() {
        return Some(iso_ms(ms));
    }
    parse_iso_ms(text).map(iso_ms)
}

fn plausible_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

/// Validated associations: `(target type, target id, type id, inverse type id)`.
pub(crate) type Links = Vec<(ObjectType, String, u32, u32)>;

/// Checks association types and that every target exists and is live.
pub(crate) fn validate_associations(
    ctx: &Ctx,
    store: &Store,
    object: ObjectType,
    inputs: &[AssociationInput],
) -> Result<Links, Reply> {
    let mut links = Vec::new();
    let mut missing = Vec::new();
    for input in inputs {
        let to_id = scalar_text(&input.to.id).unwrap_or_default();
        if input.types.is_empty() {
            return Err(errors::validation(
                ctx,
                format!("Association to {to_id} must name at least one type"),
            ));
        }
        for t in &input.types {
            let Some((target, inverse)) =
                object.association_target(&t.association_category, t.association_type_id)
            else {
                return Err(errors::invalid_association_type(
                    ctx,
                    object,
                    &t.association_category,
                    t.association_type_id,
                ));
            };
            if store.live(target, &to_id).is_none() {
                if !missing.contains(&to_id) {
                    missing.push(to_id.clone());
                }
            } else {
                links.push((target, to_id.clone(), t.association_type_id, inverse));
            }
        }
    }
    if missing.is_empty() {
        Ok(links)
    } else {
        Err(errors::invalid_association_ids(ctx, missing))
    }
}
