//! Native unit tests: pure functions directly, `push` against a scripted
//! fake host.

mod classify;
mod fake;
mod mapping;
mod normalize;
mod push;
mod push_contact;
mod upsert;

use switchboard_sdk::prelude::*;

/// A record of `kind` with the given fields.
pub(crate) fn record(kind: &str, fields: &[(&str, Value)]) -> Record {
    Record {
        id: "rec-1".into(),
        kind: kind.into(),
        fields: fields
            .iter()
            .map(|(n, v)| Field {
                name: (*n).into(),
                value: v.clone(),
            })
            .collect(),
    }
}

/// A text value.
pub(crate) fn t(s: &str) -> Value {
    Value::Text(s.into())
}
