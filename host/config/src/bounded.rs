//! Integer fields with an inclusive range, checked while deserializing so the error carries
//! the key's path and the value's line and column.

use std::fmt;

use serde::de::{Deserializer, Error, Visitor};

/// Deserializes a TOML integer and refuses it unless `MIN <= value <= MAX`.
///
/// Use as `#[serde(deserialize_with = "bounded::<_, 1, 4096>")]`.
pub(crate) fn bounded<'de, D, const MIN: u64, const MAX: u64>(de: D) -> Result<u64, D::Error>
where
    D: Deserializer<'de>,
{
    // TOML integers are i64; reading i64 lets "-1" get the range message, not a type error.
    let value = de.deserialize_i64(IntegerVisitor)?;
    match u64::try_from(value) {
        Ok(v) if (MIN..=MAX).contains(&v) => Ok(v),
        _ => Err(D::Error::custom(format!(
            "must be between {MIN} and {MAX}, got {value}"
        ))),
    }
}

/// Like [`bounded`], for an optional key: use with `#[serde(default, deserialize_with =
/// "bounded_opt::<_, 1, 1000>")]` so a missing key is `None`.
pub(crate) fn bounded_opt<'de, D, const MIN: u64, const MAX: u64>(
    de: D,
) -> Result<Option<u64>, D::Error>
where
    D: Deserializer<'de>,
{
    bounded::<D, MIN, MAX>(de).map(Some)
}

/// Accepts any integer that fits in an i64, and says "an integer" when given something else.
struct IntegerVisitor;

impl Visitor<'_> for IntegerVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("integer {v} is too large")))
    }
}
