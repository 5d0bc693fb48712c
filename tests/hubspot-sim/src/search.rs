//! `POST /{type}/search` (`PublicObjectSearchRequest`).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crm::{NextPage, Paging};
use crate::errors::{self, PropertyError};
use crate::input::{parse_json, scalar_text};
use crate::objects::ObjectType;
use crate::render::{Kind, PublicObject, Selection, kind_of, render, value_of};
use crate::reply::{Ctx, Reply};
use crate::state::State;
use crate::time::parse_iso_ms;
use crate::types::SimObject;

/// "Up to 6 groups of filters" ([OFFICIAL] spec description).
const MAX_GROUPS: usize = 6;
/// Largest `limit`.
const MAX_LIMIT: i64 = 200;
/// Longest free-text `query`.
const MAX_QUERY: usize = 3000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchRequest {
    #[serde(default)]
    filter_groups: Vec<FilterGroup>,
    #[serde(default)]
    properties: Vec<String>,
    #[serde(default)]
    sorts: Vec<Sort>,
    limit: Option<i64>,
    after: Option<Value>,
    query: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FilterGroup {
    #[serde(default)]
    filters: Vec<Filter>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    property_name: String,
    operator: Operator,
    value: Option<Value>,
    #[serde(default)]
    values: Vec<Value>,
    high_value: Option<Value>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Operator {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
    In,
    NotIn,
    HasProperty,
    NotHasProperty,
    ContainsToken,
    NotContainsToken,
}

/// `{"propertyName":"createdate","direction":"DESCENDING"}` or `"-createdate"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Sort {
    Object {
        #[serde(rename = "propertyName")]
        property_name: String,
        direction: Option<String>,
    },
    Text(String),
}

impl Sort {
    fn parts(&self) -> (&str, bool) {
        match self {
            Self::Object {
                property_name,
                direction,
            } => (property_name, direction.as_deref() == Some("DESCENDING")),
            Self::Text(text) => match text.strip_prefix('-') {
                Some(name) => (name, true),
                None => (text, false),
            },
        }
    }
}

/// `CollectionResponseWithTotalSimplePublicObject`.
#[derive(Serialize)]
struct SearchPage {
    total: usize,
    results: Vec<PublicObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

/// Runs a search over live objects whose `searchable_at` has passed.
pub(crate) fn search(
    st: &State,
    ctx: &Ctx,
    object: ObjectType,
    body: &[u8],
    now_ms: u64,
) -> Result<Reply, Reply> {
    let req: SearchRequest = parse_json(ctx, body)?;
    validate(st, ctx, object, &req)?;
    let limit = usize::try_from(req.limit.unwrap_or(10)).unwrap_or(10);
    let offset = match &req.after {
        None => 0,
        Some(v) => scalar_text(v)
            .and_then(|t| t.parse::<usize>().ok())
            .ok_or_else(|| errors::validation(ctx, format!("Invalid after value {v}")))?,
    };
    let mut hits: Vec<&SimObject> = st
        .store
        .all(object)
        .filter(|o| !o.archived && o.searchable_at <= now_ms)
        .filter(|o| matches_query(st, object, o, req.query.as_deref()))
        .filter(|o| {
            req.filter_groups.is_empty()
                || req
                    .filter_groups
                    .iter()
                    .any(|g| g.filters.iter().all(|f| matches(st, object, o, f)))
        })
        .collect();
    if let Some(sort) = req.sorts.first() {
        let (name, descending) = sort.parts();
        hits.sort_by(|a, b| {
            let ord = compare_for_sort(
                kind_of(name),
                value_of(&st.store, object, a, name),
                value_of(&st.store, object, b, name),
            );
            if descending { ord.reverse() } else { ord }
        });
    }
    let total = hits.len();
    let selection = Selection::requested_or_default(object, req.properties.clone());
    let end = offset.saturating_add(limit).min(total);
    let results = hits
        .get(offset.min(total)..end)
        .unwrap_or_default()
        .iter()
        .map(|o| render(&st.store, object, o, &selection))
        .collect();
    let paging = (end < total).then(|| Paging {
        next: NextPage {
            after: end.to_string(),
        },
    });
    Ok(Reply::json(
        200,
        &SearchPage {
            total,
            results,
            paging,
        },
    ))
}

/// Limits and property names. The error wordings are [UNVERIFIED]; an unknown
/// filter or sort property gets the PROPERTY_DOESNT_EXIST layout.
fn validate(st: &State, ctx: &Ctx, object: ObjectType, req: &SearchRequest) -> Result<(), Reply> {
    if req.filter_groups.len() > MAX_GROUPS {
        return Err(errors::validation(
            ctx,
            format!(
                "Too many filter groups: {} (the maximum is {MAX_GROUPS})",
                req.filter_groups.len()
            ),
        ));
    }
    if let Some(limit) = req.limit
        && !(0..=MAX_LIMIT).contains(&limit)
    {
        return Err(errors::validation(
            ctx,
            format!("limit must be between 0 and {MAX_LIMIT}, got {limit}"),
        ));
    }
    if req
        .query
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY)
    {
        return Err(errors::validation(
            ctx,
            format!("query must be at most {MAX_QUERY} characters"),
        ));
    }
    let mut unknown: Vec<PropertyError> = Vec::new();
    let names = req
        .filter_groups
        .iter()
        .flat_map(|g| g.filters.iter().map(|f| f.property_name.as_str()))
        .chain(req.sorts.iter().map(|s| s.parts().0));
    for name in names {
        if !st.store.is_known(object, name) && !unknown.iter().any(|p| p.name == name) {
            unknown.push(PropertyError::doesnt_exist(name));
        }
    }
    if !unknown.is_empty() {
        return Err(errors::property_errors(ctx, &unknown));
    }
    for filter in req.filter_groups.iter().flat_map(|g| &g.filters) {
        let needs = match filter.operator {
            Operator::HasProperty | Operator::NotHasProperty => None,
            Operator::In | Operator::NotIn => {
                (filter.values.is_empty()).then_some("a non-empty \"values\"")
            }
            Operator::Between => (filter.value.is_none() || filter.high_value.is_none())
                .then_some("\"value\" and \"highValue\""),
            _ => filter.value.is_none().then_some("a \"value\""),
        };
        if let Some(needs) = needs {
            return Err(errors::validation(
                ctx,
                format!(
                    "Filter on {} with operator {:?} needs {needs}",
                    filter.property_name, filter.operator
                ),
            ));
        }
    }
    Ok(())
}

/// Free-text query: a case-insensitive substring of one of the type's
/// default searchable properties (an approximation of HubSpot's matching).
fn matches_query(st: &State, object: ObjectType, obj: &SimObject, query: Option<&str>) -> bool {
    let Some(query) = query.map(str::trim).filter(|q| !q.is_empty()) else {
        return true;
    };
    let query = query.to_lowercase();
    object.query_properties().iter().any(|name| {
        value_of(&st.store, object, obj, name).is_some_and(|v| v.to_lowercase().contains(&query))
    })
}

fn matches(st: &State, object: ObjectType, obj: &SimObject, filter: &Filter) -> bool {
    let kind = kind_of(&filter.property_name);
    let stored = value_of(&st.store, object, obj, &filter.property_name).filter(|v| !v.is_empty());
    let wanted = filter.value.as_ref().and_then(scalar_text);
    let cmp = |w: &str| stored.as_deref().and_then(|s| compare(kind, s, w));
    match filter.operator {
        Operator::Eq => wanted.is_some_and(|w| cmp(&w) == Some(Ordering::Equal)),
        // [UNVERIFIED]: objects without the property match NEQ and NOT_IN.
        Operator::Neq => wanted.is_none_or(|w| cmp(&w) != Some(Ordering::Equal)),
        Operator::Lt => wanted.is_some_and(|w| cmp(&w) == Some(Ordering::Less)),
        Operator::Lte => wanted.is_some_and(|w| cmp(&w).is_some_and(Ordering::is_le)),
        Operator::Gt => wanted.is_some_and(|w| cmp(&w) == Some(Ordering::Greater)),
        Operator::Gte => wanted.is_some_and(|w| cmp(&w).is_some_and(Ordering::is_ge)),
        Operator::Between => {
            let high = filter.high_value.as_ref().and_then(scalar_text);
            wanted.is_some_and(|w| cmp(&w).is_some_and(Ordering::is_ge))
                && high.is_some_and(|h| cmp(&h).is_some_and(Ordering::is_le))
        }
        Operator::In => in_values(&filter.values, cmp),
        Operator::NotIn => !in_values(&filter.values, cmp),
        Operator::HasProperty => stored.is_some(),
        Operator::NotHasProperty => stored.is_none(),
        Operator::ContainsToken => {
            wanted.is_some_and(|w| stored.as_deref().is_some_and(|s| contains_token(s, &w)))
        }
        Operator::NotContainsToken => {
            !wanted.is_some_and(|w| stored.as_deref().is_some_and(|s| contains_token(s, &w)))
        }
    }
}

fn in_values(values: &[Value], cmp: impl Fn(&str) -> Option<Ordering>) -> bool {
    values
        .iter()
        .filter_map(scalar_text)
        .any(|w| cmp(&w) == Some(Ordering::Equal))
}

/// Compares a stored value with a filter value. Strings compare
/// case-insensitively and exactly otherwise (so `phone` EQ only finds the
/// string as stored); numbers numerically; date-times as epoch milliseconds
/// (filter values may be milliseconds or ISO-8601).
fn compare(kind: Kind, stored: &str, wanted: &str) -> Option<Ordering> {
    match kind {
        Kind::Text => Some(stored.to_lowercase().cmp(&wanted.to_lowercase())),
        Kind::Number => {
            let (a, b) = (stored.parse::<f64>().ok()?, wanted.parse::<f64>().ok()?);
            a.partial_cmp(&b)
        }
        Kind::DateTime => Some(as_ms(stored)?.cmp(&as_ms(wanted)?)),
    }
}

fn as_ms(text: &str) -> Option<u64> {
    text.parse::<u64>().ok().or_else(|| parse_iso_ms(text))
}

/// Sort order: values by kind, unset values last.
fn compare_for_sort(kind: Kind, a: Option<String>, b: Option<String>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => compare(kind, &a, &b).unwrap_or_else(|| a.cmp(&b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// CONTAINS_TOKEN: the value split on non-alphanumerics contains the token
/// (case-insensitive); a `*` in the token is a wildcard over the whole value
/// or any single token.
fn contains_token(stored: &str, token: &str) -> bool {
    let stored = stored.to_lowercase();
    let token = token.to_lowercase();
    let tokens = || {
        stored
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
    };
    if token.contains('*') {
        glob(&token, &stored) || tokens().any(|t| glob(&token, t))
    } else {
        stored == token || tokens().any(|t| t == token)
    }
}

/// `*`-only glob match.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() == 1 {
        return pattern == text;
    }
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_wildcards_match() {
        assert!(contains_token("ada@example.com", "example"));
        assert!(contains_token("ada@example.com", "*@example.com"));
        assert!(contains_token("Ada Lovelace", "lovelace"));
        assert!(!contains_token("Ada Lovelace", "love"));
        assert!(contains_token("Ada Lovelace", "love*"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abcdf"));
    }

    #[test]
    fn text_compares_exact_strings_only() {
        assert_eq!(
            compare(Kind::Text, "+1 555-0100", "+15550100"),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(Kind::Text, "Ada@Example.com", "ada@example.com"),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(Kind::DateTime, "1970-01-01T00:00:01.000Z", "1000"),
            Some(Ordering::Equal)
        );
    }
}
