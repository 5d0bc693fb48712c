//! Counting objects per property value in a [`Snapshot`]: how crash tests
//! check that every record landed exactly once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::types::{SimObject, Snapshot};

/// The objects that hold one value of a property.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    /// Live (not archived) objects with the value.
    pub live: usize,
    /// Archived objects with the value.
    pub archived: usize,
    /// Their ids, live and archived, in id order.
    pub ids: Vec<String>,
}

impl Snapshot {
    /// The objects of a type (`"contacts"`/`"0-1"` or `"calls"`/`"0-48"`),
    /// archived included; empty for any other type.
    pub fn objects(&self, object: &str) -> &[SimObject] {
        match object {
            "contacts" | "contact" | "0-1" => &self.contacts,
            "calls" | "call" | "0-48" => &self.calls,
            _ => &[],
        }
    }

    /// Objects of a type per stored value of `property` (exactly as
    /// stored), e.g. calls per `switchboard_idempotency_key` or contacts per
    /// `phone`. Objects without the property, or with an empty value, are
    /// not counted.
    pub fn count_by(&self, object: &str, property: &str) -> BTreeMap<String, ValueCount> {
        let mut counts: BTreeMap<String, ValueCount> = BTreeMap::new();
        for obj in self.objects(object) {
            let Some(value) = obj.properties.get(property).filter(|v| !v.is_empty()) else {
                continue;
            };
            let entry = counts.entry(value.clone()).or_default();
            if obj.archived {
                entry.archived += 1;
            } else {
                entry.live += 1;
            }
            entry.ids.push(obj.id.clone());
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(id: &str, key: Option<&str>, archived: bool) -> SimObject {
        SimObject {
            id: id.into(),
            properties: key
                .map(|k| ("k".to_owned(), k.to_owned()))
                .into_iter()
                .collect(),
            associations: Vec::new(),
            archived,
            created_at: 0,
            updated_at: 0,
            searchable_at: 0,
        }
    }

    #[test]
    fn counts_live_and_archived_per_value() {
        let snap = Snapshot {
            contacts: Vec::new(),
            calls: vec![
                obj("1", Some("a"), false),
                obj("2", Some("a"), true),
                obj("3", Some("b"), false),
                obj("4", None, false),
                obj("5", Some(""), false),
            ],
            requests: 0,
            rate_limited: 0,
            daily_used: 0,
            faults_pending: 0,
            removed_properties: Vec::new(),
            unique_properties: Vec::new(),
            log: Vec::new(),
        };
        let counts = snap.count_by("calls", "k");
        assert_eq!(counts.len(), 2);
        assert_eq!(
            counts["a"],
            ValueCount {
                live: 1,
                archived: 1,
                ids: vec!["1".into(), "2".into()]
            }
        );
        assert_eq!(counts["b"].live, 1);
        assert!(snap.count_by("widgets", "k").is_empty());
        assert!(snap.count_by("contacts", "k").is_empty());
    }
}
