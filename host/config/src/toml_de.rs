//! Shared TOML machinery: text to a typed value with [`ManifestError`]s that name the file,
//! the dotted key, the reason and the line and column; and finding a key's position again
//! for checks made after deserializing.

use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;
use toml::de::{DeTable, DeValue};

use crate::error::{ManifestError, line_column};

/// Parses `text` as TOML and deserializes it into `T`. `origin` names the file in errors.
///
/// A missing required key is reported at its own dotted path with the reason `is required`
/// (serde reports it at the enclosing table as "missing field"), located at the enclosing
/// table's header when it has one.
pub(crate) fn deserialize<T: DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, ManifestError> {
    let de = toml::Deserializer::parse(text).map_err(|e| {
        let location = e.span().map(|span| line_column(text, span.start));
        ManifestError::at_file(origin, format!("invalid TOML: {}", e.message()))
            .with_location(location)
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let mut location = e.inner().span().map(|span| line_column(text, span.start));
        let mut key = dotted_key(e.path());
        let mut reason = e.inner().message().to_owned();
        if let Some(field) = missing_field(&reason) {
            key = Some(match key {
                Some(parent) => format!("{parent}.{}", key_segment(field)),
                None => {
                    // The span is the whole document: no position to point at.
                    location = None;
                    key_segment(field)
                }
            });
            reason = "is required".to_owned();
        }
        match key {
            Some(key) => ManifestError::at_key(origin, key, reason),
            None => ManifestError::at_file(origin, reason),
        }
        .with_location(location)
    })
}

/// The field named by serde's "missing field `x`" message.
fn missing_field(reason: &str) -> Option<&str> {
    reason
        .strip_prefix("missing field `")?
        .strip_suffix('`')
        .filter(|field| !field.contains('`'))
}

/// The 1-based line and column of the value at `path` (table keys, outermost first) in
/// `text`, for errors found after deserializing. `None` if the text does not parse or the
/// key is absent.
pub(crate) fn key_location(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let root = DeTable::parse(text).ok()?;
    let (first, rest) = path.split_first()?;
    let mut value = lookup(root.get_ref(), first)?;
    for segment in rest {
        match value.get_ref() {
            DeValue::Table(table) => value = lookup(table, segment)?,
            _ => return None,
        }
    }
    Some(line_column(text, value.span().start))
}

fn lookup<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t toml::Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

/// Renders a serde path as a dotted TOML key (`http.allowed_hosts[1]`, `secrets."a b"`);
/// `None` for the document root.
pub(crate) fn dotted_key(path: &serde_path_to_error::Path) -> Option<String> {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&key_segment(key));
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// One key of a dotted path: bare when it is a bare TOML key, quoted otherwise.
pub(crate) fn key_segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}
