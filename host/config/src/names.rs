//! Names of secrets and config keys: `[a-z0-9][a-z0-9_-]{0,63}`.

use std::collections::BTreeMap;

use serde::de::{Deserialize, Deserializer, Error};

/// Longest allowed name, in bytes.
const MAX_NAME_LEN: usize = 64;

/// Whether `name` is a valid secret name or config key: 1 to 64 characters from
/// `a-z`, `0-9`, `_` and `-`, starting with a letter or digit.
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(first) if first.is_ascii_lowercase() || first.is_ascii_digit() => {}
        _ => return false,
    }
    bytes.len() <= MAX_NAME_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
}

/// A map key that must be a valid name; refused while deserializing the key so the error
/// path includes it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Name(pub(crate) String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let name = String::deserialize(de)?;
        if is_valid_name(&name) {
            Ok(Name(name))
        } else {
            Err(D::Error::custom(format!(
                "invalid name {name:?}: must match [a-z0-9][a-z0-9_-]{{0,63}}"
            )))
        }
    }
}

/// Deserializes a table whose keys must be valid names.
pub(crate) fn named_map<'de, D, T>(de: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let map = BTreeMap::<Name, T>::deserialize(de)?;
    Ok(map.into_iter().map(|(Name(k), v)| (k, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::is_valid_name;

    #[test]
    fn accepts_lowercase_digits_dash_and_underscore() {
        for name in ["a", "0", "hubspot-token", "base_url", &"x".repeat(64)] {
            assert!(is_valid_name(name), "{name:?}");
        }
    }

    #[test]
    fn refuses_empty_uppercase_leading_symbol_and_too_long() {
        for name in [
            "",
            "Token",
            "-a",
            "_a",
            "a.b",
            "a b",
            "caf\u{e9}",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_name(name), "{name:?}");
        }
    }
}
