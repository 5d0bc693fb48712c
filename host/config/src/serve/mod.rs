//! `switchboard.toml`: the host configuration of `switchboard serve`.
//!
//! Loaded with [`ServeConfig::load`] or [`ServeConfig::parse`]; the rules are those of the
//! deployment manifest (unknown keys refused, inclusive ranges checked at load, errors as
//! [`ManifestError`]s naming file, key, reason, line and column). The complete reference
//! is `docs/config.md`.

mod delivery;
mod listen;
mod paths;
mod resolve;
mod sections;
mod tenants;
mod tokens;
mod webhook;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

pub use delivery::{DeliveryConfig, DeliveryOverrides, DeliveryPolicy};
pub use sections::{AuditConfig, DlqConfig, ServerConfig, StorageConfig, WorkersConfig};
pub use tenants::{DeploymentConfig, TenantConfig};
pub use tokens::{AccessTokens, MIN_TOKEN_CHARS};

use crate::error::ManifestError;
use crate::toml_de;
use tenants::{RawTenant, tenants};

/// The validated host configuration of `switchboard serve`. Every relative path in it is
/// already resolved against the config file's directory, and every deployment's manifest
/// is loaded. Secret values are not read at load: only their sources are kept, so neither
/// this value's `Debug` output nor a load error can contain one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// `[storage]`: where the database and the compile cache live.
    pub storage: StorageConfig,
    /// `[server]`: the ingest HTTP server.
    pub server: ServerConfig,
    /// `[workers]`: queue processing.
    pub workers: WorkersConfig,
    /// `[delivery]`: retry and expiry defaults for every deployment.
    pub delivery: DeliveryConfig,
    /// `[dlq]`: dead-letter alerting.
    pub dlq: DlqConfig,
    /// `[audit]`: audit log retention.
    pub audit: AuditConfig,
    /// `[tenants]`: tenants by name; at least one.
    pub tenants: BTreeMap<String, TenantConfig>,
    /// Where the token keys are written, for [`ServeConfig::resolve_tokens`]'s errors.
    token_sites: tokens::TokenSites,
}

/// The file as written, before paths are resolved and manifests loaded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a switchboard.toml table")]
struct RawServeConfig {
    storage: StorageConfig,
    server: ServerConfig,
    #[serde(default)]
    workers: WorkersConfig,
    #[serde(default)]
    delivery: DeliveryConfig,
    #[serde(default)]
    dlq: DlqConfig,
    #[serde(default)]
    audit: AuditConfig,
    #[serde(deserialize_with = "tenants")]
    tenants: BTreeMap<String, RawTenant>,
}

impl ServeConfig {
    /// Reads and parses the config file at `path`. Errors name `path` as the file; relative
    /// paths in it are resolved against `path`'s directory.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ManifestError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ManifestError::at_file(&file, format!("cannot read file: {e}")))?;
        Self::parse(&text, &file)
    }

    /// Parses config `text`. `origin` names the file in errors and is treated as the
    /// config file's path: relative paths are resolved against its directory (the current
    /// directory when it has none). Each deployment's `wasm` must exist and its `manifest`
    /// is loaded; a manifest's own errors name the manifest file.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ManifestError> {
        let raw: RawServeConfig = toml_de::deserialize(text, origin)?;
        resolve::resolve(raw, text, origin)
    }

    /// The tenant `name`, if configured.
    pub fn tenant(&self, name: &str) -> Option<&TenantConfig> {
        self.tenants.get(name)
    }

    /// The deployment `name` of tenant `tenant`, if configured.
    pub fn deployment(&self, tenant: &str, name: &str) -> Option<&DeploymentConfig> {
        self.tenant(tenant)?.deployments.get(name)
    }

    /// Every deployment of every tenant, ordered by tenant then deployment name.
    pub fn deployments(&self) -> impl Iterator<Item = &DeploymentConfig> {
        self.tenants.values().flat_map(|t| t.deployments.values())
    }

    /// The delivery policy in effect for `deployment`: its `delivery` overrides merged over
    /// `[delivery]`.
    pub fn delivery_policy(&self, deployment: &DeploymentConfig) -> DeliveryPolicy {
        self.delivery.with_overrides(&deployment.delivery)
    }
}
