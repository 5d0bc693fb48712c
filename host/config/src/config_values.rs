//! Values of the `[config]` table: strings, with integers and booleans stringified.
//!
//! `retries = 3` becomes `"3"` and `sandbox = true` becomes `"true"`, so operators can write
//! natural TOML while the connector always receives strings. Floats, dates, arrays and
//! tables are refused: their string form is ambiguous, and nested config is not supported.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};

use crate::names::named_map;

/// One `[config]` value, already converted to its string form.
pub(crate) struct ConfigValue(String);

impl<'de> Deserialize<'de> for ConfigValue {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(ConfigValueVisitor)
    }
}

struct ConfigValueVisitor;

impl Visitor<'_> for ConfigValueVisitor {
    type Value = ConfigValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, an integer or a boolean")
    }

    fn visit_str<E>(self, v: &str) -> Result<ConfigValue, E> {
        Ok(ConfigValue(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<ConfigValue, E> {
        Ok(ConfigValue(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<ConfigValue, E> {
        Ok(ConfigValue(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<ConfigValue, E> {
        Ok(ConfigValue(v.to_string()))
    }

    fn visit_bool<E>(self, v: bool) -> Result<ConfigValue, E> {
        Ok(ConfigValue(v.to_string()))
    }
}

/// Deserializes the `[config]` table: valid names to stringified values.
pub(crate) fn config_map<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let map: BTreeMap<String, ConfigValue> = named_map(de)?;
    Ok(map.into_iter().map(|(k, ConfigValue(v))| (k, v)).collect())
}
