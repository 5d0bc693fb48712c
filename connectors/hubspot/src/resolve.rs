//! Finding or creating the HubSpot contact a record is about: `state`
//! cache, phone search (re-checked as E.164), e-mail search, then create.
//! With a phone the create is an upsert by the unique property
//! `switchboard_phone_e164`, so a contact created before a crash is found
//! again even while search lags; without one it is a plain create. Either
//! takes the existing id from a 409 e-mail conflict.

use serde_json::{Map, Value as Json, json};
use switchboard_sdk::prelude::*;

use crate::host::Host;
use crate::upsert::{self, Upserted};
use crate::{api, classify};

/// How the contact was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    /// `phone:<e164>` in `state`.
    Cache,
    /// A phone search matched.
    PhoneSearch,
    /// An e-mail search matched.
    EmailSearch,
    /// Created now.
    Created,
    /// The phone upsert found one this connector created earlier.
    Upserted,
    /// Create answered 409 with the existing id.
    Conflict,
}

/// The contact a record belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contact {
    /// HubSpot contact id.
    pub id: String,
    /// How it was found.
    pub how: How,
}

impl Contact {
    /// The audit note, e.g. `matched 512 by phone search`.
    pub(crate) fn note(&self) -> String {
        let id = &self.id;
        match self.how {
            How::Cache => format!("state cache {id}"),
            How::PhoneSearch => format!("matched {id} by phone search"),
            How::EmailSearch => format!("matched {id} by email search"),
            How::Created => format!("created {id}"),
            How::Upserted => format!("matched {id} by {} upsert", api::CONTACT_PHONE_PROPERTY),
            How::Conflict => format!("409 conflict, existing {id}"),
        }
    }
}

/// What identifies a contact, and the properties to create it with.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hints {
    /// Phone in E.164.
    pub phone: Option<String>,
    /// E-mail, lower-case.
    pub email: Option<String>,
    /// HubSpot contact properties for a create.
    pub properties: Map<String, Json>,
}

impl Hints {
    /// Hints from mapped contact properties (`phone`, `email`, ...).
    pub(crate) fn from_properties(properties: Map<String, Json>) -> Self {
        let get = |k: &str| properties.get(k).and_then(Json::as_str).map(str::to_string);
        Hints {
            phone: get("phone"),
            email: get("email"),
            properties,
        }
    }
}

/// The `state` key caching the contact id of a phone number.
pub(crate) fn phone_key(e164: &str) -> String {
    format!("phone:{e164}")
}

/// Finds or creates the contact; caches phone -> id and notes on the
/// audit trail how it was found. `use_cache: false` skips the cache read.
pub(crate) fn resolve(
    host: &mut impl Host,
    hints: &Hints,
    use_cache: bool,
) -> Result<Contact, PushError> {
    let contact = match find(host, hints, use_cache)? {
        Some(c) => c,
        None => create(host, hints)?,
    };
    if contact.how != How::Cache
        && let Some(phone) = &hints.phone
        && let Err(e) = host.state_set(&phone_key(phone), &contact.id)
    {
        host.warn(&format!(
            "could not cache contact {:?} for {phone:?}: {e:?}",
            contact.id
        ));
    }
    host.annotate("contact", &contact.note());
    Ok(contact)
}

fn find(
    host: &mut impl Host,
    hints: &Hints,
    use_cache: bool,
) -> Result<Option<Contact>, PushError> {
    if let Some(phone) = &hints.phone {
        if use_cache {
            match host.state_get(&phone_key(phone)) {
                Ok(Some(id)) if !id.trim().is_empty() => {
                    return Ok(Some(Contact {
                        id,
                        how: How::Cache,
                    }));
                }
                Ok(_) => {}
                Err(e) => host.warn(&format!(
                    "phone cache read failed, searching instead: {e:?}"
                )),
            }
        }
        let answer = search(host, &api::phone_search(phone))?;
        let region = host.region().to_string();
        if let Some(id) = api::pick_by_phone(&answer, phone, &region) {
            return Ok(Some(Contact {
                id,
                how: How::PhoneSearch,
            }));
        }
    }
    if let Some(email) = &hints.email {
        let answer = search(host, &api::email_search(email))?;
        if let Some(id) = api::pick_by_email(&answer, email) {
            return Ok(Some(Contact {
                id,
                how: How::EmailSearch,
            }));
        }
    }
    Ok(None)
}

fn search(host: &mut impl Host, body: &Json) -> Result<Json, PushError> {
    let resp = host.send("POST", api::CONTACT_SEARCH, Some(body))?;
    if !resp.is_success() {
        return Err(resp.into());
    }
    resp.json::<Json>()
        .ok()
        .filter(api::has_results)
        .ok_or_else(|| {
            unexpected(format!(
                "contact search answered {} without a \"results\" list",
                resp.status
            ))
        })
}

fn create(host: &mut impl Host, hints: &Hints) -> Result<Contact, PushError> {
    match &hints.phone {
        Some(phone) => upsert_by_phone(host, hints, phone),
        None => create_plain(host, hints),
    }
}

/// Upserts by `switchboard_phone_e164`; a 409 (the e-mail belongs to
/// another contact) yields that contact.
fn upsert_by_phone(host: &mut impl Host, hints: &Hints, phone: &str) -> Result<Contact, PushError> {
    let mut properties = hints.properties.clone();
    properties.insert(
        api::CONTACT_PHONE_PROPERTY.into(),
        Json::String(phone.into()),
    );
    match upsert::upsert(host, upsert::CONTACT, phone, properties) {
        Ok(Upserted { id, new }) => Ok(Contact {
            id,
            how: if new { How::Created } else { How::Upserted },
        }),
        Err(PushError::Response(resp)) => match conflict_id(&resp) {
            Some(id) => Ok(Contact {
                id,
                how: How::Conflict,
            }),
            None => Err(PushError::Response(resp)),
        },
        Err(e) => Err(e),
    }
}

/// A plain create (contacts without a phone).
fn create_plain(host: &mut impl Host, hints: &Hints) -> Result<Contact, PushError> {
    let resp = host.send(
        "POST",
        api::CONTACTS,
        Some(&json!({ "properties": hints.properties })),
    )?;
    if let Some(id) = conflict_id(&resp.clone().into()) {
        return Ok(Contact {
            id,
            how: How::Conflict,
        });
    }
    if !resp.is_success() {
        return Err(resp.into());
    }
    let id = resp.json::<Json>().ok().as_ref().and_then(api::object_id);
    let id = id.ok_or_else(|| {
        unexpected(format!(
            "contact create answered {} without an \"id\"",
            resp.status
        ))
    })?;
    Ok(Contact {
        id,
        how: How::Created,
    })
}

/// The existing contact's id from a 409 conflict.
fn conflict_id(resp: &CrmResponse) -> Option<String> {
    if resp.status != 409 {
        return None;
    }
    match classify::classify(resp) {
        ErrorClass::Duplicate(id) => id,
        _ => None,
    }
}

/// A 2xx answer missing what it should hold.
pub(crate) fn unexpected(what: String) -> PushError {
    PushError::Classified(ErrorClass::Permanent(what))
}
