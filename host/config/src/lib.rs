//! The per-connector deployment manifest of Switchboard.
//!
//! A deployment manifest is a small TOML file that says how one connector is run for one
//! tenant: its resource limits, which hosts it may call, its non-secret settings, where its
//! secrets come from, how much state it may keep and which CRM fields it owns. The complete
//! reference of every key is in this crate's `README.md`.
//!
//! Parsing is strict: unknown keys, wrong types and out-of-range values are refused at load
//! with a [`ManifestError`] naming the file, the dotted key and the reason. Secrets are only
//! *named* here; their values are read later, at deployment time, with
//! [`SecretSource::resolve`], and never appear in an error or in `Debug` output.
//!
//! ```
//! use switchboard_config::DeploymentManifest;
//!
//! let manifest = DeploymentManifest::parse("[limits]\nmemory_mb = 128\n", "deploy.toml")?;
//! assert_eq!(manifest.limits.memory_mb, 128);
//! assert!(manifest.http.allowed_hosts.is_empty());
//! # Ok::<(), switchboard_config::ManifestError>(())
//! ```

#![warn(missing_docs)]

mod bounded;
mod config_values;
mod error;
mod hosts;
mod manifest;
mod names;
mod secrets;
mod sections;

pub use error::ManifestError;
pub use manifest::DeploymentManifest;
pub use names::is_valid_name;
pub use secrets::{SecretError, SecretSource};
pub use sections::{ConnectorExpectations, HttpPolicy, Limits, OwnedFields, StateLimits};

/// The `semver` crate, re-exported so callers can match [`ConnectorExpectations::version`]
/// without depending on it themselves.
pub use semver;
