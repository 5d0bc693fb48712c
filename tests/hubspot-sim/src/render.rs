//! Property lookup and the `SimplePublicObject` response shape.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::objects::ObjectType;
use crate::store::Store;
use crate::time::iso_ms;
use crate::types::SimObject;

/// `SimplePublicObject` as HubSpot returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublicObject {
    id: String,
    properties: BTreeMap<String, Option<String>>,
    created_at: String,
    updated_at: String,
    archived: bool,
}

/// Which properties a response includes (system properties always).
#[derive(Debug, Clone)]
pub(crate) enum Selection {
    /// Every property the object has a value for.
    All,
    /// These names (unset ones as `null`, unknown ones left out).
    Named(Vec<String>),
}

impl Selection {
    /// The `properties` a client asked for, or the type's default set.
    pub(crate) fn requested_or_default(object: ObjectType, requested: Vec<String>) -> Self {
        if requested.is_empty() {
            Self::Named(
                object
                    .default_returned()
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            )
        } else {
            Self::Named(requested)
        }
    }
}

/// How a property's values compare in search filters and sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Number,
    DateTime,
}

/// The value type of a property (everything not listed is a string).
pub(crate) fn kind_of(name: &str) -> Kind {
    match name {
        "createdate"
        | "lastmodifieddate"
        | "hs_createdate"
        | "hs_lastmodifieddate"
        | "hs_timestamp" => Kind::DateTime,
        "hs_object_id" | "hs_call_duration" | "hs_call_callee_object_id" => Kind::Number,
        _ => Kind::Text,
    }
}

/// The current value of a property, system properties included; removed
/// properties read as unset.
pub(crate) fn value_of(
    store: &Store,
    object: ObjectType,
    obj: &SimObject,
    name: &str,
) -> Option<String> {
    if name == "hs_object_id" {
        Some(obj.id.clone())
    } else if name == object.createdate() {
        Some(iso_ms(obj.created_at))
    } else if name == object.lastmodified() {
        Some(iso_ms(obj.updated_at))
    } else if store.is_removed(object, name) {
        None
    } else {
        obj.properties.get(name).cloned()
    }
}

/// Renders an object as `SimplePublicObject`.
pub(crate) fn render(
    store: &Store,
    object: ObjectType,
    obj: &SimObject,
    selection: &Selection,
) -> PublicObject {
    let mut properties: BTreeMap<String, Option<String>> = BTreeMap::new();
    for name in object.system() {
        properties.insert(name.to_owned(), value_of(store, object, obj, name));
    }
    match selection {
        Selection::All => {
            for name in obj.properties.keys() {
                if !store.is_removed(object, name) {
                    properties.insert(name.clone(), value_of(store, object, obj, name));
                }
            }
        }
        Selection::Named(names) => {
            for name in names {
                if store.is_known(object, name) || obj.properties.contains_key(name) {
                    properties.insert(name.clone(), value_of(store, object, obj, name));
                }
            }
        }
    }
    PublicObject {
        id: obj.id.clone(),
        properties,
        created_at: iso_ms(obj.created_at),
        updated_at: iso_ms(obj.updated_at),
        archived: obj.archived,
    }
}
