//! Finding the Rust SDK for a new connector and writing its path relative to it.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};

/// The SDK path to write into the new connector's `Cargo.toml`: relative to `dir`
/// when they share a root, from `--sdk` or found by looking up from `dir` and from
/// the current directory for `sdk/Cargo.toml` of the `switchboard-sdk` package.
pub(crate) fn sdk_for(dir: &Path, given: Option<&Path>) -> anyhow::Result<String> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let dir = absolute(&cwd.join(dir));
    let sdk = match given {
        Some(path) => {
            let path = absolute(&cwd.join(path));
            if !is_sdk(&path) {
                bail!("--sdk {:?}: no switchboard-sdk Cargo.toml there", path.display());
            }
            path
        }
        None => find(&dir)
            .or_else(|| find(&cwd))
            .context("cannot find the Switchboard SDK (sdk/Cargo.toml) above the new directory or the current one; pass --sdk PATH")?,
    };
    Ok(relative(&dir, &sdk).display().to_string())
}

fn is_sdk(path: &Path) -> bool {
    std::fs::read_to_string(path.join("Cargo.toml"))
        .is_ok_and(|t| t.contains("name = \"switchboard-sdk\""))
}

fn find(start: &Path) -> Option<PathBuf> {
    start.ancestors().map(|a| a.join("sdk")).find(|p| is_sdk(p))
}

/// `path` with `.` and `..` resolved lexically (the new directory does not exist yet).
fn absolute(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `to` as seen from `from` (both absolute).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let (f, t): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_then_descend() {
        assert_eq!(
            relative(Path::new("/r/connectors/acme"), Path::new("/r/sdk")),
            PathBuf::from("../../sdk")
        );
        assert_eq!(
            relative(Path::new("/tmp/x"), Path::new("/tmp/x/sdk")),
            PathBuf::from("sdk")
        );
        assert_eq!(
            absolute(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
    }

    #[test]
    fn finds_the_repository_sdk_from_inside_it() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sdk = find(&here.join("not-yet")).expect("the repository's sdk");
        assert!(is_sdk(&sdk), "{}", sdk.display());
    }
}
