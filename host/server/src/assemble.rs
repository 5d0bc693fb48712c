//! Builds the running pieces from a loaded `switchboard.toml`: storage, runtime, every
//! deployment (connector loaded, manifest applied, secrets resolved), and the pipeline.
//! A deployment that fails fails alone (see `deployments`); storage, the configuration's
//! secrets and the pipeline's services failing stop the server.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, bail};
use switchboard_config::ServeConfig;
use switchboard_pipeline::{Alerts, Audit, CommitMode, Metrics, Pipeline, Settings, Tenant};
use switchboard_runtime::{Runtime, RuntimeOptions};
use switchboard_storage::delivery::DeliveryStore;
use switchboard_storage::{LegacyClaim, Storage};

use crate::deployments::{self, Components, TenantShare};

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
    // Tokens first: a configuration that lets one token open another's endpoints is
    // refused before anything is opened or loaded.
    let tokens = config
        .resolve_tokens()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = &config.storage.dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating storage dir {:?}", dir.display()))?;
    let storage = Storage::open(&dir.join("store"))
        .with_context(|| format!("opening storage in {:?}", dir.display()))?;
    storage.set_min_free_bytes(config.storage.min_free_bytes);
    let runtime = Runtime::new(
        RuntimeOptions::with_cache_dir(dir.join("cache")),
        storage.clone(),
    )?;

    let workers = usize::try_from(config.workers.concurrency).unwrap_or(16);
    let components = Components::load(&runtime, config).await;
    let failures = components.failures(config);
    if !failures.is_empty() && storage.scopes_pending_migration()? {
        bail!(
            "this store holds state from an older host that moves to deployment scopes once, \
             with every deployment loaded; fix or remove, for this first start, what failed \
             to load:\n  {}",
            failures.join("\n  ")
        );
    }
    migrate_scopes(&storage, &components.claims(config)).await?;

    let mut tenants = BTreeMap::new();
    for (name, t) in &config.tenants {
        let Some(ingest_token) = tokens.ingest(name).map(str::to_owned) else {
            bail!("tenant {name:?} has no ingest token");
        };
        // With several tenants, a tenant may use half the workers unless told otherwise, so
        // one tenant's slow CRM always leaves room for the others.
        let default_share = if config.tenants.len() > 1 {
            (workers / 2).max(1)
        } else {
            workers
        };
        let concurrency = t
            .concurrency
            .map_or(default_share, |c| usize::try_from(c).unwrap_or(1));
        let share = TenantShare {
            concurrency,
            slots: Tenant::slots(concurrency),
        };
        let (mut lanes, mut failed) = (Vec::new(), Vec::new());
        for d in t.deployments.values() {
            match deployments::lane(&runtime, config, &components, d, &share) {
                Ok(lane) => lanes.push(lane),
                Err(down) => failed.push(down),
            }
        }
        tenants.insert(
            name.clone(),
            Tenant {
                ingest_token,
                lanes,
                concurrency,
                failed,
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
    let admin_token = tokens.admin().map(str::to_owned);
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
