//! `[tenants]`: each tenant's ingest token and deployments, as written in the file
//! (`Raw*`) and as loaded (paths resolved, manifest parsed).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{Deserializer, Error};

use super::delivery::DeliveryOverrides;
use super::paths::non_empty_path;
use crate::bounded::bounded_opt;
use crate::manifest::DeploymentManifest;
use crate::names::named_map;
use crate::secrets::{SecretError, SecretSource};

/// One tenant: who may ingest records for it, and where they are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantConfig {
    /// The tenant's name (its key under `[tenants]`), matching `[a-z0-9][a-z0-9_-]{0,63}`;
    /// used in ingest URLs.
    pub name: String,
    /// Where the bearer token ingest requests for this tenant must present is read from.
    /// Only the source is kept; a relative file path is already resolved against the
    /// config file's directory.
    pub ingest_token: SecretSource,
    /// The tenant's deployments by name; at least one.
    pub deployments: BTreeMap<String, DeploymentConfig>,
    /// Most records of this tenant attempted at once, across its deployments (a bulkhead:
    /// one tenant's slow CRM cannot hold every worker). Default: half of
    /// `workers.concurrency`, at least 1.
    pub concurrency: Option<u64>,
}

impl TenantConfig {
    /// Reads the tenant's ingest token from its environment variable or file. Errors name
    /// the secret as `tenants.<name>.ingest_token` and the variable or file, never the value.
    pub fn resolve_ingest_token(&self) -> Result<String, SecretError> {
        self.ingest_token
            .resolve(&format!("tenants.{}.ingest_token", self.name))
    }
}

/// One deployment of a connector for a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentConfig {
    /// The tenant's name.
    pub tenant: String,
    /// The deployment's name (its key under `[tenants.<t>.deployments]`), matching
    /// `[a-z0-9][a-z0-9_-]{0,63}`; used in ingest URLs.
    pub name: String,
    /// The connector component, resolved against the config file's directory. It existed
    /// as a file when the config was loaded.
    pub wasm: PathBuf,
    /// The deployment manifest's path, resolved against the config file's directory.
    pub manifest_path: PathBuf,
    /// The deployment manifest, loaded and validated from `manifest_path`.
    pub manifest: DeploymentManifest,
    /// Record kinds this deployment takes; `None` means every kind the connector's
    /// `describe` lists. When set: not empty, no blank or duplicate entries.
    pub kinds: Option<Vec<String>>,
    /// Per-deployment overrides of `[delivery]`; see
    /// [`ServeConfig::delivery_policy`](crate::ServeConfig::delivery_policy) for the merged
    /// policy.
    pub delivery: DeliveryOverrides,
    /// Most records of this deployment attempted at once. Default: the tenant's limit.
    pub concurrency: Option<u64>,
}

/// A tenant as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct RawTenant {
    pub(crate) ingest_token: SecretSource,
    #[serde(deserialize_with = "deployments")]
    pub(crate) deployments: BTreeMap<String, RawDeployment>,
    #[serde(default, deserialize_with = "bounded_opt::<_, 1, 100_000>")]
    pub(crate) concurrency: Option<u64>,
}

/// A deployment as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct RawDeployment {
    #[serde(deserialize_with = "non_empty_path")]
    pub(crate) wasm: PathBuf,
    #[serde(deserialize_with = "non_empty_path")]
    pub(crate) manifest: PathBuf,
    #[serde(default, deserialize_with = "kinds")]
    pub(crate) kinds: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) delivery: DeliveryOverrides,
    #[serde(default, deserialize_with = "bounded_opt::<_, 1, 100_000>")]
    pub(crate) concurrency: Option<u64>,
}

/// Deserializes `[tenants]`: valid names, at least one.
pub(crate) fn tenants<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<BTreeMap<String, RawTenant>, D::Error> {
    let map: BTreeMap<String, RawTenant> = named_map(de)?;
    if map.is_empty() {
        return Err(D::Error::custom("must have at least one tenant"));
    }
    Ok(map)
}

/// Deserializes a tenant's `deployments`: valid names, at least one.
fn deployments<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<BTreeMap<String, RawDeployment>, D::Error> {
    let map: BTreeMap<String, RawDeployment> = named_map(de)?;
    if map.is_empty() {
        return Err(D::Error::custom("must have at least one deployment"));
    }
    Ok(map)
}

/// One entry of `kinds`, refused while deserializing if blank so the error names its index.
struct Kind(String);

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let kind = String::deserialize(de)?;
        if kind.trim().is_empty() {
            return Err(D::Error::custom("must not be empty"));
        }
        Ok(Kind(kind))
    }
}

/// Deserializes `kinds`: a present key is a non-empty list without duplicates.
fn kinds<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Vec<String>>, D::Error> {
    let kinds: Vec<String> = Vec::<Kind>::deserialize(de)?
        .into_iter()
        .map(|Kind(k)| k)
        .collect();
    if kinds.is_empty() {
        return Err(D::Error::custom(
            "must list at least one kind (leave `kinds` out to take every kind the connector describes)",
        ));
    }
    let mut seen = BTreeSet::new();
    if let Some(dup) = kinds.iter().find(|k| !seen.insert(k.as_str())) {
        return Err(D::Error::custom(format!("kind {dup:?} is listed twice")));
    }
    Ok(Some(kinds))
}
