//! `switchboard new connector NAME --lang rust|python|js`: a connector project that
//! builds and, as generated, passes the CRM-independent part of the conformance kit.

mod paths;
mod templates;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

/// Arguments of `new`.
#[derive(clap::Args)]
pub(crate) struct NewArgs {
    #[command(subcommand)]
    what: NewWhat,
}

#[derive(clap::Subcommand)]
enum NewWhat {
    /// Create a connector project.
    Connector(ConnectorArgs),
}

/// The languages a connector can be generated in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Lang {
    /// Rust with the Switchboard SDK (`cargo build --target wasm32-wasip2`).
    Rust,
    /// Python with componentize-py.
    Python,
    /// JavaScript with componentize-js.
    Js,
}

#[derive(clap::Args)]
struct ConnectorArgs {
    /// The connector's name: 1 to 64 of `a-z`, `0-9`, `_`, `-`, starting with a letter or digit.
    name: String,
    /// The language.
    #[arg(long, value_enum)]
    lang: Lang,
    /// Where to create it (must not exist, or be empty). Default: `./NAME`.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The CRM it talks to, as `describe` reports it.
    #[arg(long, default_value = "Example")]
    crm: String,
    /// Rust only: the Switchboard SDK (`sdk/` of the repository). Default: found by
    /// looking up from the new directory and from the current one.
    #[arg(long)]
    sdk: Option<PathBuf>,
}

pub(crate) fn run(args: NewArgs) -> anyhow::Result<ExitCode> {
    let NewWhat::Connector(args) = args.what;
    if !switchboard_config::is_valid_name(&args.name) {
        bail!(
            "connector name {:?}: must be 1 to 64 of a-z, 0-9, '_' and '-', starting with a letter or digit",
            args.name
        );
    }
    if args.crm.trim().is_empty() || args.crm.contains(['"', '\\', '\n', '`', '\'']) {
        bail!(
            "--crm {:?}: must be a plain name such as \"HubSpot\"",
            args.crm
        );
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    ensure_empty(&dir)?;
    let sdk_path = match args.lang {
        Lang::Rust => Some(paths::sdk_for(&dir, args.sdk.as_deref())?),
        _ => None,
    };
    let vars = templates::Vars {
        name: args.name.clone(),
        crate_name: args.name.replace('-', "_"),
        type_name: type_name(&args.name),
        crm: args.crm.clone(),
        sdk_path: sdk_path.unwrap_or_default(),
    };
    let files = templates::files(args.lang, &vars);
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {:?}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {:?}", path.display()))?;
        if rel.ends_with(".sh") {
            make_executable(&path)?;
        }
    }
    println!("created {} ({} files):", dir.display(), files.len());
    for (rel, _) in &files {
        println!("  {rel}");
    }
    println!("\nnext:\n{}", templates::next_steps(args.lang, &dir, &vars));
    Ok(ExitCode::SUCCESS)
}

/// Refuses a directory that exists with something in it.
fn ensure_empty(dir: &Path) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "{:?} exists and is not empty; pick another --dir",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("reading {:?}", dir.display())),
    }
}

/// `acme-crm` → `AcmeCrm`, a Rust type name (prefixed when it starts with a digit).
fn type_name(name: &str) -> String {
    let camel: String = name
        .split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    if camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Connector{camel}")
    } else {
        camel
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {:?} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_camel_case() {
        assert_eq!(type_name("acme-crm"), "AcmeCrm");
        assert_eq!(type_name("zoho_v2"), "ZohoV2");
        assert_eq!(type_name("3cx"), "Connector3cx");
    }

    #[test]
    fn a_non_empty_directory_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(ensure_empty(dir.path()).is_ok());
        assert!(ensure_empty(&dir.path().join("missing")).is_ok());
        std::fs::write(dir.path().join("x"), "").expect("write");
        let e = ensure_empty(dir.path()).expect_err("refused").to_string();
        assert!(e.contains("not empty"), "{e}");
    }
}
