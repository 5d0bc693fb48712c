//! Maps a request path onto the simulated API surface.

use crate::objects::ObjectType;
use crate::query::decode;

/// Path prefixes of the CRM object API: v3 and the date-versioned form.
const PREFIXES: &[&str] = &["/crm/v3/objects/", "/crm/objects/2026-03/"];
/// Path prefix of the properties API.
const PROPERTIES_PREFIX: &str = "/crm/v3/properties/";
/// Path prefix of the v4 associations API. [UNVERIFIED] path shape.
const V4_PREFIX: &str = "/crm/v4/objects/";

/// What a path addresses below an object type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `/{type}`: list (GET) and create (POST).
    Collection,
    /// `/{type}/search`: search (POST).
    Search,
    /// `/{type}/batch/upsert`: create or update by a unique property (POST).
    BatchUpsert,
    /// `/{type}/{id}`: read (GET), update (PATCH), archive (DELETE).
    Item(String),
    /// `/crm/v3/properties/{type}`: list (GET) and define (POST).
    Properties,
    /// `/crm/v3/properties/{type}/{name}`: read one definition (GET).
    Property(String),
    /// `/crm/v4/objects/{type}/{id}/associations/default/{to}/{toId}` (PUT).
    DefaultAssociation {
        /// The object linked from.
        id: String,
        /// Type of the object linked to.
        to: ObjectType,
        /// The object linked to.
        to_id: String,
    },
}

impl Target {
    /// Methods the target accepts, for 405 and `Allow`.
    pub(crate) fn allowed(&self) -> &'static [&'static str] {
        match self {
            Self::Collection | Self::Properties => &["GET", "POST"],
            Self::Search | Self::BatchUpsert => &["POST"],
            Self::Item(_) => &["GET", "PATCH", "DELETE"],
            Self::Property(_) => &["GET"],
            Self::DefaultAssociation { .. } => &["PUT"],
        }
    }

    /// Whether the target is a property definition rather than objects
    /// (for the scope a scopeless token lacks).
    pub(crate) fn is_schema(&self) -> bool {
        matches!(self, Self::Properties | Self::Property(_))
    }
}

/// Result of routing a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// A simulated endpoint about an object type.
    Object(ObjectType, Target),
    /// Under the object API, but an object type the simulator does not have.
    UnknownObject(String),
    /// Not part of the simulated API at all.
    Unmatched,
}

/// Routes a path (without its query).
pub(crate) fn route(path: &str) -> Route {
    if let Some(rest) = PREFIXES.iter().find_map(|p| path.strip_prefix(p)) {
        objects(rest)
    } else if let Some(rest) = path.strip_prefix(PROPERTIES_PREFIX) {
        properties(rest)
    } else if let Some(rest) = path.strip_prefix(V4_PREFIX) {
        associations(rest)
    } else {
        Route::Unmatched
    }
}

fn segments(rest: &str) -> Vec<&str> {
    rest.strip_suffix('/').unwrap_or(rest).split('/').collect()
}

/// The object type of a segment, or the route for an unknown one.
fn object_type(segment: &str) -> Result<ObjectType, Route> {
    match ObjectType::from_segment(segment) {
        Some(object) => Ok(object),
        None if !segment.is_empty() => Err(Route::UnknownObject(decode(segment, false))),
        None => Err(Route::Unmatched),
    }
}

fn objects(rest: &str) -> Route {
    let segments = segments(rest);
    let Some(object) = segments.first().and_then(|s| ObjectType::from_segment(s)) else {
        return match segments.as_slice() {
            [segment] | [segment, _] if !segment.is_empty() => {
                Route::UnknownObject(decode(segment, false))
            }
            _ => Route::Unmatched,
        };
    };
    match segments.as_slice() {
        [_] => Route::Object(object, Target::Collection),
        [_, "search"] => Route::Object(object, Target::Search),
        [_, "batch", "upsert"] => Route::Object(object, Target::BatchUpsert),
        [_, id] if !id.is_empty() => Route::Object(object, Target::Item(decode(id, false))),
        _ => Route::Unmatched,
    }
}

fn properties(rest: &str) -> Route {
    match segments(rest).as_slice() {
        [object] => match object_type(object) {
            Ok(object) => Route::Object(object, Target::Properties),
            Err(route) => route,
        },
        [object, name] if !name.is_empty() => match object_type(object) {
            Ok(object) => Route::Object(object, Target::Property(decode(name, false))),
            Err(route) => route,
        },
        _ => Route::Unmatched,
    }
}

fn associations(rest: &str) -> Route {
    let segments = segments(rest);
    let [from, id, "associations", "default", to, to_id] = segments.as_slice() else {
        return Route::Unmatched;
    };
    if id.is_empty() || to_id.is_empty() {
        return Route::Unmatched;
    }
    match (object_type(from), object_type(to)) {
        (Ok(from), Ok(to)) => Route::Object(
            from,
            Target::DefaultAssociation {
                id: decode(id, false),
                to,
                to_id: decode(to_id, false),
            },
        ),
        (Err(route), _) | (_, Err(route)) => route,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_both_path_styles() {
        assert_eq!(
            route("/crm/v3/objects/contacts"),
            Route::Object(ObjectType::Contacts, Target::Collection)
        );
        assert_eq!(
            route("/crm/objects/2026-03/calls/search"),
            Route::Object(ObjectType::Calls, Target::Search)
        );
        assert_eq!(
            route("/crm/v3/objects/contacts/a%40b.com"),
            Route::Object(ObjectType::Contacts, Target::Item("a@b.com".into()))
        );
        assert_eq!(
            route("/crm/v3/objects/widgets"),
            Route::UnknownObject("widgets".into())
        );
        assert_eq!(
            route("/crm/v3/objects/contacts/batch/upsert"),
            Route::Object(ObjectType::Contacts, Target::BatchUpsert)
        );
        assert_eq!(
            route("/crm/objects/2026-03/calls/batch/upsert"),
            Route::Object(ObjectType::Calls, Target::BatchUpsert)
        );
        assert_eq!(
            route("/crm/v3/objects/contacts/batch/create"),
            Route::Unmatched
        );
        assert_eq!(route("/nope"), Route::Unmatched);
    }

    #[test]
    fn routes_properties_and_v4_associations() {
        assert_eq!(
            route("/crm/v3/properties/calls"),
            Route::Object(ObjectType::Calls, Target::Properties)
        );
        assert_eq!(
            route("/crm/v3/properties/0-1/switchboard_phone_e164"),
            Route::Object(
                ObjectType::Contacts,
                Target::Property("switchboard_phone_e164".into())
            )
        );
        assert_eq!(
            route("/crm/v3/properties/widgets"),
            Route::UnknownObject("widgets".into())
        );
        assert_eq!(
            route("/crm/v4/objects/calls/12/associations/default/contacts/34"),
            Route::Object(
                ObjectType::Calls,
                Target::DefaultAssociation {
                    id: "12".into(),
                    to: ObjectType::Contacts,
                    to_id: "34".into()
                }
            )
        );
        assert_eq!(
            route("/crm/v4/objects/calls/12/associations/default/widgets/34"),
            Route::UnknownObject("widgets".into())
        );
        assert_eq!(
            route("/crm/v4/objects/calls/12/associations/contacts"),
            Route::Unmatched
        );
    }
}
