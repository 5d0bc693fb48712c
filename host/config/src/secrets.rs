//! Where a secret's value comes from, and reading it at deployment time.
//!
//! Only the *source* of a secret is part of the manifest. Values are read by
//! [`SecretSource::resolve`] when a deployment is created, and are never put in an error
//! message or in `Debug` output.

use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, Error, MapAccess, Visitor};

/// The source of one secret: exactly one of an environment variable or a file.
///
/// A secret written in place of its source (`token = "abc"`) is refused without repeating
/// it in the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `{ env = "NAME" }`: the value of an environment variable of the host process.
    Env {
        /// The environment variable's name.
        var: String,
    },
    /// `{ file = "path" }`: the contents of a file, trailing `\n`/`\r` removed. A relative
    /// path in the manifest is resolved against the manifest's directory at parse time.
    File {
        /// The file's path (already joined with the manifest's directory).
        path: PathBuf,
    },
}

/// The TOML shape of a secret source, before "exactly one of" is checked.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table with exactly one of `env` or `file`"
)]
pub(crate) struct RawSecretSource {
    pub(crate) env: Option<String>,
    pub(crate) file: Option<PathBuf>,
}

impl<'de> Deserialize<'de> for SecretSource {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(TableOnly::<SecretSource>(PhantomData))
    }
}

/// A value that must be written as a table in TOML, built from that table.
pub(crate) trait FromTable: Sized {
    /// What the table holds, for serde's "expected ..." messages.
    const EXPECTING: &'static str;
    /// Builds the value from the table's entries.
    fn from_table<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

impl FromTable for SecretSource {
    const EXPECTING: &'static str = "a table with exactly one of `env` or `file`";

    fn from_table<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let raw = RawSecretSource::deserialize(MapAccessDeserializer::new(map))?;
        SecretSource::try_from(raw).map_err(A::Error::custom)
    }
}

/// Accepts a table; refuses anything else without echoing it, since a string or number
/// here is most likely the secret itself.
pub(crate) struct TableOnly<T>(pub(crate) PhantomData<T>);

/// Why a value that is not a table is refused.
const NOT_A_TABLE: &str = "must be a table with exactly one of `env` or `file`, such as \
                           { env = \"VAR\" }; the secret itself never goes in this file";

impl<'de, T: FromTable> Visitor<'de> for TableOnly<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_table(map)
    }

    fn visit_str<E: Error>(self, _value: &str) -> Result<T, E> {
        Err(E::custom(NOT_A_TABLE))
    }

    fn visit_i64<E: Error>(self, _value: i64) -> Result<T, E> {
        Err(E::custom(NOT_A_TABLE))
    }

    fn visit_u64<E: Error>(self, _value: u64) -> Result<T, E> {
        Err(E::custom(NOT_A_TABLE))
    }

    fn visit_f64<E: Error>(self, _value: f64) -> Result<T, E> {
        Err(E::custom(NOT_A_TABLE))
    }
}

impl TryFrom<RawSecretSource> for SecretSource {
    type Error = String;

    fn try_from(raw: RawSecretSource) -> Result<Self, String> {
        match (raw.env, raw.file) {
            (Some(var), None) => {
                if var.is_empty() || var.contains(['=', '\0']) {
                    Err(format!(
                        "env {var:?} is not a valid environment variable name"
                    ))
                } else {
                    Ok(SecretSource::Env { var })
                }
            }
            (None, Some(path)) => {
                if path.as_os_str().is_empty() {
                    Err("file must not be empty".to_owned())
                } else {
                    Ok(SecretSource::File { path })
                }
            }
            (Some(_), Some(_)) => Err("give exactly one of `env` or `file`, not both".to_owned()),
            (None, None) => Err("give exactly one of `env` or `file`".to_owned()),
        }
    }
}

impl SecretSource {
    /// Resolves a relative file path against `dir` (the manifest's directory).
    pub(crate) fn relative_to(self, dir: &Path) -> Self {
        match self {
            SecretSource::File { path } if path.is_relative() => SecretSource::File {
                path: dir.join(path),
            },
            other => other,
        }
    }

    /// Reads the secret's value. `name` is the secret's name, used only in errors.
    ///
    /// A missing or empty variable, an unreadable file, or a file that is empty after
    /// trailing newlines are removed is an error naming the secret and the variable or
    /// file, never the value.
    pub fn resolve(&self, name: &str) -> Result<String, SecretError> {
        let secret = name.to_owned();
        match self {
            SecretSource::Env { var } => match std::env::var(var) {
                Ok(value) if value.is_empty() => Err(SecretError::Empty {
                    secret,
                    origin: format!("environment variable {var:?}"),
                }),
                Ok(value) => Ok(value),
                Err(std::env::VarError::NotPresent) => Err(SecretError::EnvNotSet {
                    secret,
                    var: var.clone(),
                }),
                // The payload of NotUnicode is the value itself: dropped on purpose.
                Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::EnvNotUnicode {
                    secret,
                    var: var.clone(),
                }),
            },
            SecretSource::File { path } => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| SecretError::FileUnreadable {
                        secret: secret.clone(),
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                let value = text.trim_end_matches(['\n', '\r']);
                if value.is_empty() {
                    return Err(SecretError::Empty {
                        secret,
                        origin: format!("file {path:?}"),
                    });
                }
                Ok(value.to_owned())
            }
        }
    }
}

/// A secret that could not be read at deployment time. Names the secret and where it was
/// looked for; never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The secret is not declared in the manifest's `[secrets]`.
    #[error("secret {secret:?}: not declared in [secrets]")]
    Undeclared {
        /// The secret's name.
        secret: String,
    },
    /// The environment variable is not set.
    #[error("secret {secret:?}: environment variable {var:?} is not set")]
    EnvNotSet {
        /// The secret's name.
        secret: String,
        /// The environment variable.
        var: String,
    },
    /// The environment variable is set but not valid unicode.
    #[error("secret {secret:?}: environment variable {var:?} is not valid unicode")]
    EnvNotUnicode {
        /// The secret's name.
        secret: String,
        /// The environment variable.
        var: String,
    },
    /// The file could not be read (missing, permissions, not UTF-8, ...).
    #[error("secret {secret:?}: cannot read file {path:?}: {reason}")]
    FileUnreadable {
        /// The secret's name.
        secret: String,
        /// The file.
        path: PathBuf,
        /// The I/O error, which does not contain file contents.
        reason: String,
    },
    /// The variable or file exists but holds an empty value.
    #[error("secret {secret:?}: {origin} is empty")]
    Empty {
        /// The secret's name.
        secret: String,
        /// Where it was read from, e.g. `environment variable "X"`.
        origin: String,
    },
}

impl SecretError {
    /// The name of the secret that could not be read.
    pub fn secret(&self) -> &str {
        match self {
            SecretError::Undeclared { secret }
            | SecretError::EnvNotSet { secret, .. }
            | SecretError::EnvNotUnicode { secret, .. }
            | SecretError::FileUnreadable { secret, .. }
            | SecretError::Empty { secret, .. } => secret,
        }
    }
}
