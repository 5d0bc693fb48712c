//! From the file as written to a [`ServeConfig`]: checks across keys, relative paths
//! resolved against the config file's directory, `wasm` files checked, manifests loaded.

use std::collections::BTreeMap;
use std::path::Path;

use super::delivery::DeliveryConfig;
use super::paths::{missing_file, resolve as resolve_path};
use super::tenants::{DeploymentConfig, RawDeployment, RawTenant, TenantConfig};
use super::tokens::TokenSites;
use super::{RawServeConfig, ServeConfig};
use crate::error::ManifestError;
use crate::manifest::DeploymentManifest;
use crate::toml_de::{key_location, key_segment};

/// Where the file came from, to resolve paths and to report errors at a key.
struct Source<'a> {
    text: &'a str,
    origin: &'a str,
    dir: &'a Path,
}

impl Source<'_> {
    /// An error at the key `path` (table keys, outermost first), located in the text.
    fn error(&self, path: &[&str], reason: impl Into<String>) -> ManifestError {
        let key = path
            .iter()
            .map(|segment| key_segment(segment))
            .collect::<Vec<_>>()
            .join(".");
        ManifestError::at_key(self.origin, key, reason).with_location(key_location(self.text, path))
    }
}

/// Checks, resolves and loads everything the raw file refers to.
pub(super) fn resolve(
    raw: RawServeConfig,
    text: &str,
    origin: &str,
) -> Result<ServeConfig, ManifestError> {
    let source = Source {
        text,
        origin,
        dir: Path::new(origin).parent().unwrap_or(Path::new("")),
    };
    if let Err((key, reason)) = raw.delivery.check(&Default::default()) {
        return Err(source.error(&["delivery", key], reason));
    }
    let mut server = raw.server;
    server.admin_token = server.admin_token.map(|t| t.relative_to(source.dir));
    let mut storage = raw.storage;
    storage.dir = resolve_path(source.dir, &storage.dir);
    let mut tenants = BTreeMap::new();
    for (name, tenant) in raw.tenants {
        let tenant = resolve_tenant(&source, &raw.delivery, name, tenant)?;
        tenants.insert(tenant.name.clone(), tenant);
    }
    Ok(ServeConfig {
        storage,
        server,
        workers: raw.workers,
        delivery: raw.delivery,
        dlq: raw.dlq,
        audit: raw.audit,
        tenants,
        token_sites: TokenSites {
            origin: origin.to_owned(),
            text: text.into(),
        },
    })
}

fn resolve_tenant(
    source: &Source<'_>,
    delivery: &DeliveryConfig,
    name: String,
    raw: RawTenant,
) -> Result<TenantConfig, ManifestError> {
    let mut deployments = BTreeMap::new();
    for (deployment, raw_deployment) in raw.deployments {
        let resolved = resolve_deployment(source, delivery, &name, deployment, raw_deployment)?;
        deployments.insert(resolved.name.clone(), resolved);
    }
    Ok(TenantConfig {
        ingest_token: raw.ingest_token.relative_to(source.dir),
        name,
        deployments,
        concurrency: raw.concurrency,
    })
}

fn resolve_deployment(
    source: &Source<'_>,
    delivery: &DeliveryConfig,
    tenant: &str,
    name: String,
    raw: RawDeployment,
) -> Result<DeploymentConfig, ManifestError> {
    let key = |last: &[&'static str]| {
        let mut path = vec!["tenants", tenant, "deployments", name.as_str()];
        path.extend_from_slice(last);
        path
    };
    if let Err((field, reason)) = delivery.check(&raw.delivery) {
        return Err(source.error(&key(&["delivery", field]), reason));
    }
    let wasm = resolve_path(source.dir, &raw.wasm);
    if let Some(reason) = missing_file(&wasm) {
        return Err(source.error(&key(&["wasm"]), reason));
    }
    let manifest_path = resolve_path(source.dir, &raw.manifest);
    if let Some(reason) = missing_file(&manifest_path) {
        return Err(source.error(&key(&["manifest"]), reason));
    }
    // The manifest's own errors name the manifest file, not this one.
    let manifest = DeploymentManifest::load(&manifest_path)?;
    Ok(DeploymentConfig {
        tenant: tenant.to_owned(),
        name,
        wasm,
        manifest_path,
        manifest,
        kinds: raw.kinds,
        delivery: raw.delivery,
        concurrency: raw.concurrency,
    })
}
