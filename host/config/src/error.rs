//! The error returned when a manifest or `switchboard.toml` cannot be read, parsed or
//! validated.

/// A deployment manifest or a `switchboard.toml` that could not be loaded: names the file,
/// the dotted key (when the problem is tied to one) and the reason, plus the line and column
/// when they are known. Both file kinds share this type so their errors look the same.
///
/// Displayed as `deploy.toml: key "limits.memory_mb": must be between 1 and 4096, got 0
/// (line 2, column 13)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ManifestError {
    file: String,
    key: Option<String>,
    reason: String,
    location: Option<(usize, usize)>,
}

impl ManifestError {
    /// An error about `key` (a dotted path) in `file`.
    pub(crate) fn at_key(file: &str, key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            key: Some(key.into()),
            reason: reason.into(),
            location: None,
        }
    }

    /// An error about the whole of `file` (it cannot be read, or it is not valid TOML).
    pub(crate) fn at_file(file: &str, reason: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            key: None,
            reason: reason.into(),
            location: None,
        }
    }

    /// Attaches a 1-based line and column.
    pub(crate) fn with_location(mut self, location: Option<(usize, usize)>) -> Self {
        self.location = location;
        self
    }

    /// The file (the path given to `load`, or the origin given to `parse`). For a manifest
    /// loaded by [`ServeConfig`](crate::ServeConfig), the manifest's resolved path.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The dotted key the error is about, e.g. `limits.memory_mb` or `http.allowed_hosts[1]`;
    /// `None` for errors about the whole file (unreadable, TOML syntax).
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Why the manifest was refused.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The 1-based line of the offending text, when known.
    pub fn line(&self) -> Option<usize> {
        self.location.map(|(line, _)| line)
    }

    /// The 1-based column (in characters) of the offending text, when known.
    pub fn column(&self) -> Option<usize> {
        self.location.map(|(_, column)| column)
    }

    fn render(&self) -> String {
        let key = (self.key.as_ref()).map_or_else(String::new, |key| format!("key {key:?}: "));
        let location =
            (self.location).map_or_else(String::new, |(l, c)| format!(" (line {l}, column {c})"));
        format!("{}: {key}{}{location}", self.file, self.reason)
    }
}

/// Converts a byte offset into `text` to a 1-based (line, column in characters).
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_is_one_based_and_counts_characters() {
        let text = "a = 1\n\u{e9}b = x\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // 'x' is after a two-byte character: byte 12, character column 6.
        assert_eq!(line_column(text, 12), (2, 6));
        assert_eq!(line_column(text, 1000), (3, 1));
    }

    #[test]
    fn display_names_file_key_reason_and_location() {
        let err = ManifestError::at_key("deploy.toml", "limits.memory_mb", "must be positive")
            .with_location(Some((2, 13)));
        assert_eq!(
            err.to_string(),
            "deploy.toml: key \"limits.memory_mb\": must be positive (line 2, column 13)"
        );
    }
}
