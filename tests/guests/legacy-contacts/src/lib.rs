//! A contact connector for the HubSpot simulator, built against the deprecated
//! contract `switchboard:connector@0.2.0` (`wit/versions/0.2.0`) with
//! wit-bindgen directly, as a connector written before 0.3.0 was. Host tests use
//! it to prove a 0.2.0 component still loads and runs, and that it reaches every
//! import through the host's 0.2.0 adapter:
//!
//! - `push` creates `POST /crm/v3/objects/contacts` with the token as a secret
//!   header, remembers the CRM id in `state` under the idempotency key, reports
//!   the rate-limit headers (`limits`), annotates the audit trail and logs;
//!   a second push with the same key finds the id and creates nothing;
//! - a record with `forget = true` first removes that state key with 0.2.0's
//!   `state.delete` and annotates `forgot` with what it returned;
//! - field `note` maps to the property `legacy_note`; when the CRM says that
//!   property does not exist, `classify-error` answers 0.2.0-style: a
//!   `validation` whose reason starts with `field-removed: `;
//! - an `http.send` failure is classified by the connector itself (0.2.0 had no
//!   `push-error::transport`): timeouts and refused connections are `transient`.

mod bindings {
    wit_bindgen::generate!({
        world: "connector",
        path: "../../../wit/versions/0.2.0",
        generate_all,
    });
}

use bindings::exports::switchboard::connector::guest::Guest;
use bindings::switchboard::connector::types::{
    CrmRef, CrmResponse, Descriptor, ErrorClass, FieldError, LimitScope, Payload, PushContext,
    PushError, PushOutcome, PushStatus, RateLimit, RateLimited, Record, Value,
};
use bindings::switchboard::connector::{audit, config, http, limits, log, state};
use serde_json::{Map, Value as Json, json};

struct LegacyContacts;

/// The rate-limit budget the simulator's `x-hubspot-ratelimit-*` headers describe.
const BURST: &str = "ten-secondly";

impl Guest for LegacyContacts {
    fn describe() -> Descriptor {
        Descriptor {
            name: "legacy-contacts".into(),
            version: "0.2.0".into(),
            crm: "HubSpot".into(),
            record_kinds: vec!["contact".into()],
            outbound_hosts: vec!["https://api.hubapi.com".into()],
            config_keys: vec!["base-url".into()],
            secret_names: vec!["hubspot-token".into()],
            owned_fields: vec![],
            rate_limits: vec![RateLimit {
                name: BURST.into(),
                tokens: 100,
                window_ms: 10_000,
                scope: LimitScope::Burst,
                costs: vec![],
                default_cost: 1,
            }],
        }
    }

    fn normalize(mut rec: Record) -> Result<Record, Vec<FieldError>> {
        if rec.kind != "contact" {
            return Err(vec![field_error("kind", "only contact records")]);
        }
        let Some(email) = rec.fields.iter_mut().find(|f| f.name == "email") else {
            return Err(vec![field_error("email", "required")]);
        };
        match &email.value {
            Value::Text(t) if t.contains('@') => {
                email.value = Value::Text(t.trim().to_lowercase());
                Ok(rec)
            }
            _ => Err(vec![field_error("email", "not an e-mail address")]),
        }
    }

    fn map_fields(rec: Record) -> Result<Payload, Vec<FieldError>> {
        let mut properties = Map::new();
        for f in &rec.fields {
            let property = match f.name.as_str() {
                "email" => "email",
                "firstname" => "firstname",
                "note" => "legacy_note",
                _ => continue,
            };
            if let Value::Text(t) = &f.value {
                properties.insert(property.into(), Json::String(t.clone()));
            }
        }
        Ok(Payload {
            object: "contacts".into(),
            body: json!({ "properties": properties }).to_string(),
        })
    }

    fn push(ctx: PushContext, rec: Record, payload: Payload) -> Result<PushOutcome, PushError> {
        let key = format!("id:{}", ctx.idempotency_key);
        if rec
            .fields
            .iter()
            .any(|f| f.name == "forget" && matches!(f.value, Value::Boolean(true)))
        {
            let existed = state::delete(&key).map_err(|e| permanent(format!("state: {e:?}")))?;
            audit::annotate("forgot", &existed.to_string());
        }
        if let Some(id) = state::get(&key).map_err(|e| permanent(format!("state: {e:?}")))? {
            let id = String::from_utf8_lossy(&id).into_owned();
            return Ok(outcome(PushStatus::AlreadyPresent, id));
        }
        let base = config::get("base-url").unwrap_or_else(|| "https://api.hubapi.com".into());
        let req = http::Request {
            method: "POST".into(),
            url: format!("{}/crm/v3/objects/contacts", base.trim_end_matches('/')),
            headers: vec![("content-type".into(), "application/json".into())],
            secret_headers: vec![http::SecretHeader {
                name: "authorization".into(),
                secret: "hubspot-token".into(),
                prefix: "Bearer ".into(),
            }],
            body: Some(payload.body.into_bytes()),
            timeout_ms: None,
        };
        let resp = http::send(&req).map_err(|e| PushError::Classified(classify_transport(&e)))?;
        report_limits(&resp.headers);
        if resp.status != 201 {
            return Err(PushError::Response(CrmResponse {
                status: resp.status,
                headers: resp.headers,
                body: resp.body,
            }));
        }
        let id = serde_json::from_slice::<Json>(&resp.body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned))
            .ok_or_else(|| permanent("201 without an id".into()))?;
        state::set(&key, id.as_bytes()).map_err(|e| permanent(format!("state: {e:?}")))?;
        audit::annotate("hubspot-id", &id);
        log::log(log::Level::Info, &format!("created contact {id}"));
        Ok(outcome(PushStatus::Created, id))
    }

    fn classify_error(resp: CrmResponse) -> ErrorClass {
        let body: Json = serde_json::from_slice(&resp.body).unwrap_or(Json::Null);
        let message = body["message"].as_str().unwrap_or("").to_owned();
        match resp.status {
            401 => ErrorClass::Auth(message),
            403 => ErrorClass::Permission(message),
            404 => ErrorClass::NotFound(message),
            409 => ErrorClass::Duplicate(None),
            429 => ErrorClass::RateLimited(RateLimited {
                retry_after_ms: header(&resp.headers, "retry-after")
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(|s| s * 1000),
                scope: LimitScope::Burst,
                policy: BURST.into(),
            }),
            400 => match removed_property(&body) {
                Some(name) => {
                    ErrorClass::Validation(field_error(&name, &format!("field-removed: {message}")))
                }
                None => ErrorClass::Validation(field_error("", &message)),
            },
            s if s >= 500 => ErrorClass::Transient(None),
            _ => ErrorClass::Permanent(format!("HTTP {}: {message}", resp.status)),
        }
    }
}

impl bindings::Guest for LegacyContacts {
    fn prepare() {}
}

bindings::export!(LegacyContacts with_types_in bindings);

/// The property a HubSpot 400 says does not exist, if that is what it says.
fn removed_property(body: &Json) -> Option<String> {
    let errors = body["errors"].as_array()?;
    let gone = errors
        .iter()
        .find(|e| e["code"] == "PROPERTY_DOESNT_EXIST")?;
    gone["context"]["propertyName"][0]
        .as_str()
        .map(str::to_owned)
}

/// 0.2.0 connectors classified `http.send` failures themselves.
fn classify_transport(e: &http::Error) -> ErrorClass {
    match e {
        http::Error::Timeout(_) | http::Error::Connect(_) => ErrorClass::Transient(None),
        http::Error::Throttled(t) => ErrorClass::RateLimited(RateLimited {
            retry_after_ms: Some(t.wait_ms),
            scope: LimitScope::Burst,
            policy: t.budget.clone(),
        }),
        other => ErrorClass::Permanent(format!("{other:?}")),
    }
}

/// Passes the CRM's view of the burst budget on to the host.
fn report_limits(headers: &[(String, String)]) {
    let num = |name: &str| header(headers, name).and_then(|v| v.parse::<u64>().ok());
    let remaining = num("x-hubspot-ratelimit-remaining");
    if remaining.is_some() {
        limits::report(&limits::BudgetReport {
            budget: BURST.into(),
            remaining,
            limit: num("x-hubspot-ratelimit-max"),
            reset_ms: None,
        });
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn outcome(status: PushStatus, id: String) -> PushOutcome {
    PushOutcome {
        status,
        primary: CrmRef {
            object: "contacts".into(),
            id,
        },
        related: vec![],
        effects: vec![],
    }
}

fn field_error(field: &str, reason: &str) -> FieldError {
    FieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

fn permanent(text: String) -> PushError {
    PushError::Classified(ErrorClass::Permanent(text))
}
