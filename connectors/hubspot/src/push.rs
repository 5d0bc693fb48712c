//! `push`: deliver a call (with its contact) or a contact to HubSpot,
//! safely repeatable with the same idempotency key.

use serde_json::{Map, Value as Json};
use switchboard_sdk::prelude::*;

use crate::fields::{KIND_CALL, KIND_CONTACT};
use crate::host::Host;
use crate::mapping::{self, CALLS, CONTACTS};
use crate::resolve::{self, Hints, How};
use crate::{api, classify, upsert};

/// The `state` key holding the call id created for an idempotency key.
pub(crate) fn call_key(idempotency_key: &str) -> String {
    format!("call:{idempotency_key}")
}

/// Pushes a normalized, mapped record.
pub(crate) fn push(
    host: &mut impl Host,
    ctx: &PushContext,
    rec: &Record,
    payload: &Payload,
) -> Result<PushOutcome, PushError> {
    match rec.kind.as_str() {
        KIND_CALL => push_call(host, &ctx.idempotency_key, rec, payload),
        KIND_CONTACT => push_contact(host, payload),
        other => Err(permanent(format!("unknown record kind {other:?}"))),
    }
}

/// A call: resolve the contact, upsert the call by its idempotency key,
/// link the two, then note the call id in `state`.
///
/// The upsert is what makes a replay safe: whatever point a previous
/// attempt died at, HubSpot holds at most one call with this key, and the
/// upsert answers with it (`new: false`). The `call:<key>` state entry is
/// only a cache that saves the HTTP on a replay. A contact id from the
/// cache that HubSpot no longer knows (merged or deleted) is dropped and
/// the contact resolved again, once.
fn push_call(
    host: &mut impl Host,
    idempotency_key: &str,
    rec: &Record,
    payload: &Payload,
) -> Result<PushOutcome, PushError> {
    let key = call_key(idempotency_key);
    let properties = mapping::contact_properties(rec)
        .map_err(|errs| permanent(format!("record has invalid contact fields: {errs:?}")))?;
    let hints = Hints::from_properties(properties);
    if let Some(call_id) = host
        .state_get(&key)
        .map_err(PushError::Classified)?
        .filter(|id| !id.trim().is_empty())
    {
        return Ok(replayed(host, &hints, call_id));
    }
    let mut contact = resolve::resolve(host, &hints, true)?;
    let call_properties =
        api::call_properties(&payload.body, idempotency_key).map_err(permanent)?;
    let call = upsert::upsert(host, upsert::CALL, idempotency_key, call_properties)?;
    let mut linked = associate(host, &call.id, &contact.id)?;
    if contact.how == How::Cache && refers_to_missing_object(&linked) {
        host.annotate(
            "contact",
            &format!("cached contact {} is gone; resolving again", contact.id),
        );
        if let Some(phone) = &hints.phone
            && let Err(e) = host.state_remove(&resolve::phone_key(phone))
        {
            host.warn(&format!(
                "could not drop stale contact cache for {phone:?}: {e:?}"
            ));
        }
        contact = resolve::resolve(host, &hints, false)?;
        linked = associate(host, &call.id, &contact.id)?;
    }
    if !linked.is_success() {
        return Err(linked.into());
    }
    if let Err(e) = host.state_set(&key, &call.id) {
        // Only a cache: a replay upserts again and finds the same call.
        host.warn(&format!("call {:?} not cached for replays: {e:?}", call.id));
    }
    let call_ref = CrmRef::new(CALLS, call.id.as_str());
    let contact_ref = CrmRef::new(CONTACTS, contact.id.as_str());
    let mut out = if call.new {
        host.annotate("call", &format!("created {}", call.id));
        PushOutcome::created(call_ref.clone())
    } else {
        host.annotate(
            "call",
            &format!(
                "already in HubSpot as {} (found by {})",
                call.id,
                api::CALL_KEY_PROPERTY
            ),
        );
        PushOutcome::already_present(call_ref.clone())
    }
    .related(contact_ref.clone());
    if contact.how == How::Created {
        out = out.effect("create", contact_ref);
    }
    if call.new {
        out = out.effect("create", call_ref);
    }
    Ok(out)
}

/// The outcome of a replay: the call recorded in `state`, and its contact
/// if the phone cache knows it. No HTTP.
fn replayed(host: &mut impl Host, hints: &Hints, call_id: String) -> PushOutcome {
    host.annotate(
        "call",
        &format!("already created {call_id} (idempotent replay)"),
    );
    let mut out = PushOutcome::already_present(CrmRef::new(CALLS, call_id));
    if let Some(phone) = &hints.phone
        && let Ok(Some(contact_id)) = host.state_get(&resolve::phone_key(phone))
    {
        out = out.related(CrmRef::new(CONTACTS, contact_id));
    }
    out
}

/// Links the call to the contact (default association, idempotent).
fn associate(
    host: &mut impl Host,
    call_id: &str,
    contact_id: &str,
) -> Result<switchboard_sdk::http::Response, PushError> {
    let path = api::call_contact_association(call_id, contact_id);
    Ok(host.send("PUT", &path, None)?)
}

/// A 404, or a 400 naming invalid object ids.
fn refers_to_missing_object(resp: &switchboard_sdk::http::Response) -> bool {
    !resp.is_success()
        && matches!(
            classify::classify(&resp.clone().into()),
            ErrorClass::NotFound(_)
        )
}

/// A contact: resolve or create it.
fn push_contact(host: &mut impl Host, payload: &Payload) -> Result<PushOutcome, PushError> {
    let body: Json = serde_json::from_str(&payload.body)
        .map_err(|e| permanent(format!("contact payload is not JSON: {e}")))?;
    let properties: Map<String, Json> =
        body.get("properties")
            .and_then(Json::as_object)
            .cloned()
            .ok_or_else(|| permanent("contact payload has no \"properties\" object".into()))?;
    let hints = Hints::from_properties(properties);
    if hints.phone.is_none() && hints.email.is_none() {
        return Err(permanent(
            "contact payload has neither \"phone\" nor \"email\"".into(),
        ));
    }
    let contact = resolve::resolve(host, &hints, true)?;
    let r = CrmRef::new(CONTACTS, contact.id.as_str());
    Ok(if contact.how == How::Created {
        PushOutcome::created(r.clone()).effect("create", r)
    } else {
        PushOutcome::already_present(r)
    })
}

fn permanent(reason: String) -> PushError {
    PushError::Classified(ErrorClass::Permanent(reason))
}
