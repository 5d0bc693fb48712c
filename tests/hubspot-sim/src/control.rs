//! The `/__sim/` control API (no auth, not rate limited, not logged).

use std::time::Instant;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::objects::ObjectType;
use crate::properties::Definition;
use crate::reply::Reply;
use crate::state::State;
use crate::types::Fault;

/// Prefix of every control path.
pub(crate) const PREFIX: &str = "/__sim/";

/// Body of `POST /__sim/properties/remove`.
#[derive(Deserialize)]
struct RemoveProperty {
    object: String,
    name: String,
}

/// Body of `POST /__sim/properties`.
#[derive(Deserialize)]
struct DefineProperty {
    object: String,
    name: String,
    #[serde(default)]
    unique: bool,
}

/// Answers a control request; `now` is the monotonic and the epoch-ms time.
pub(crate) fn handle(
    st: &mut State,
    method: &str,
    path: &str,
    body: &[u8],
    now: (Instant, u64),
) -> Reply {
    let (now, now_ms) = now;
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    match (method, rest) {
        ("GET", "state") => Reply::json(200, &st.snapshot()),
        ("GET", "stats") => Reply::json(200, &st.rate_stats()),
        ("POST", "faults") => match serde_json::from_slice::<Fault>(body) {
            Ok(fault) => {
                st.push_fault(fault, now);
                Reply::json(200, &json!({ "queued": st.faults_pending() }))
            }
            Err(e) => bad_request(&format!("invalid fault: {e}")),
        },
        ("DELETE", "faults") => Reply::json(200, &json!({ "cleared": st.clear_faults(now) })),
        ("POST", "contacts") => match serde_json::from_slice::<Map<String, Value>>(body) {
            Ok(mut object) => {
                let properties = match object.remove("properties") {
                    Some(Value::Object(props)) => props,
                    Some(other) => {
                        object.insert("properties".to_owned(), other);
                        object
                    }
                    None => object,
                };
                let id = st.seed_contact(properties, now_ms);
                Reply::json(201, &json!({ "id": id }))
            }
            Err(e) => bad_request(&format!("invalid contact: {e}")),
        },
        ("POST", "reset") => {
            st.reset();
            Reply::json(200, &json!({ "reset": true }))
        }
        ("GET", rest) if rest.starts_with("counts/") => counts(st, rest),
        ("POST", "properties") => match serde_json::from_slice::<DefineProperty>(body) {
            Ok(req) => match ObjectType::from_segment(&req.object) {
                Some(object) => {
                    let def = Definition::text(object, &req.name, req.unique, now_ms);
                    st.store.define(object, def);
                    Reply::json(
                        201,
                        &json!({ "defined": [object.name(), req.name], "unique": req.unique }),
                    )
                }
                None => bad_request(&format!("unknown object type {:?}", req.object)),
            },
            Err(e) => bad_request(&format!("invalid property definition: {e}")),
        },
        ("POST", "properties/remove") => match serde_json::from_slice::<RemoveProperty>(body) {
            Ok(req) => match ObjectType::from_segment(&req.object) {
                Some(object) => {
                    st.store.remove_property(object, &req.name);
                    Reply::json(200, &json!({ "removed": [object.name(), req.name] }))
                }
                None => bad_request(&format!("unknown object type {:?}", req.object)),
            },
            Err(e) => bad_request(&format!("invalid property removal: {e}")),
        },
        ("DELETE", rest) if rest.starts_with("contacts/") => {
            let id = rest.trim_start_matches("contacts/");
            if st.store.archive(ObjectType::Contacts, id, now_ms) {
                Reply::json(200, &json!({ "archived": true }))
            } else {
                Reply::json(
                    404,
                    &json!({ "archived": false, "error": "no such live contact" }),
                )
            }
        }
        _ => Reply::json(
            404,
            &json!({ "error": format!("no control route {method} {path}") }),
        ),
    }
}

/// `GET /__sim/counts/{object}/{property}`: objects per stored value.
fn counts(st: &State, rest: &str) -> Reply {
    let Some((object, property)) = rest
        .trim_start_matches("counts/")
        .split_once('/')
        .filter(|(o, p)| !o.is_empty() && !p.is_empty())
    else {
        return bad_request("use /__sim/counts/{object}/{property}");
    };
    let Some(kind) = ObjectType::from_segment(object) else {
        return bad_request(&format!("unknown object type {object:?}"));
    };
    let property = crate::query::decode(property, false);
    let values = st.snapshot().count_by(kind.name(), &property);
    Reply::json(
        200,
        &json!({ "object": kind.name(), "property": property, "values": values }),
    )
}

fn bad_request(message: &str) -> Reply {
    Reply::json(400, &json!({ "error": message }))
}
