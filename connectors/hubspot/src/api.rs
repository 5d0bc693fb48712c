//! HubSpot CRM v3 paths, request bodies and response readers. Pure.

use serde_json::{Value as Json, json};
use switchboard_sdk::phone;

/// Contact search (its own limit: 4 requests per second per token).
pub(crate) const CONTACT_SEARCH: &str = "/crm/v3/objects/contacts/search";
/// Contact create.
pub(crate) const CONTACTS: &str = "/crm/v3/objects/contacts";
/// Call create.
pub(crate) const CALLS: &str = "/crm/v3/objects/calls";
/// Call-to-contact association type (`HUBSPOT_DEFINED`).
pub(crate) const CALL_TO_CONTACT: u32 = 194;
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

/// The call create body: the mapped `{"properties":...}` plus the
/// association to `contact_id`.
pub(crate) fn call_create(mapped: &str, contact_id: &str) -> Result<Json, String> {
    let mut body: Json =
        serde_json::from_str(mapped).map_err(|e| format!("call payload is not JSON: {e}"))?;
    let obj = body
        .as_object_mut()
        .ok_or_else(|| "call payload is not a JSON object".to_string())?;
    obj.insert(
        "associations".into(),
        json!([{
            "to": { "id": contact_id },
            "types": [{ "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": CALL_TO_CONTACT }],
        }]),
    );
    Ok(body)
}
