//! A deployment: a loaded connector bound to one tenant and one manifest,
//! with its HTTP sandbox, secrets, config, state and job queue.

use std::collections::BTreeMap;
use std::sync::Arc;

use switchboard_config::DeploymentManifest;
use switchboard_http::{AllowedHost, HttpPolicy, OutboundHttp, Secrets};
use switchboard_storage::{JobQueue, Scope, StateLimits, StateStore};

use switchboard_limits::Limiter;

use crate::budgets::limiter_config;
use crate::error::{DeployError, GuestFault};
use crate::host_state::{HostState, WorkUnit};
use crate::instance::ConnectorInstance;
use crate::limits::{GuestLimits, transfer_limit};
use crate::loader::LoadedConnector;
use crate::runtime::Runtime;
use crate::types::Descriptor;

/// What host capabilities see of a deployment.
pub(crate) struct DeploymentCtx {
    pub(crate) tenant: String,
    /// The operator's name for this deployment: the scope of its state and jobs.
    pub(crate) deployment: String,
    /// What idempotency keys are computed from (see [`Storage::key_identity`]).
    ///
    /// [`Storage::key_identity`]: switchboard_storage::Storage::key_identity
    key_identity: String,
    /// The name the connector gives itself (logs only; never a scope).
    pub(crate) connector: String,
    pub(crate) http: OutboundHttp,
    pub(crate) secrets: Secrets,
    secret_values: Vec<String>,
    pub(crate) config: BTreeMap<String, String>,
    pub(crate) state: StateStore,
    pub(crate) jobs: JobQueue,
    /// The rate-limit budgets every `http.send` spends from.
    pub(crate) limiter: Arc<Limiter>,
    /// The tenant's CPU slots (see [`crate::cpu`]).
    pub(crate) cpu: Arc<tokio::sync::Semaphore>,
}

impl DeploymentCtx {
    /// Whether `bytes` hold one of this deployment's secret values verbatim.
    pub(crate) fn holds_secret(&self, bytes: &[u8]) -> bool {
        self.secret_values
            .iter()
            .any(|v| !v.is_empty() && bytes.windows(v.len()).any(|w| w == v.as_bytes()))
    }

    /// Replaces every secret value in `text` with `[redacted]`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for value in &self.secret_values {
            if !value.is_empty() && out.contains(value.as_str()) {
                out = out.replace(value.as_str(), "[redacted]");
            }
        }
        out
    }
}

/// A connector deployed for a tenant; cheap to clone and share across tasks.
#[derive(Clone)]
pub struct Deployment {
    loaded: LoadedConnector,
    ctx: Arc<DeploymentCtx>,
    limits: GuestLimits,
}

impl Deployment {
    /// Binds `loaded` to `tenant` as the deployment the operator named `deployment`
    /// under `manifest`: checks the manifest against what the connector declares,
    /// resolves secrets, builds the HTTP sandbox and opens the deployment's state.
    ///
    /// State, jobs and idempotency keys are scoped by `(tenant, deployment)`, never by
    /// the name the connector claims in `describe`. Run
    /// [`Storage::migrate_scopes`](switchboard_storage::Storage::migrate_scopes) first
    /// when the store may hold data from before that rule.
    pub fn new(
        runtime: &Runtime,
        tenant: &str,
        deployment: &str,
        loaded: LoadedConnector,
        manifest: &DeploymentManifest,
        manifest_origin: &str,
    ) -> Result<Self, DeployError> {
        let origin = manifest_origin.to_string();
        let mismatch = |reason: String| DeployError::Mismatch {
            manifest: origin.clone(),
            reason,
        };
        let d = loaded.descriptor();
        check_expectations(manifest, d).map_err(&mismatch)?;

        let memory_bytes = usize::try_from(manifest.limits.memory_bytes()).unwrap_or(usize::MAX);
        if memory_bytes > runtime.inner.max_memory_bytes {
            return Err(mismatch(format!(
                "key \"limits.memory_mb\": {} MiB is more than this host's per-instance maximum of {} MiB",
                manifest.limits.memory_mb,
                runtime.inner.max_memory_bytes >> 20
            )));
        }
        let limits = GuestLimits {
            memory_bytes,
            time_budget: manifest.limits.time_budget(),
            wall_timeout: manifest.limits.wall_timeout(),
            max_transfer_bytes: transfer_limit(memory_bytes, manifest.http.max_request_bytes),
        };

        let mut secrets = Secrets::new();
        let mut secret_values = Vec::new();
        for needed in &d.secret_names {
            if !manifest.secrets.contains_key(needed) {
                return Err(mismatch(format!(
                    "connector {:?} needs secret {needed:?}, but [secrets] does not define it",
                    d.name
                )));
            }
        }
        for (name, grant) in &manifest.secrets {
            let value = grant
                .source
                .resolve(name)
                .map_err(|e| DeployError::Secret(format!("{origin}: {e}")))?;
            let hosts = manifest
                .secret_hosts(name)
                .iter()
                .map(|h| h.parse::<AllowedHost>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| mismatch(format!("key \"secrets.{name}.hosts\": {e}")))?;
            secret_values.push(value.clone());
            secrets.insert_for_hosts(name.clone(), value, hosts);
        }

        let http = OutboundHttp::new(http_policy(manifest).map_err(&mismatch)?)
            .map_err(|e| mismatch(format!("http: {e}")))?;
        for host in &d.outbound_hosts {
            let allowed =
                switchboard_http::Url::parse(host).is_ok_and(|u| http.policy().allows(&u));
            if !allowed {
                tracing::warn!(tenant, connector = %d.name, host = %host,
                    "the connector declares an outbound host the manifest does not allow");
            }
        }

        let scope = Scope::new(tenant, deployment);
        let storage = runtime.storage();
        let key_identity = storage
            .key_identity(tenant, deployment)
            .map_err(|e| DeployError::Storage(e.to_string()))?;
        let state = storage.state(&scope).with_limits(StateLimits {
            max_key_bytes: 256,
            max_value_bytes: usize::try_from(manifest.state.max_value_bytes).unwrap_or(usize::MAX),
            max_keys: manifest.state.max_keys,
        });
        let jobs = storage.jobs(&scope);
        let limiter = Arc::new(Limiter::new(
            limiter_config(d, &manifest.rate_limits, limits.wall_timeout).map_err(&mismatch)?,
        ));

        let ctx = DeploymentCtx {
            tenant: tenant.to_string(),
            deployment: deployment.to_string(),
            key_identity,
            connector: d.name.clone(),
            http,
            secrets,
            secret_values,
            config: manifest.config.clone(),
            state,
            jobs,
            limiter,
            cpu: runtime.inner.cpu.of(tenant),
        };
        Ok(Self {
            loaded,
            ctx: Arc::new(ctx),
            limits,
        })
    }

    /// What the connector's `describe` returned.
    pub fn descriptor(&self) -> &Descriptor {
        self.loaded.descriptor()
    }

    /// The tenant this deployment serves.
    pub fn tenant(&self) -> &str {
        &self.ctx.tenant
    }

    /// The connector's name, as it describes itself (for logs; never a scope).
    pub fn connector(&self) -> &str {
        &self.ctx.connector
    }

    /// The operator's name for this deployment.
    pub fn deployment(&self) -> &str {
        &self.ctx.deployment
    }

    /// The idempotency key of `record_id` in this deployment:
    /// [`idempotency_key`](crate::idempotency_key) over the tenant, the record id and the
    /// deployment's key identity (its own name, or the connector name it adopted when
    /// its store was migrated).
    pub fn idempotency_key(&self, record_id: &str) -> String {
        crate::idempotency::idempotency_key(&self.ctx.tenant, record_id, &self.ctx.key_identity)
    }

    /// `text` with every secret value of this deployment replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        self.ctx.redact(text)
    }

    /// The rate-limit budgets and pause of this deployment, shared by every unit of work.
    pub fn limiter(&self) -> &Arc<Limiter> {
        &self.ctx.limiter
    }

    /// The limits each unit of work runs under.
    pub fn limits(&self) -> GuestLimits {
        self.limits
    }

    /// A fresh instance for one unit of work.
    pub async fn instantiate(&self, unit: WorkUnit) -> Result<ConnectorInstance, GuestFault> {
        let state = HostState::new(
            self.limits.memory_bytes,
            self.limits.time_budget,
            Some(self.ctx.clone()),
            unit,
        );
        ConnectorInstance::new(&self.loaded.pre, state, self.limits).await
    }
}

/// Checks the manifest's `[connector]` expectations against `describe`.
fn check_expectations(manifest: &DeploymentManifest, d: &Descriptor) -> Result<(), String> {
    if let Some(name) = &manifest.connector.name
        && name != &d.name
    {
        return Err(format!(
            "key \"connector.name\": expects {name:?}, but the component is {:?}",
            d.name
        ));
    }
    if let Some(req) = &manifest.connector.version {
        let version = semver::Version::parse(&d.version).map_err(|e| {
            format!(
                "connector {:?} reports an invalid version {:?}: {e}",
                d.name, d.version
            )
        })?;
        if !req.matches(&version) {
            return Err(format!(
                "key \"connector.version\": requires {req}, but the component is version {}",
                d.version
            ));
        }
    }
    Ok(())
}

/// The HTTP sandbox policy from the manifest's `[http]` table.
fn http_policy(manifest: &DeploymentManifest) -> Result<HttpPolicy, String> {
    let h = &manifest.http;
    let allowed_hosts = h
        .allowed_hosts
        .iter()
        .map(|s| {
            s.parse::<AllowedHost>()
                .map_err(|e| format!("key \"http.allowed_hosts\": {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpPolicy {
        allowed_hosts,
        allow_private_addresses: h.allow_private_addresses,
        allow_secrets_over_http: h.allow_secrets_over_http,
        connect_timeout: h.connect_timeout(),
        tls_timeout: h.tls_timeout(),
        total_timeout: h.request_timeout(),
        max_response_bytes: h.max_response_bytes,
        max_request_bytes: h.max_request_bytes,
    })
}
