//! HubSpot CRM v3 paths, request bodies and response readers. Pure.

use std::fmt::Write as _;

use serde_json::{Map, Value as Json, json};
use switchboard_sdk::phone;

/// Contact search (its own limit: 4 requests per second per token).
pub(crate) const CONTACT_SEARCH: &str = "/crm/v3/objects/contacts/search";
/// Contact create (contacts without a phone).
pub(crate) const CONTACTS: &str = "/crm/v3/objects/contacts";
/// Contact create-or-update by a unique property.
pub(crate) const CONTACTS_UPSERT: &str = "/crm/v3/objects/contacts/batch/upsert";
/// Call create-or-update by a unique property.
pub(crate) const CALLS_UPSERT: &str = "/crm/v3/objects/calls/batch/upsert";
/// The custom call property (`hasUniqueValue: true`) holding the record's
/// idempotency key: HubSpot itself then refuses a second call for a key.
pub(crate) const CALL_KEY_PROPERTY: &str = "switchboard_idempotency_key";
/// The custom contact property (`hasUniqueValue: true`) holding the E.164
/// phone of contacts this connector creates.
pub(crate) const CONTACT_PHONE_PROPERTY: &str = "switchboard_phone_e164";
/// Most filter groups sent in one phone search (HubSpot allows 6).
const MAX_PHONE_GROUPS: usize = 5;
/// Results asked for per search; duplicates beyond this are not seen.
const SEARCH_LIMIT: u32 = 100;

/// A search for contacts whose `phone` equals any common spelling of `e164`.
pub(crate) fn phone_search(e164: &str) -> Json {
    let groups: Vec<Json> = phone::typed_variants(e164)
        .into_iter()
        .take(MAX_PHONE_GROUPS)
        .map(|v| json!({ "filters": [{ "propertyName": "phone", "operator": "EQ", "value": v }] }))
        .collect();
    search_body(groups)
}

/// A search for contacts whose `email` equals `email`.
pub(crate) fn email_search(email: &str) -> Json {
    search_body(vec![
        json!({ "filters": [{ "propertyName": "email", "operator": "EQ", "value": email }] }),
    ])
}

fn search_body(groups: Vec<Json>) -> Json {
    json!({
        "filterGroups": groups,
        "properties": ["phone", "mobilephone", "email"],
        "limit": SEARCH_LIMIT,
    })
}

/// The lowest id among search results whose `phone` or `mobilephone`,
/// read as typed with `region`, is `e164`. HubSpot stores phones as
/// people typed them, so its EQ matches are re-checked here.
pub(crate) fn pick_by_phone(results: &Json, e164: &str, region: &str) -> Option<String> {
    lowest_id(results, |props| {
        ["phone", "mobilephone"].iter().any(|k| {
            props
                .get(*k)
                .and_then(Json::as_str)
                .is_some_and(|typed| phone::to_e164(typed, region).is_ok_and(|p| p == e164))
        })
    })
}

/// The lowest id among search results whose `email` is `email` (any case),
/// or that do not echo the property.
pub(crate) fn pick_by_email(results: &Json, email: &str) -> Option<String> {
    lowest_id(results, |props| {
        match props.get("email").and_then(Json::as_str) {
            Some(e) => e.trim().eq_ignore_ascii_case(email),
            None => true,
        }
    })
}

/// Whether a search answer has the `results` list it should have.
pub(crate) fn has_results(answer: &Json) -> bool {
    answer.get("results").is_some_and(Json::is_array)
}

fn lowest_id(answer: &Json, keep: impl Fn(&Json) -> bool) -> Option<String> {
    answer
        .get("results")?
        .as_array()?
        .iter()
        .filter(|r| keep(r.get("properties").unwrap_or(&Json::Null)))
        .filter_map(object_id)
        .min_by_key(|id| (id.parse::<u64>().unwrap_or(u64::MAX), id.clone()))
}

/// The `id` of a HubSpot object (a string; a number is accepted too).
pub(crate) fn object_id(obj: &Json) -> Option<String> {
    match obj.get("id")? {
        Json::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The mapped call properties (`{"properties":{...}}` from `map-fields`)
/// plus the idempotency key under [`CALL_KEY_PROPERTY`].
pub(crate) fn call_properties(
    mapped: &str,
    idempotency_key: &str,
) -> Result<Map<String, Json>, String> {
    let body: Json =
        serde_json::from_str(mapped).map_err(|e| format!("call payload is not JSON: {e}"))?;
    let mut properties = body
        .get("properties")
        .and_then(Json::as_object)
        .cloned()
        .ok_or_else(|| "call payload has no \"properties\" object".to_string())?;
    properties.insert(
        CALL_KEY_PROPERTY.into(),
        Json::String(idempotency_key.into()),
    );
    Ok(properties)
}

/// A one-input batch upsert: create the object whose `id_property` is
/// `id`, or update it. `properties` get `id_property = id` too.
pub(crate) fn upsert_body(id_property: &str, id: &str, mut properties: Map<String, Json>) -> Json {
    properties.insert(id_property.into(), Json::String(id.into()));
    json!({ "inputs": [{ "id": id, "idProperty": id_property, "properties": properties }] })
}

/// The object a batch upsert answered with: its id and whether it was
/// created by this request (`"new": true`). A missing `new` counts as
/// not created.
pub(crate) fn upserted(answer: &Json) -> Option<(String, bool)> {
    let first = answer.get("results")?.as_array()?.first()?;
    let new = first.get("new").and_then(Json::as_bool).unwrap_or(false);
    Some((object_id(first)?, new))
}

/// The first entry of a batch answer's `errors[]` (HubSpot's 207
/// multi-status), if any.
pub(crate) fn batch_error(answer: &Json) -> Option<&Json> {
    answer.get("errors")?.as_array()?.first()
}

/// The path that links a call to a contact with the default (HubSpot
/// defined) association type. [UNVERIFIED] v4 path shape.
pub(crate) fn call_contact_association(call_id: &str, contact_id: &str) -> String {
    format!(
        "/crm/v4/objects/calls/{}/associations/default/contacts/{}",
        path_segment(call_id),
        path_segment(contact_id)
    )
}

/// Percent-encodes everything but unreserved characters, so an id can
/// never change the path.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
