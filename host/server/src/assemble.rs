//! Builds the running pieces from a loaded `switchboard.toml`: storage, runtime, every
//! deployment (connector loaded, manifest applied, secrets resolved), and the pipeline.
//! Any failure names the tenant and deployment it belongs to.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use switchboard_config::ServeConfig;
use switchboard_pipeline::{
    Alerts, Audit, BreakerConfig, CommitMode, DeliveryPolicy, Lane, LaneOptions, Metrics, Pipeline,
    Settings, Tenant,
};
use switchboard_runtime::{Deployment, LoadedConnector, Runtime, RuntimeOptions};
use switchboard_storage::delivery::DeliveryStore;
use switchboard_storage::{LegacyClaim, Storage};

/// Everything `serve` runs.
pub struct Assembled {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// The admin token, if configured.
    pub admin_token: Option<String>,
    /// The storage (for retention and the final flush).
    pub storage: Storage,
}

/// Opens storage, loads every deployment and builds the pipeline. Needs a tokio runtime.
pub async fn assemble(config: &ServeConfig, commit_mode: CommitMode) -> anyhow::Result<Assembled> {
    let dir = &config.storage.dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating storage dir {:?}", dir.display()))?;
    let storage = Storage::open(&dir.join("store"))
        .with_context(|| format!("opening storage in {:?}", dir.display()))?;
    let runtime = Runtime::new(
        RuntimeOptions::with_cache_dir(dir.join("cache")),
        storage.clone(),
    )?;

    let workers = usize::try_from(config.workers.concurrency).unwrap_or(16);
    // One load per component file: tenants running the same connector share its compiled
    // code and memory image (the instance pool then reuses warm slots across tenants).
    let mut loaded_by_path: HashMap<PathBuf, LoadedConnector> = HashMap::new();
    let mut claims = Vec::new();
    for (name, t) in &config.tenants {
        for (dep_name, d) in &t.deployments {
            let what = format!("tenant {name:?}, deployment {dep_name:?}");
            let loaded = match loaded_by_path.get(&d.wasm) {
                Some(loaded) => loaded.clone(),
                None => {
                    let loaded = runtime
                        .load(&d.wasm)
                        .await
                        .with_context(|| format!("{what}: loading {:?}", d.wasm.display()))?;
                    loaded_by_path.insert(d.wasm.clone(), loaded.clone());
                    loaded
                }
            };
            claims.push(LegacyClaim {
                tenant: name.clone(),
                deployment: dep_name.clone(),
                claimed_name: loaded.descriptor().name.clone(),
            });
        }
    }
    migrate_scopes(&storage, &claims).await?;

    let mut tenants = BTreeMap::new();
    for (name, t) in &config.tenants {
        let ingest_token = t
            .resolve_ingest_token()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // With several tenants, a tenant may use half the workers unless told otherwise, so
        // one tenant's slow CRM always leaves room for the others.
        let default_share = if config.tenants.len() > 1 {
            (workers / 2).max(1)
        } else {
            workers
        };
        let tenant_concurrency = t
            .concurrency
            .map_or(default_share, |c| usize::try_from(c).unwrap_or(1));
        let tenant_slots = Tenant::slots(tenant_concurrency);
        let mut lanes = Vec::new();
        for (dep_name, d) in &t.deployments {
            let what = format!("tenant {name:?}, deployment {dep_name:?}");
            let Some(loaded) = loaded_by_path.get(&d.wasm).cloned() else {
                bail!("{what}: {:?} was not loaded", d.wasm.display());
            };
            let deployment = Deployment::new(
                &runtime,
                name,
                dep_name,
                loaded,
                &d.manifest,
                &d.manifest_path.display().to_string(),
            )
            .with_context(|| format!("{what}: deploying"))?;
            let offered = &deployment.descriptor().record_kinds;
            let kinds = match &d.kinds {
                None => offered.clone(),
                Some(kinds) => {
                    if let Some(k) = kinds.iter().find(|k| !offered.contains(k)) {
                        bail!(
                            "{what}: key \"tenants.{name}.deployments.{dep_name}.kinds\": connector {:?} does not take kind {k:?} (it takes {offered:?})",
                            deployment.descriptor().name
                        );
                    }
                    kinds.clone()
                }
            };
            let policy = DeliveryPolicy::from(&config.delivery_policy(d));
            tracing::info!(tenant = %name, deployment = %dep_name,
                connector = %deployment.descriptor().name, version = %deployment.descriptor().version,
                ?kinds, "deployment loaded");
            let options = LaneOptions {
                policy,
                breaker: breaker_config(&d.manifest.breaker),
                // A lane can never run more than its tenant allows.
                concurrency: d
                    .concurrency
                    .map_or(tenant_concurrency, |c| usize::try_from(c).unwrap_or(1))
                    .min(tenant_concurrency),
            };
            lanes.push(Arc::new(Lane::new(
                name,
                dep_name,
                deployment,
                kinds,
                options,
                tenant_slots.clone(),
            )));
        }
        tenants.insert(
            name.clone(),
            Tenant {
                ingest_token,
                lanes,
                concurrency: tenant_concurrency,
            },
        );
    }

    let metrics = Arc::new(Metrics::default());
    let alerts = Alerts::new(
        metrics.clone(),
        config.dlq.webhook_url.as_deref(),
        config.dlq.webhook_timeout(),
    )
    .map_err(|e| anyhow::anyhow!("key \"dlq.webhook_url\": {e}"))?;
    let settings = Settings {
        concurrency: workers,
        lease: config.workers.lease(),
        poll_interval: config.workers.poll_interval(),
        max_batch_records: usize::try_from(config.server.max_batch_records).unwrap_or(1000),
        excerpt_bytes: usize::try_from(config.audit.excerpt_bytes).unwrap_or(1024),
        commit_mode,
        shutdown_grace: config.server.shutdown_grace(),
    };
    let store: Arc<dyn DeliveryStore> = Arc::new(storage.delivery());
    let pipeline = Pipeline::new(
        store,
        Audit::new(storage.audit()),
        tenants,
        alerts,
        metrics,
        settings,
    );
    let admin_token = config
        .server
        .resolve_admin_token()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Assembled {
        pipeline,
        admin_token,
        storage,
    })
}

/// Moves state and jobs kept under connector names by an older host to the deployments
/// that now own them (once per store; see `Storage::migrate_scopes`), and says what moved.
async fn migrate_scopes(storage: &Storage, claims: &[LegacyClaim]) -> anyhow::Result<()> {
    let (storage, claims) = (storage.clone(), claims.to_vec());
    let adopted = tokio::task::spawn_blocking(move || storage.migrate_scopes(&claims))
        .await
        .context("migrating state to deployment scopes")?
        .context("migrating state to deployment scopes")?;
    for a in adopted {
        tracing::warn!(tenant = %a.tenant, deployment = %a.deployment, from = %a.from,
            entries = a.entries,
            "state and jobs kept under the connector name moved to the deployment's own scope");
    }
    Ok(())
}

/// The breaker settings of a deployment's `[breaker]` section.
fn breaker_config(b: &switchboard_config::Breaker) -> BreakerConfig {
    BreakerConfig {
        consecutive_failures: u32::try_from(b.consecutive_failures).unwrap_or(u32::MAX),
        // A percentage of at most 100 converts exactly.
        failure_rate: b.failure_rate_percent as f64 / 100.0,
        window: Duration::from_millis(b.window_ms),
        min_calls: u32::try_from(b.min_calls).unwrap_or(u32::MAX),
        cooldown: Duration::from_millis(b.cooldown_ms),
        max_cooldown: Duration::from_millis(b.max_cooldown_ms),
    }
}
