//! What identifies an object besides its id: `idProperty` resolution, and
//! the uniqueness rules (email on contacts, `hasUniqueValue` properties)
//! that creates, updates and upserts must not break.

use std::collections::BTreeMap;

use crate::errors::{self, PropertyError};
use crate::objects::ObjectType;
use crate::reply::{Ctx, Reply};
use crate::store::Store;
use crate::types::SimObject;

/// How an `idProperty` finds an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdProperty {
    /// None or `hs_object_id`: the object id itself.
    ObjectId,
    /// `email` on contacts (case-insensitive).
    Email,
    /// A custom property with `hasUniqueValue` (exact match).
    Unique(String),
}

impl IdProperty {
    /// Resolves `idProperty` for `object`: 400 `PROPERTY_DOESNT_EXIST` for an
    /// unknown (or removed) property, 400 naming it for a property that is
    /// not an identifier.
    pub(crate) fn resolve(
        store: &Store,
        ctx: &Ctx,
        object: ObjectType,
        name: Option<&str>,
    ) -> Result<Self, Reply> {
        match name {
            None | Some("hs_object_id") => Ok(Self::ObjectId),
            Some("email") if object == ObjectType::Contacts && store.is_known(object, "email") => {
                Ok(Self::Email)
            }
            Some(name) if store.is_unique(object, name) => Ok(Self::Unique(name.to_owned())),
            Some(name) if !store.is_known(object, name) => Err(errors::property_errors(
                ctx,
                &[PropertyError::doesnt_exist(name)],
            )),
            Some(name) => Err(errors::not_unique_id_property(ctx, name)),
        }
    }

    /// The property name objects are matched on.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::ObjectId => "hs_object_id",
            Self::Email => "email",
            Self::Unique(name) => name,
        }
    }

    /// The live object this identifier value points at.
    pub(crate) fn find<'a>(
        &self,
        store: &'a Store,
        object: ObjectType,
        value: &str,
    ) -> Option<&'a SimObject> {
        match self {
            Self::ObjectId => store.live(object, value),
            Self::Email => store.contact_by_email(value),
            Self::Unique(name) => store.live_by_value(object, name, value),
        }
    }
}

/// 409 when writing `props` to object `except_id` (or to a new object when
/// `None`) would give two live objects one email or one value of a unique
/// property. Checked at once, whatever the search lag.
pub(crate) fn ensure_free(
    store: &Store,
    ctx: &Ctx,
    object: ObjectType,
    props: &BTreeMap<String, String>,
    except_id: Option<&str>,
) -> Result<(), Reply> {
    let other = |o: &&SimObject| Some(o.id.as_str()) != except_id;
    if object == ObjectType::Contacts
        && let Some(email) = props.get("email").filter(|e| !e.is_empty())
        && let Some(existing) = store.contact_by_email(email).filter(other)
    {
        return Err(errors::conflict(ctx, &existing.id));
    }
    for (name, value) in props {
        if value.is_empty() || !store.is_unique(object, name) {
            continue;
        }
        if let Some(existing) = store.live_by_value(object, name, value).filter(other) {
            return Err(errors::unique_conflict(
                ctx,
                object,
                name,
                value,
                &existing.id,
            ));
        }
    }
    Ok(())
}
