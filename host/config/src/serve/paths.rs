//! Paths in `switchboard.toml`: not blank, and resolved against the config file's directory.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{Deserializer, Error};

/// Deserializes a path that must not be empty or blank.
pub(crate) fn non_empty_path<'de, D: Deserializer<'de>>(de: D) -> Result<PathBuf, D::Error> {
    let path = PathBuf::deserialize(de)?;
    match path.to_str() {
        Some(text) if text.trim().is_empty() => Err(D::Error::custom("must not be empty")),
        _ => Ok(path),
    }
}

/// `path` if it is absolute, else `path` joined to `dir` (the config file's directory).
pub(crate) fn resolve(dir: &Path, path: &Path) -> PathBuf {
    if path.is_relative() {
        dir.join(path)
    } else {
        path.to_owned()
    }
}

/// Why the file at `path` cannot be used, or `None` if it is an existing regular file (or a
/// link to one).
pub(crate) fn missing_file(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => None,
        Ok(_) => Some(format!("{path:?} is not a file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some(format!("file {path:?} does not exist"))
        }
        Err(e) => Some(format!("cannot read file {path:?}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_directory_and_absolute_paths_are_kept() {
        let dir = Path::new("/etc/switchboard");
        assert_eq!(
            resolve(dir, Path::new("data")),
            Path::new("/etc/switchboard/data")
        );
        assert_eq!(
            resolve(dir, Path::new("/var/lib/sb")),
            Path::new("/var/lib/sb")
        );
        assert_eq!(resolve(Path::new(""), Path::new("data")), Path::new("data"));
    }

    #[test]
    fn missing_file_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.wasm");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(missing_file(&file), None);
        let reason = missing_file(&dir.path().join("nope.wasm")).unwrap();
        assert!(reason.ends_with("does not exist"), "{reason}");
        assert!(reason.contains("nope.wasm"), "{reason}");
        let reason = missing_file(dir.path()).unwrap();
        assert!(reason.ends_with("is not a file"), "{reason}");
    }
}
