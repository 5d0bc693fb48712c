//! The object store: contacts, calls, associations, custom and removed
//! properties.

use std::collections::{BTreeMap, BTreeSet};

use crate::objects::ObjectType;
use crate::properties::{Catalog, Definition};
use crate::types::SimObject;

/// First id handed out; ids are shared by all object types and only grow
/// (also across `reset`, so stale ids never alias new objects).
const FIRST_ID: u64 = 1001;

/// All simulated CRM data.
#[derive(Debug)]
pub(crate) struct Store {
    next_id: u64,
    contacts: BTreeMap<u64, SimObject>,
    calls: BTreeMap<u64, SimObject>,
    removed: BTreeSet<(ObjectType, String)>,
    catalog: Catalog,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            next_id: FIRST_ID,
            contacts: BTreeMap::new(),
            calls: BTreeMap::new(),
            removed: BTreeSet::new(),
            catalog: Catalog::default(),
        }
    }
}

impl Store {
    /// Objects of one type, archived included, in id order.
    pub(crate) fn all(&self, object: ObjectType) -> impl Iterator<Item = &SimObject> {
        self.map(object).values()
    }

    fn map(&self, object: ObjectType) -> &BTreeMap<u64, SimObject> {
        match object {
            ObjectType::Contacts => &self.contacts,
            ObjectType::Calls => &self.calls,
        }
    }

    fn map_mut(&mut self, object: ObjectType) -> &mut BTreeMap<u64, SimObject> {
        match object {
            ObjectType::Contacts => &mut self.contacts,
            ObjectType::Calls => &mut self.calls,
        }
    }

    /// Stores a new object and returns its id.
    pub(crate) fn insert(
        &mut self,
        object: ObjectType,
        properties: BTreeMap<String, String>,
        now_ms: u64,
        searchable_at: u64,
    ) -> String {
        let key = self.next_id;
        self.next_id += 1;
        let id = key.to_string();
        self.map_mut(object).insert(
            key,
            SimObject {
                id: id.clone(),
                properties,
                associations: Vec::new(),
                archived: false,
                created_at: now_ms,
                updated_at: now_ms,
                searchable_at,
            },
        );
        id
    }

    /// Puts an object back as it was (undo of an update), or drops it when
    /// `previous` is `None` (undo of a create).
    pub(crate) fn restore(&mut self, object: ObjectType, id: &str, previous: Option<SimObject>) {
        let Ok(key) = id.parse::<u64>() else { return };
        match previous {
            Some(obj) => {
                self.map_mut(object).insert(key, obj);
            }
            None => {
                self.map_mut(object).remove(&key);
            }
        }
    }

    /// A non-archived object by id.
    pub(crate) fn live(&self, object: ObjectType, id: &str) -> Option<&SimObject> {
        let key: u64 = id.parse().ok()?;
        self.map(object).get(&key).filter(|o| !o.archived)
    }

    /// A non-archived object by id, mutable.
    pub(crate) fn live_mut(&mut self, object: ObjectType, id: &str) -> Option<&mut SimObject> {
        let key: u64 = id.parse().ok()?;
        self.map_mut(object).get_mut(&key).filter(|o| !o.archived)
    }

    /// The non-archived contact with this email (case-insensitive).
    pub(crate) fn contact_by_email(&self, email: &str) -> Option<&SimObject> {
        self.contacts.values().find(|c| {
            !c.archived
                && c.properties
                    .get("email")
                    .is_some_and(|e| !e.is_empty() && e.eq_ignore_ascii_case(email))
        })
    }

    /// The non-archived object whose property `name` is exactly `value`.
    pub(crate) fn live_by_value(
        &self,
        object: ObjectType,
        name: &str,
        value: &str,
    ) -> Option<&SimObject> {
        self.map(object)
            .values()
            .find(|o| !o.archived && o.properties.get(name).is_some_and(|v| v == value))
    }

    /// Archives an object; false if it was missing or already archived.
    pub(crate) fn archive(&mut self, object: ObjectType, id: &str, now_ms: u64) -> bool {
        match self.live_mut(object, id) {
            Some(o) => {
                o.archived = true;
                o.updated_at = now_ms;
                true
            }
            None => false,
        }
    }

    /// Records an association on both objects (`type_id` from `from`,
    /// `inverse_id` from `to`).
    pub(crate) fn associate(
        &mut self,
        from: (ObjectType, &str),
        to: (ObjectType, &str),
        type_id: u32,
        inverse_id: u32,
    ) {
        if let Some(o) = self.live_mut(from.0, from.1) {
            push_unique(&mut o.associations, to.1, type_id);
        }
        if let Some(o) = self.live_mut(to.0, to.1) {
            push_unique(&mut o.associations, from.1, inverse_id);
        }
    }

    /// Whether a client may write this property.
    pub(crate) fn is_writable(&self, object: ObjectType, name: &str) -> bool {
        (object.writable().contains(&name) || self.catalog.get(object, name).is_some())
            && !self.is_removed(object, name)
    }

    /// Whether the property is a live custom property with `hasUniqueValue`.
    pub(crate) fn is_unique(&self, object: ObjectType, name: &str) -> bool {
        self.catalog.get(object, name).is_some_and(|d| d.unique) && !self.is_removed(object, name)
    }

    /// The live custom definition of a property.
    pub(crate) fn custom(&self, object: ObjectType, name: &str) -> Option<&Definition> {
        self.catalog
            .get(object, name)
            .filter(|_| !self.is_removed(object, name))
    }

    /// Live custom definitions of one type, in name order.
    pub(crate) fn customs(&self, object: ObjectType) -> impl Iterator<Item = &Definition> {
        self.catalog
            .of(object)
            .filter(move |d| !self.is_removed(object, &d.name))
    }

    /// Defines (or redefines) a custom property; a removed property of that
    /// name exists again.
    pub(crate) fn define(&mut self, object: ObjectType, def: Definition) {
        self.removed.remove(&(object, def.name.clone()));
        self.catalog.define(object, def);
    }

    /// Live unique-value properties as `(object, name)`.
    pub(crate) fn unique_properties(&self) -> Vec<(String, String)> {
        self.catalog
            .all()
            .filter(|(o, d)| d.unique && !self.is_removed(*o, &d.name))
            .map(|(o, d)| (o.name().to_owned(), d.name.clone()))
            .collect()
    }

    /// Whether the property exists (writable or system) for this type.
    pub(crate) fn is_known(&self, object: ObjectType, name: &str) -> bool {
        self.is_writable(object, name) || object.system().contains(&name)
    }

    /// Whether the property was removed with `remove_property`.
    pub(crate) fn is_removed(&self, object: ObjectType, name: &str) -> bool {
        self.removed.contains(&(object, name.to_owned()))
    }

    /// Makes a property unknown from now on.
    pub(crate) fn remove_property(&mut self, object: ObjectType, name: &str) {
        self.removed.insert((object, name.to_owned()));
    }

    /// Removed properties as `(object, name)`.
    pub(crate) fn removed(&self) -> Vec<(String, String)> {
        self.removed
            .iter()
            .map(|(o, n)| (o.name().to_owned(), n.clone()))
            .collect()
    }

    /// Drops all objects, custom and removed properties; ids keep growing.
    pub(crate) fn clear(&mut self) {
        *self = Self {
            next_id: self.next_id,
            ..Self::default()
        };
    }
}

fn push_unique(list: &mut Vec<(String, u32)>, id: &str, type_id: u32) {
    if !list.iter().any(|(i, t)| i == id && *t == type_id) {
        list.push((id.to_owned(), type_id));
    }
}
