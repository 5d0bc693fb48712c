//! Secrets granted to a deployment, looked up by name when a request names
//! them in a secret header. Values never leave this type except into the
//! outgoing header: `Debug` shows names only, and nothing here implements
//! `Display`.

use std::collections::BTreeMap;
use std::fmt;

/// Secret values by name, as granted to one deployment.
#[derive(Clone, Default)]
pub struct Secrets {
    values: BTreeMap<String, String>,
}

impl Secrets {
    /// An empty set: every secret header is denied.
    pub fn new() -> Self {
        Self::default()
    }

    /// Grants `name` with `value`, replacing an earlier value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    /// True if a secret called `name` is granted.
    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Names of the granted secrets, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Number of granted secrets.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True if no secret is granted.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value of `name`; only for building the outgoing header.
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Secrets {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        let mut secrets = Self::new();
        for (name, value) in iter {
            secrets.insert(name, value);
        }
        secrets
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.values.keys().map(|name| (name, "[redacted]")))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_but_never_values() {
        let secrets: Secrets = [("hubspot-token", "s3cret-value")].into_iter().collect();
        let shown = format!("{secrets:?} {secrets:#?}");
        assert!(shown.contains("hubspot-token"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        assert!(!shown.contains("s3cret-value"), "{shown}");
        assert_eq!(secrets.value("hubspot-token"), Some("s3cret-value"));
        assert!(secrets.contains("hubspot-token"));
        assert_eq!(secrets.names().collect::<Vec<_>>(), ["hubspot-token"]);
    }
}
