//! Custom property definitions (`POST /crm/v3/properties/{objectType}`),
//! including the unique-value ones that batch upsert can key on.

use std::collections::BTreeMap;

use crate::objects::ObjectType;

/// One custom property definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Definition {
    /// Internal name.
    pub name: String,
    /// Display label.
    pub label: String,
    /// Value type (`string`, `number`, ...).
    pub kind: String,
    /// Form field type (`text`, `number`, ...).
    pub field_type: String,
    /// Property group.
    pub group_name: String,
    /// `hasUniqueValue`: no two live objects may share a value ([OFFICIAL]
    /// "Once set, this can't be changed").
    pub unique: bool,
    /// When it was defined, ms since the epoch.
    pub created_at: u64,
}

impl Definition {
    /// A `string`/`text` property in the type's default group, as seeded
    /// from the config or defined through the control API.
    pub(crate) fn text(object: ObjectType, name: &str, unique: bool, now_ms: u64) -> Self {
        Self {
            name: name.to_owned(),
            label: name.to_owned(),
            kind: "string".to_owned(),
            field_type: "text".to_owned(),
            group_name: object.default_group().to_owned(),
            unique,
            created_at: now_ms,
        }
    }
}

/// Every custom property definition, per object type.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    defs: BTreeMap<(ObjectType, String), Definition>,
}

impl Catalog {
    /// The definition of a custom property.
    pub(crate) fn get(&self, object: ObjectType, name: &str) -> Option<&Definition> {
        self.defs.get(&(object, name.to_owned()))
    }

    /// Adds or replaces a definition.
    pub(crate) fn define(&mut self, object: ObjectType, def: Definition) {
        self.defs.insert((object, def.name.clone()), def);
    }

    /// Custom definitions of one type, in name order.
    pub(crate) fn of(&self, object: ObjectType) -> impl Iterator<Item = &Definition> {
        self.defs
            .iter()
            .filter(move |((o, _), _)| *o == object)
            .map(|(_, def)| def)
    }

    /// All custom definitions as `(object, definition)`.
    pub(crate) fn all(&self) -> impl Iterator<Item = (ObjectType, &Definition)> {
        self.defs.iter().map(|((o, _), def)| (*o, def))
    }
}
