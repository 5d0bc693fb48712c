//! Create-or-update by a unique-value property (`batch/upsert`): the
//! CRM-side idempotency that holds even when the process dies between
//! HubSpot's answer and anything this connector or the host records.

use serde_json::{Map, Value as Json};
use switchboard_sdk::http::Response;
use switchboard_sdk::prelude::*;

use crate::host::Host;
use crate::resolve::unexpected;
use crate::{api, classify};

/// What is upserted, and by which unique property.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    /// HubSpot object type, for messages.
    pub object: &'static str,
    /// The batch upsert path.
    pub path: &'static str,
    /// The unique-value property that identifies the object.
    pub id_property: &'static str,
}

/// Calls, by the record's idempotency key.
pub(crate) const CALL: Target = Target {
    object: "calls",
    path: api::CALLS_UPSERT,
    id_property: api::CALL_KEY_PROPERTY,
};

/// Contacts, by E.164 phone.
pub(crate) const CONTACT: Target = Target {
    object: "contacts",
    path: api::CONTACTS_UPSERT,
    id_property: api::CONTACT_PHONE_PROPERTY,
};

/// The object HubSpot holds after an upsert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upserted {
    /// Its id.
    pub id: String,
    /// Whether this request created it.
    pub new: bool,
}

/// Upserts one object. An error answer goes back as the response (the host
/// classifies it), except when the portal lacks the unique property, which
/// is a permanent error telling the operator what to create. A 207 is
/// judged by its first error.
pub(crate) fn upsert(
    host: &mut impl Host,
    target: Target,
    id: &str,
    properties: Map<String, Json>,
) -> Result<Upserted, PushError> {
    let body = api::upsert_body(target.id_property, id, properties);
    let resp = host.send("POST", target.path, Some(&body))?;
    if !resp.is_success() {
        if resp.status == 400 && names_property(&resp.body, target.id_property) {
            return Err(missing_property(target, &resp.body));
        }
        return Err(resp.into());
    }
    let answer = resp.json::<Json>().ok();
    if let Some(error) = answer.as_ref().and_then(api::batch_error) {
        return Err(batch_failure(target, &resp, error));
    }
    let (id, new) = answer.as_ref().and_then(api::upserted).ok_or_else(|| {
        unexpected(format!(
            "{} upsert answered {} without \"results\"[0].\"id\"",
            target.object, resp.status
        ))
    })?;
    Ok(Upserted { id, new })
}

/// The permanent error for a portal without the unique property (or with
/// one that is not unique or cannot hold the value).
pub(crate) fn missing_property(target: Target, body: &[u8]) -> PushError {
    PushError::Classified(ErrorClass::Permanent(format!(
        "HubSpot property \"{}\" on {} must exist with hasUniqueValue=true: create it in the \
         portal as a single-line text property with unique values required (see the hubspot \
         connector README, \"Portal set-up\"); HubSpot said: {}",
        target.id_property,
        target.object,
        classify::summary(body)
    )))
}

/// Whether an error body mentions `property` anywhere (message, details
/// or context).
fn names_property(body: &[u8], property: &str) -> bool {
    String::from_utf8_lossy(body).contains(property)
}

/// A 207 (or a 2xx carrying `errors[]`): the first error, as a permanent
/// set-up error when it is about the unique property, otherwise handed to
/// the host as the response it would have been on its own.
fn batch_failure(target: Target, resp: &Response, error: &Json) -> PushError {
    let bytes = serde_json::to_vec(error).unwrap_or_default();
    let category = error.get("category").and_then(Json::as_str).unwrap_or("");
    if category == "VALIDATION_ERROR" && names_property(&bytes, target.id_property) {
        return missing_property(target, &bytes);
    }
    match status_of(category) {
        Some(status) => PushError::Response(CrmResponse {
            status,
            headers: resp.headers.clone(),
            body: bytes,
        }),
        None => PushError::Classified(ErrorClass::Permanent(format!(
            "{} upsert answered {} with an error: {}",
            target.object,
            resp.status,
            classify::summary(&bytes)
        ))),
    }
}

/// The status HubSpot answers a single request with for an error category.
fn status_of(category: &str) -> Option<u16> {
    match category {
        "VALIDATION_ERROR" => Some(400),
        "INVALID_AUTHENTICATION" | "EXPIRED_AUTHENTICATION" => Some(401),
        "MISSING_SCOPES" => Some(403),
        "OBJECT_NOT_FOUND" => Some(404),
        "CONFLICT" => Some(409),
        "RATE_LIMIT" | "RATE_LIMITS" => Some(429),
        _ => None,
    }
}
