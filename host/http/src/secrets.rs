//! Secrets granted to a deployment, looked up by name when a request names
//! them in a secret header. Values never leave this type except into the
//! outgoing header: `Debug` shows names only, and nothing here implements
//! `Display`.

use std::collections::BTreeMap;
use std::fmt;

use url::Url;

use crate::allowlist::AllowedHost;

/// Secret values by name, as granted to one deployment, each with the hosts it may be
/// sent to.
#[derive(Clone, Default)]
pub struct Secrets {
    values: BTreeMap<String, Granted>,
}

#[derive(Clone)]
struct Granted {
    value: String,
    /// `None`: any host the allowlist allows.
    hosts: Option<Vec<AllowedHost>>,
}

impl Secrets {
    /// An empty set: every secret header is denied.
    pub fn new() -> Self {
        Self::default()
    }

    /// Grants `name` with `value` for any host the allowlist allows, replacing an earlier
    /// grant. Deployments bind every secret with [`Secrets::insert_for_hosts`].
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(
            name.into(),
            Granted {
                value: value.into(),
                hosts: None,
            },
        );
    }

    /// Grants `name` with `value`, to be sent only to URLs one of `hosts` matches.
    pub fn insert_for_hosts(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        hosts: Vec<AllowedHost>,
    ) {
        self.values.insert(
            name.into(),
            Granted {
                value: value.into(),
                hosts: Some(hosts),
            },
        );
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
        self.values.get(name).map(|g| g.value.as_str())
    }

    /// Whether `name` may be sent to `url` (its host bindings; the allowlist is checked
    /// separately).
    pub(crate) fn may_send_to(&self, name: &str, url: &Url) -> bool {
        self.values.get(name).is_some_and(|g| {
            g.hosts
                .as_ref()
                .is_none_or(|hosts| hosts.iter().any(|h| h.matches(url)))
        })
    }

    /// Every secret value, for redacting text (never for display).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.values().map(|g| g.value.as_str())
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
