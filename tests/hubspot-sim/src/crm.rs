//! Object endpoints: create, read, list, update, archive.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::errors;
use crate::input::{ObjectInput, parse_json, validate_associations, validate_properties};
use crate::objects::ObjectType;
use crate::query::{list_param, param, parse_query};
use crate::render::{PublicObject, Selection, render};
use crate::reply::{Ctx, Reply};
use crate::state::State;
use crate::types::SimObject;
use crate::unique::{IdProperty, ensure_free};

/// Largest `limit` of the list endpoint.
const LIST_MAX: usize = 100;

/// `POST /{type}`: 201 `SimplePublicObject`.
pub(crate) fn create(
    st: &mut State,
    ctx: &Ctx,
    object: ObjectType,
    body: &[u8],
    now_ms: u64,
) -> Result<Reply, Reply> {
    let input: ObjectInput = parse_json(ctx, body)?;
    let mut props = validate_properties(ctx, &st.store, object, &input.properties)?;
    props.retain(|_, v| !v.is_empty());
    if object == ObjectType::Calls {
        if st.cfg.require_call_associations && input.associations.is_none() {
            // [UNVERIFIED]: the spec marks `associations` required for calls.
            return Err(errors::validation(
                ctx,
                "Invalid input JSON: missing required field \"associations\"",
            ));
        }
        if !props.contains_key("hs_timestamp") {
            return Err(errors::required_missing(
                ctx,
                object,
                vec!["hs_timestamp".to_owned()],
            ));
        }
    }
    let links = validate_associations(
        ctx,
        &st.store,
        object,
        input.associations.as_deref().unwrap_or_default(),
    )?;
    ensure_free(&st.store, ctx, object, &props, None)?;
    let lag_ms = u64::try_from(st.cfg.search_lag.as_millis()).unwrap_or(u64::MAX);
    let id = st
        .store
        .insert(object, props, now_ms, now_ms.saturating_add(lag_ms));
    for (target, to_id, type_id, inverse) in links {
        st.store
            .associate((object, &id), (target, &to_id), type_id, inverse);
    }
    let rendered = st
        .store
        .live(object, &id)
        .map(|o| render(&st.store, object, o, &Selection::All));
    Ok(match rendered {
        Some(obj) => Reply::json(201, &obj),
        None => errors::object_not_found(ctx),
    })
}

/// `GET /{type}/{id}[?properties=..&idProperty=..]`.
pub(crate) fn get(
    st: &State,
    ctx: &Ctx,
    object: ObjectType,
    id: &str,
    query: &str,
) -> Result<Reply, Reply> {
    let pairs = parse_query(query);
    let obj = find(st, ctx, object, id, param(&pairs, "idProperty"))?;
    let selection = Selection::requested_or_default(object, list_param(&pairs, "properties"));
    Ok(Reply::json(
        200,
        &render(&st.store, object, obj, &selection),
    ))
}

/// Body of `PATCH /{type}/{id}`.
#[derive(Deserialize)]
struct PatchInput {
    properties: BTreeMap<String, Value>,
}

/// `PATCH /{type}/{id}`: an empty value clears the property.
pub(crate) fn update(
    st: &mut State,
    ctx: &Ctx,
    object: ObjectType,
    id: &str,
    query: &str,
    body: &[u8],
    now_ms: u64,
) -> Result<Reply, Reply> {
    let pairs = parse_query(query);
    let input: PatchInput = parse_json(ctx, body)?;
    let props = validate_properties(ctx, &st.store, object, &input.properties)?;
    let id = find(st, ctx, object, id, param(&pairs, "idProperty"))?
        .id
        .clone();
    ensure_free(&st.store, ctx, object, &props, Some(&id))?;
    let Some(obj) = st.store.live_mut(object, &id) else {
        return Err(errors::object_not_found(ctx));
    };
    for (name, value) in props {
        if value.is_empty() {
            obj.properties.remove(&name);
        } else {
            obj.properties.insert(name, value);
        }
    }
    obj.updated_at = now_ms.max(obj.created_at);
    let obj = obj.clone();
    Ok(Reply::json(
        200,
        &render(&st.store, object, &obj, &Selection::All),
    ))
}

/// `DELETE /{type}/{id}`: 204 whether or not the object existed
/// ([UNVERIFIED]; HubSpot is believed not to reveal it).
pub(crate) fn archive(
    st: &mut State,
    ctx: &Ctx,
    object: ObjectType,
    id: &str,
    query: &str,
    now_ms: u64,
) -> Result<Reply, Reply> {
    let pairs = parse_query(query);
    let id = match find(st, ctx, object, id, param(&pairs, "idProperty")) {
        Ok(obj) => obj.id.clone(),
        Err(_) => return Ok(Reply::empty(204)),
    };
    st.store.archive(object, &id, now_ms);
    Ok(Reply::empty(204))
}

/// `CollectionResponseSimplePublicObjectWithForwardPaging`.
#[derive(Serialize)]
struct ListPage {
    results: Vec<PublicObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

/// `{"next":{"after":".."}}`.
#[derive(Serialize)]
pub(crate) struct Paging {
    pub next: NextPage,
}

/// `{"after":".."}`.
#[derive(Serialize)]
pub(crate) struct NextPage {
    pub after: String,
}

/// `GET /{type}[?limit=&after=&properties=&archived=]`; `after` is the
/// smallest id of the next page.
pub(crate) fn list(st: &State, ctx: &Ctx, object: ObjectType, query: &str) -> Result<Reply, Reply> {
    let pairs = parse_query(query);
    let limit = match param(&pairs, "limit") {
        None => 10,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=LIST_MAX).contains(n))
            .ok_or_else(|| {
                errors::validation(ctx, format!("limit must be between 1 and {LIST_MAX}"))
            })?,
    };
    let after = match param(&pairs, "after") {
        None => 0,
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| errors::validation(ctx, format!("Invalid after value {text:?}")))?,
    };
    let archived = param(&pairs, "archived") == Some("true");
    let selection = Selection::requested_or_default(object, list_param(&pairs, "properties"));
    let mut matching = st
        .store
        .all(object)
        .filter(|o| o.archived == archived && o.id.parse::<u64>().is_ok_and(|n| n >= after));
    let page: Vec<&SimObject> = matching.by_ref().take(limit).collect();
    let paging = matching.next().map(|o| Paging {
        next: NextPage {
            after: o.id.clone(),
        },
    });
    let results = page
        .into_iter()
        .map(|o| render(&st.store, object, o, &selection))
        .collect();
    Ok(Reply::json(200, &ListPage { results, paging }))
}

/// Resolves `{id}` by object id or, with `idProperty`, by email or a
/// unique-value property.
fn find<'a>(
    st: &'a State,
    ctx: &Ctx,
    object: ObjectType,
    id: &str,
    id_property: Option<&str>,
) -> Result<&'a SimObject, Reply> {
    IdProperty::resolve(&st.store, ctx, object, id_property)?
        .find(&st.store, object, id)
        .ok_or_else(|| errors::object_not_found(ctx))
}
