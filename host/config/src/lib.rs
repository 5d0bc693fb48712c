//! The configuration files of Switchboard: the per-connector deployment manifest
//! ([`DeploymentManifest`]) and the host configuration of `switchboard serve`
//! ([`ServeConfig`], `switchboard.toml`, referenced in `docs/config.md`).
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
//!
//! `switchboard.toml` follows the same rules and returns the same [`ManifestError`]; it lists
//! tenants and their deployments, each naming a connector `.wasm` and a manifest, which are
//! checked and loaded by [`ServeConfig::load`]:
//!
//! ```no_run
//! use switchboard_config::ServeConfig;
//!
//! let config = ServeConfig::load("/etc/switchboard/switchboard.toml")?;
//! for deployment in config.deployments() {
//!     let policy = config.delivery_policy(deployment);
//!     println!("{}/{}: {} attempts", deployment.tenant, deployment.name, policy.max_attempts);
//! }
//! # Ok::<(), switchboard_config::ManifestError>(())
//! ```

#![warn(missing_docs)]

mod bounded;
mod config_values;
mod error;
mod hosts;
mod manifest;
mod names;
mod rate_limits;
mod secret_grant;
mod secrets;
mod sections;
mod serve;
mod toml_de;

pub use error::ManifestError;
pub use hosts::check_declared_host;
pub use manifest::DeploymentManifest;
pub use names::is_valid_name;
pub use rate_limits::{Breaker, BudgetOverride, RateLimits};
pub use secret_grant::SecretGrant;
pub use secrets::{SecretError, SecretSource};
pub use sections::{ConnectorExpectations, HttpPolicy, Limits, OwnedFields, StateLimits};
pub use serve::{
    AccessTokens, AuditConfig, DeliveryConfig, DeliveryOverrides, DeliveryPolicy, DeploymentConfig,
    DlqConfig, MIN_TOKEN_CHARS, ServeConfig, ServerConfig, StorageConfig, TenantConfig,
    WorkersConfig,
};

/// The `semver` crate, re-exported so callers can match [`ConnectorExpectations::version`]
/// without depending on it themselves.
pub use semver;
