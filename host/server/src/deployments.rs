//! Loads and deploys each configured deployment on its own, so a connector that cannot be
//! loaded (not a component, another contract, a trap or out-of-memory in `prepare`, a
//! compile error) or deployed (a manifest expectation it does not meet, a secret that is
//! missing, a kind it does not take) fails only its deployment: the tenant's other
//! deployments and every other tenant start as usual, and the failure is logged, shown in
//! `GET /v1/status` and counted in `/metrics`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use switchboard_config::{DeploymentConfig, ServeConfig};
use switchboard_pipeline::{BreakerConfig, DeliveryPolicy, FailedDeployment, Lane, LaneOptions};
use switchboard_runtime::{Deployment, LoadedConnector, Runtime};
use switchboard_storage::LegacyClaim;

/// Every component file the configuration names, loaded once (tenants running the same
/// connector share its compiled code and memory image), or why it could not be.
pub(crate) struct Components {
    by_path: HashMap<PathBuf, Result<LoadedConnector, String>>,
}

impl Components {
    /// Loads each distinct `wasm` of `config`; a failure is kept, not returned.
    pub(crate) async fn load(runtime: &Runtime, config: &ServeConfig) -> Self {
        let mut by_path = HashMap::new();
        for t in config.tenants.values() {
            for d in t.deployments.values() {
                if by_path.contains_key(&d.wasm) {
                    continue;
                }
                let loaded = runtime
                    .load(&d.wasm)
                    .await
                    .with_context(|| format!("loading {:?}", d.wasm.display()))
                    .map_err(|e| format!("{e:#}"));
                by_path.insert(d.wasm.clone(), loaded);
            }
        }
        Components { by_path }
    }

    /// The loaded component of `d`, or why it failed to load.
    fn get(&self, d: &DeploymentConfig) -> Result<LoadedConnector, String> {
        match self.by_path.get(&d.wasm) {
            Some(loaded) => loaded.clone(),
            None => Err(format!("{:?} was not loaded", d.wasm.display())),
        }
    }

    /// `tenant "t", deployment "d": why` for each deployment whose component failed to
    /// load.
    pub(crate) fn failures(&self, config: &ServeConfig) -> Vec<String> {
        let mut failures = Vec::new();
        for (tenant, t) in &config.tenants {
            for (deployment, d) in &t.deployments {
                if let Err(e) = self.get(d) {
                    failures.push(format!("tenant {tenant:?}, deployment {deployment:?}: {e}"));
                }
            }
        }
        failures
    }

    /// The connector names the loaded deployments claim, for the scope migration.
    pub(crate) fn claims(&self, config: &ServeConfig) -> Vec<LegacyClaim> {
        let mut claims = Vec::new();
        for (tenant, t) in &config.tenants {
            for (deployment, d) in &t.deployments {
                if let Ok(loaded) = self.get(d) {
                    claims.push(LegacyClaim {
                        tenant: tenant.clone(),
                        deployment: deployment.clone(),
                        claimed_name: loaded.descriptor().name.clone(),
                    });
                }
            }
        }
        claims
    }
}

/// What a tenant's lane is given by its tenant.
pub(crate) struct TenantShare {
    /// The tenant's concurrency.
    pub(crate) concurrency: usize,
    /// The slots its lanes share.
    pub(crate) slots: Arc<tokio::sync::Semaphore>,
}

/// Builds the lane of deployment `d`, or says (logged, as a [`FailedDeployment`]) why it
/// cannot run.
pub(crate) fn lane(
    runtime: &Runtime,
    config: &ServeConfig,
    components: &Components,
    d: &DeploymentConfig,
    share: &TenantShare,
) -> Result<Arc<Lane>, FailedDeployment> {
    build_lane(runtime, config, components, d, share).map_err(|e| {
        let error = format!("{e:#}");
        tracing::error!(tenant = %d.tenant, deployment = %d.name, %error,
            "deployment failed to start; records it may take are refused until it is fixed \
             and the server restarted (other deployments run)");
        FailedDeployment {
            name: d.name.clone(),
            kinds: d.kinds.clone(),
            error,
        }
    })
}

fn build_lane(
    runtime: &Runtime,
    config: &ServeConfig,
    components: &Components,
    d: &DeploymentConfig,
    share: &TenantShare,
) -> anyhow::Result<Arc<Lane>> {
    let (tenant, name) = (&d.tenant, &d.name);
    let loaded = components.get(d).map_err(anyhow::Error::msg)?;
    let deployment = Deployment::new(
        runtime,
        tenant,
        name,
        loaded,
        &d.manifest,
        &d.manifest_path.display().to_string(),
    )
    .context("deploying")?;
    let offered = &deployment.descriptor().record_kinds;
    let kinds = match &d.kinds {
        None => offered.clone(),
        Some(kinds) => {
            if let Some(k) = kinds.iter().find(|k| !offered.contains(k)) {
                bail!(
                    "key \"tenants.{tenant}.deployments.{name}.kinds\": connector {:?} does not take kind {k:?} (it takes {offered:?})",
                    deployment.descriptor().name
                );
            }
            kinds.clone()
        }
    };
    tracing::info!(tenant = %tenant, deployment = %name,
        connector = %deployment.descriptor().name, version = %deployment.descriptor().version,
        ?kinds, "deployment loaded");
    let options = LaneOptions {
        policy: DeliveryPolicy::from(&config.delivery_policy(d)),
        breaker: breaker_config(&d.manifest.breaker),
        // A lane can never run more than its tenant allows.
        concurrency: d
            .concurrency
            .map_or(share.concurrency, |c| usize::try_from(c).unwrap_or(1))
            .min(share.concurrency),
    };
    Ok(Arc::new(Lane::new(
        tenant,
        name,
        deployment,
        kinds,
        options,
        share.slots.clone(),
    )))
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
