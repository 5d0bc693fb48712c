//! `POST /{type}/batch/upsert` ([OFFICIAL] spec, `crm-api-facts.md` §1.1,
//! §1.4): create or update objects identified by a unique property value.
//!
//! The whole request runs under the simulator's state mutex, so concurrent
//! upserts of one value yield exactly one object. [UNVERIFIED] choices: any
//! failing input fails the whole batch and nothing is written (HubSpot's 207
//! partial results are not simulated; `objectWriteTraceId` is accepted and
//! ignored); the input `id` wins over a different value of the `idProperty`
//! inside `properties`; at most 100 inputs; `hs_object_id` cannot be an
//! upsert key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::errors;
use crate::input::{parse_json, scalar_text, validate_properties};
use crate::objects::ObjectType;
use crate::render::{PublicObject, Selection, render};
use crate::reply::{Ctx, Reply};
use crate::state::State;
use crate::time::iso_ms;
use crate::types::SimObject;
use crate::unique::{IdProperty, ensure_free};

/// Most inputs in one batch. [UNVERIFIED] for upsert (HubSpot's batch limit).
const MAX_INPUTS: usize = 100;

/// `BatchInputSimplePublicObjectBatchInputUpsert`.
#[derive(Debug, Deserialize)]
struct UpsertRequest {
    inputs: Vec<UpsertInput>,
}

/// `SimplePublicObjectBatchInputUpsert`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpsertInput {
    id: Value,
    #[serde(default)]
    id_property: Option<String>,
    properties: BTreeMap<String, Value>,
    // `objectWriteTraceId` is accepted (unknown keys are ignored) but unused.
}

/// `SimplePublicUpsertObject`: the object plus whether it was created.
#[derive(Serialize)]
struct UpsertResult {
    #[serde(flatten)]
    object: PublicObject,
    new: bool,
}

/// `BatchResponseSimplePublicUpsertObject`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpsertResponse {
    status: &'static str,
    results: Vec<UpsertResult>,
    started_at: String,
    completed_at: String,
}

/// How to take back one applied input when a later one fails.
enum Undo {
    Created(String),
    Updated(SimObject),
}

/// Answers a batch upsert: 200 `{"status":"COMPLETE","results":[..]}`, or
/// the first input's error for the whole batch.
pub(crate) fn upsert(
    st: &mut State,
    ctx: &Ctx,
    object: ObjectType,
    body: &[u8],
    now_ms: u64,
) -> Result<Reply, Reply> {
    let request: UpsertRequest = parse_json(ctx, body)?;
    if request.inputs.is_empty() || request.inputs.len() > MAX_INPUTS {
        return Err(errors::validation(
            ctx,
            format!(
                "inputs must hold between 1 and {MAX_INPUTS} entries, got {}",
                request.inputs.len()
            ),
        ));
    }
    let mut done: Vec<(String, bool)> = Vec::new();
    let mut undo: Vec<Undo> = Vec::new();
    for input in &request.inputs {
        match apply(st, ctx, object, input, &done, now_ms) {
            Ok((id, new, step)) => {
                undo.push(step);
                done.push((id, new));
            }
            Err(reply) => {
                roll_back(st, object, undo);
                return Err(reply);
            }
        }
    }
    let results = done
        .iter()
        .filter_map(|(id, new)| {
            let obj = st.store.live(object, id)?;
            Some(UpsertResult {
                object: render(&st.store, object, obj, &Selection::All),
                new: *new,
            })
        })
        .collect();
    Ok(Reply::json(
        200,
        &UpsertResponse {
            status: "COMPLETE",
            results,
            started_at: iso_ms(now_ms),
            completed_at: iso_ms(now_ms),
        },
    ))
}

/// Validates and applies one input: `(object id, created?, undo step)`.
fn apply(
    st: &mut State,
    ctx: &Ctx,
    object: ObjectType,
    input: &UpsertInput,
    done: &[(String, bool)],
    now_ms: u64,
) -> Result<(String, bool, Undo), Reply> {
    let key = match IdProperty::resolve(&st.store, ctx, object, input.id_property.as_deref())? {
        IdProperty::ObjectId => {
            return Err(errors::validation(
                ctx,
                "idProperty must name a unique identifier property, such as a property with hasUniqueValue",
            ));
        }
        key => key,
    };
    let value = scalar_text(&input.id)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| errors::validation(ctx, "Every input needs a non-empty \"id\""))?;
    let mut raw = input.properties.clone();
    raw.insert(key.name().to_owned(), Value::String(value.clone()));
    let mut props = validate_properties(ctx, &st.store, object, &raw)?;
    let existing = key.find(&st.store, object, &value).map(|o| o.id.clone());
    if let Some(id) = &existing
        && done.iter().any(|(d, _)| d == id)
    {
        return Err(errors::validation(
            ctx,
            format!("Duplicate IDs found in batch input: [{value}]"),
        ));
    }
    match existing {
        Some(id) => {
            ensure_free(&st.store, ctx, object, &props, Some(&id))?;
            let Some(obj) = st.store.live_mut(object, &id) else {
                return Err(errors::object_not_found(ctx));
            };
            let before = obj.clone();
            for (name, value) in props {
                if value.is_empty() {
                    obj.properties.remove(&name);
                } else {
                    obj.properties.insert(name, value);
                }
            }
            obj.updated_at = now_ms.max(obj.created_at);
            Ok((id, false, Undo::Updated(before)))
        }
        None => {
            props.retain(|_, v| !v.is_empty());
            if object == ObjectType::Calls && !props.contains_key("hs_timestamp") {
                return Err(errors::required_missing(
                    ctx,
                    object,
                    vec!["hs_timestamp".to_owned()],
                ));
            }
            ensure_free(&st.store, ctx, object, &props, None)?;
            let lag_ms = u64::try_from(st.cfg.search_lag.as_millis()).unwrap_or(u64::MAX);
            let id = st
                .store
                .insert(object, props, now_ms, now_ms.saturating_add(lag_ms));
            Ok((id.clone(), true, Undo::Created(id)))
        }
    }
}

/// Takes back applied inputs, newest first.
fn roll_back(st: &mut State, object: ObjectType, undo: Vec<Undo>) {
    for step in undo.into_iter().rev() {
        match step {
            Undo::Created(id) => st.store.restore(object, &id, None),
            Undo::Updated(before) => {
                let id = before.id.clone();
                st.store.restore(object, &id, Some(before));
            }
        }
    }
}
