//! `/crm/v3/properties/{objectType}[/{name}]`: define and read property
//! definitions, minimally.
//!
//! [OFFICIAL] (`crm-api-facts.md` §1.4): `hasUniqueValue` exists and cannot
//! be changed once set. [UNVERIFIED]: everything else here, i.e. the
//! `Property` body layout, the name rule (lower-case letter, then lower-case
//! letters, digits and `_`), the accepted `type` values, that `groupName` is
//! not checked against existing groups, and the error wordings. Custom
//! values are stored and compared as text whatever their `type`.

use serde::{Deserialize, Serialize};

use crate::errors;
use crate::input::parse_json;
use crate::objects::ObjectType;
use crate::properties::Definition;
use crate::render::{Kind, kind_of};
use crate::reply::{Ctx, Reply};
use crate::state::State;
use crate::time::iso_ms;

/// Accepted `type` values.
const TYPES: &[&str] = &[
    "string",
    "number",
    "date",
    "datetime",
    "enumeration",
    "bool",
];

/// `PropertyCreate` (the fields the simulator reads).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PropertyCreate {
    name: String,
    label: String,
    #[serde(rename = "type")]
    kind: String,
    field_type: String,
    group_name: String,
    #[serde(default)]
    has_unique_value: bool,
}

/// `Property.modificationMetadata`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModificationMetadata {
    archivable: bool,
    read_only_definition: bool,
    read_only_value: bool,
}

/// `Property` as returned.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PropertyView {
    name: String,
    label: String,
    #[serde(rename = "type")]
    kind: String,
    field_type: String,
    description: String,
    group_name: String,
    options: Vec<()>,
    display_order: i32,
    calculated: bool,
    external_options: bool,
    has_unique_value: bool,
    hidden: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    hubspot_defined: Option<bool>,
    modification_metadata: ModificationMetadata,
    form_field: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
    archived: bool,
}

impl PropertyView {
    fn custom(def: &Definition) -> Self {
        Self {
            name: def.name.clone(),
            label: def.label.clone(),
            kind: def.kind.clone(),
            field_type: def.field_type.clone(),
            description: String::new(),
            group_name: def.group_name.clone(),
            options: Vec::new(),
            display_order: -1,
            calculated: false,
            external_options: false,
            has_unique_value: def.unique,
            hidden: false,
            hubspot_defined: None,
            modification_metadata: ModificationMetadata {
                archivable: true,
                read_only_definition: false,
                read_only_value: false,
            },
            form_field: false,
            created_at: Some(iso_ms(def.created_at)),
            updated_at: Some(iso_ms(def.created_at)),
            archived: false,
        }
    }

    fn built_in(object: ObjectType, name: &str) -> Self {
        let (kind, field_type) = match kind_of(name) {
            Kind::Text => ("string", "text"),
            Kind::Number => ("number", "number"),
            Kind::DateTime => ("datetime", "date"),
        };
        let system = object.system().contains(&name);
        Self {
            name: name.to_owned(),
            label: name.to_owned(),
            kind: kind.to_owned(),
            field_type: field_type.to_owned(),
            description: String::new(),
            group_name: object.default_group().to_owned(),
            options: Vec::new(),
            display_order: -1,
            calculated: false,
            external_options: false,
            has_unique_value: name == "hs_object_id",
            hidden: false,
            hubspot_defined: Some(true),
            modification_metadata: ModificationMetadata {
                archivable: false,
                read_only_definition: true,
                read_only_value: system,
            },
            form_field: !system,
            created_at: None,
            updated_at: None,
            archived: false,
        }
    }
}

/// The view of a live property, built in or custom.
fn view(st: &State, object: ObjectType, name: &str) -> Option<PropertyView> {
    if let Some(def) = st.store.custom(object, name) {
        return Some(PropertyView::custom(def));
    }
    st.store
        .is_known(object, name)
        .then(|| PropertyView::built_in(object, name))
}

/// `POST /crm/v3/properties/{objectType}`: 201 `Property`.
pub(crate) fn create(
    st: &mut State,
    ctx: &Ctx,
    object: ObjectType,
    body: &[u8],
    now_ms: u64,
) -> Result<Reply, Reply> {
    let input: PropertyCreate = parse_json(ctx, body)?;
    if !valid_name(&input.name) {
        return Err(errors::validation(
            ctx,
            format!(
                "Property name {:?} is invalid: use a lower-case letter, then lower-case letters, digits or underscores",
                input.name
            ),
        ));
    }
    if !TYPES.contains(&input.kind.as_str()) {
        return Err(errors::validation(
            ctx,
            format!(
                "Property type {:?} is invalid; expected one of {TYPES:?}",
                input.kind
            ),
        ));
    }
    for (field, value) in [
        ("label", &input.label),
        ("fieldType", &input.field_type),
        ("groupName", &input.group_name),
    ] {
        if value.trim().is_empty() {
            return Err(errors::validation(
                ctx,
                format!("{field} must not be empty"),
            ));
        }
    }
    if st.store.is_known(object, &input.name) {
        return Err(errors::property_exists(ctx, object, &input.name));
    }
    let def = Definition {
        name: input.name,
        label: input.label,
        kind: input.kind,
        field_type: input.field_type,
        group_name: input.group_name,
        unique: input.has_unique_value,
        created_at: now_ms,
    };
    let reply = Reply::json(201, &PropertyView::custom(&def));
    st.store.define(object, def);
    Ok(reply)
}

/// `GET /crm/v3/properties/{objectType}/{name}`: 200 `Property` or 404.
pub(crate) fn get(st: &State, ctx: &Ctx, object: ObjectType, name: &str) -> Result<Reply, Reply> {
    view(st, object, name)
        .map(|v| Reply::json(200, &v))
        .ok_or_else(|| errors::property_not_found(ctx, object, name))
}

/// `{"results": [...]}`.
#[derive(Serialize)]
struct PropertyList {
    results: Vec<PropertyView>,
}

/// `GET /crm/v3/properties/{objectType}`: every live property.
pub(crate) fn list(st: &State, object: ObjectType) -> Reply {
    let system = object.system();
    let built_in = object
        .writable()
        .iter()
        .chain(system.iter())
        .filter(|name| st.store.is_known(object, name) && st.store.custom(object, name).is_none())
        .map(|name| PropertyView::built_in(object, name));
    let custom = st.store.customs(object).map(PropertyView::custom);
    Reply::json(
        200,
        &PropertyList {
            results: built_in.chain(custom).collect(),
        },
    )
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
