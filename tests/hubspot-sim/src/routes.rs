//! Maps a request path onto the simulated API surface.

use crate::objects::ObjectType;
use crate::query::decode;

/// Path prefixes of the CRM object API: v3 and the date-versioned form.
const PREFIXES: &[&str] = &["/crm/v3/objects/", "/crm/objects/2026-03/"];

/// What a path addresses below an object type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `/{type}`: list (GET) and create (POST).
    Collection,
    /// `/{type}/search`: search (POST).
    Search,
    /// `/{type}/{id}`: read (GET), update (PATCH), archive (DELETE).
    Item(String),
}

impl Target {
    /// Methods the target accepts, for 405 and `Allow`.
    pub(crate) fn allowed(&self) -> &'static [&'static str] {
        match self {
            Self::Collection => &["GET", "POST"],
            Self::Search => &["POST"],
            Self::Item(_) => &["GET", "PATCH", "DELETE"],
        }
    }
}

/// Result of routing a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// A simulated object endpoint.
    Object(ObjectType, Target),
    /// Under the object API, but an object type the simulator does not have.
    UnknownObject(String),
    /// Not part of the simulated API at all.
    Unmatched,
}

/// Routes a path (without its query).
pub(crate) fn route(path: &str) -> Route {
    let Some(rest) = PREFIXES.iter().find_map(|p| path.strip_prefix(p)) else {
        return Route::Unmatched;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<&str> = rest.split('/').collect();
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
        [_, id] if !id.is_empty() => Route::Object(object, Target::Item(decode(id, false))),
        _ => Route::Unmatched,
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
            Route::Unmatched
        );
        assert_eq!(route("/nope"), Route::Unmatched);
    }
}
