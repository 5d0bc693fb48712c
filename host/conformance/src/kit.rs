//! The harness every suite runs through: the real runtime with the connector loaded,
//! a fresh deployment (own tenant, so own state) per case, the simulator, and the
//! evidence every unit of work leaves for the sandbox checks.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use switchboard_config::DeploymentManifest;
use switchboard_runtime::{
    ConnectorInstance, Deployment, GuestFault, HttpExchange, LoadedConnector, Observed, Runtime,
    RuntimeOptions, WorkUnit,
};

use crate::sims::Simulator;

/// The kit's HTTP request timeout: a `timeout` fault answers later than this.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Wall-clock limit of one unit of work.
const WALL_TIMEOUT_MS: u64 = 20_000;

/// How to run the kit.
#[derive(Debug, Clone)]
pub struct Options {
    /// The connector component.
    pub wasm: PathBuf,
    /// The simulator to use (`hubspot`), `none` for the CRM-independent suites only, or
    /// `None` to pick it from `describe`'s `crm`.
    pub crm: Option<String>,
    /// Directories of extra case files.
    pub case_dirs: Vec<PathBuf>,
    /// Run only the checks whose `suite/name` contains this (case-insensitive).
    pub filter: Option<String>,
    /// Where compiled components are cached (shared with `switchboard push`).
    pub cache_dir: PathBuf,
    /// The per-instance memory cap, in MiB.
    pub memory_mb: u64,
    /// The per-unit guest time budget, in milliseconds.
    pub time_budget_ms: u64,
}

/// What one unit of work left behind, for the sandbox checks.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Which case ran it.
    pub context: String,
    /// Import calls, config keys, secrets, logs, peak memory.
    pub observed: Observed,
    /// HTTP exchanges.
    pub http: Vec<HttpExchange>,
    /// Audit annotations.
    pub annotations: Vec<(String, String)>,
    /// Text the connector returned (field errors, error classes, outcomes), debug-printed.
    pub returned: Vec<String>,
    /// The fault, if the unit ended in one.
    pub fault: Option<GuestFault>,
    /// Guest time used.
    pub guest_time: Duration,
}

/// The harness.
pub struct Kit {
    pub(crate) runtime: Runtime,
    pub(crate) loaded: LoadedConnector,
    pub(crate) options: Options,
    pub(crate) sim: Option<(String, Box<dyn Simulator>)>,
    /// The value every declared secret gets; it must never come back out.
    pub(crate) secret: String,
    dir: tempfile::TempDir,
    tenants: AtomicU32,
    evidence: Mutex<Vec<Evidence>>,
}

impl Kit {
    /// Loads the connector into a runtime with throwaway storage.
    pub(crate) async fn new(options: Options) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let storage = switchboard_storage::Storage::open(&dir.path().join("store"))?;
        let runtime = Runtime::new(
            RuntimeOptions::with_cache_dir(options.cache_dir.clone()),
            storage,
        )?;
        let loaded = runtime.load(&options.wasm).await?;
        let secret = format!("sb-conformance-secret-{}", uuid::Uuid::new_v4().simple());
        std::fs::write(dir.path().join("secret"), &secret)?;
        Ok(Self {
            runtime,
            loaded,
            options,
            sim: None,
            secret,
            dir,
            tenants: AtomicU32::new(0),
            evidence: Mutex::new(Vec::new()),
        })
    }

    /// What the connector's `describe` returned at load.
    pub(crate) fn descriptor(&self) -> &switchboard_runtime::types::Descriptor {
        self.loaded.descriptor()
    }

    /// Whether the connector declares config key `key`.
    pub(crate) fn declares_config(&self, key: &str) -> bool {
        self.descriptor().config_keys.iter().any(|k| k == key)
    }

    /// Whether the connector declares record kind `kind`.
    pub(crate) fn declares_kind(&self, kind: &str) -> bool {
        self.descriptor().record_kinds.iter().any(|k| k == kind)
    }

    /// A fresh deployment under a tenant of its own (so an empty `state`), with
    /// `default-region` set to `region` when given.
    pub(crate) fn deployment(&self, region: Option<&str>) -> anyhow::Result<Deployment> {
        let n = self.tenants.fetch_add(1, Ordering::Relaxed);
        let tenant = format!("conformance-{n}");
        let text = self.manifest(region);
        let origin = self.dir.path().join("deploy.toml");
        let manifest = DeploymentManifest::parse(&text, &origin.display().to_string())?;
        Ok(Deployment::new(
            &self.runtime,
            &tenant,
            "under-test",
            self.loaded.clone(),
            &manifest,
            "the kit's generated manifest",
        )?)
    }

    /// The generated manifest: the kit's limits, only the simulator allowed, every
    /// declared secret set to the sentinel.
    fn manifest(&self, region: Option<&str>) -> String {
        let d = self.descriptor();
        // With no simulator, nothing is reachable: a port nobody listens on.
        let base = self
            .sim
            .as_ref()
            .map_or_else(|| "http://127.0.0.1:9".to_string(), |(_, s)| s.base_url());
        let mut config = String::new();
        if self.declares_config("base-url") {
            config.push_str(&format!("base-url = {base:?}\n"));
        }
        if let Some(region) = region {
            config.push_str(&format!("default-region = {region:?}\n"));
        }
        let secrets: String = d
            .secret_names
            .iter()
            .map(|s| format!("{s:?} = {{ file = \"secret\" }}\n"))
            .collect();
        format!(
            "[connector]\nname = {name:?}\n\n[limits]\nmemory_mb = {mem}\ntime_budget_ms = {budget}\n\
             wall_timeout_ms = {wall}\n\n[http]\nallowed_hosts = [{base:?}]\nallow_private_addresses = true\nallow_secrets_over_http = true\n\
             request_timeout_ms = {timeout}\n\n[rate_limits]\nceiling_requests = 1000000\n\n[config]\n{config}\n[secrets]\n{secrets}",
            name = d.name,
            mem = self.options.memory_mb,
            budget = self.options.time_budget_ms,
            wall = WALL_TIMEOUT_MS.max(self.options.time_budget_ms),
            timeout = REQUEST_TIMEOUT.as_millis(),
        )
    }

    /// A fresh instance of `dep` for one unit of work.
    pub(crate) async fn instance(
        &self,
        dep: &Deployment,
        context: &str,
    ) -> Result<ConnectorInstance, GuestFault> {
        let unit = WorkUnit {
            record_id: context.to_string(),
            trace_id: uuid::Uuid::new_v4().simple().to_string(),
        };
        let inst = dep.instantiate(unit).await;
        if let Err(fault) = &inst {
            self.record(Evidence {
                context: context.to_string(),
                observed: Observed::default(),
                http: Vec::new(),
                annotations: Vec::new(),
                returned: Vec::new(),
                fault: Some(fault.clone()),
                guest_time: Duration::ZERO,
            });
        }
        inst
    }

    /// A fresh deployment (see [`Kit::deployment`]) and an instance of it, or the
    /// check's failure saying which could not be made.
    pub(crate) async fn fresh(
        &self,
        region: Option<&str>,
        context: &str,
    ) -> Result<(Deployment, ConnectorInstance), (String, String)> {
        let dep = self
            .deployment(region)
            .map_err(|e| ("a deployment".to_string(), format!("{e:#}")))?;
        let inst = self
            .instance(&dep, context)
            .await
            .map_err(|f| ("an instance".to_string(), f.to_string()))?;
        Ok((dep, inst))
    }

    /// Keeps what `inst` did, with what it returned and the fault it ended in.
    pub(crate) fn observe(
        &self,
        context: &str,
        inst: &ConnectorInstance,
        returned: Vec<String>,
        fault: Option<&GuestFault>,
    ) {
        self.record(Evidence {
            context: context.to_string(),
            observed: inst.observed(),
            http: inst.journal().http.clone(),
            annotations: inst.journal().annotations.clone(),
            returned,
            fault: fault.cloned(),
            guest_time: inst.guest_time(),
        });
    }

    /// Keeps one unit's evidence.
    pub(crate) fn record(&self, evidence: Evidence) {
        if let Ok(mut all) = self.evidence.lock() {
            all.push(evidence);
        }
    }

    /// Everything every unit left behind so far.
    pub(crate) fn evidence(&self) -> Vec<Evidence> {
        self.evidence.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// The command that runs one check alone: the same component, simulator, case
    /// directories and limits, shell-quoted.
    pub(crate) fn reproduce(&self, suite: &str, name: &str) -> String {
        let o = &self.options;
        let crm = self.sim.as_ref().map_or("none", |(name, _)| name.as_str());
        let mut args = vec![
            "switchboard".to_string(),
            "conformance".into(),
            o.wasm.display().to_string(),
            "--crm".into(),
            crm.into(),
        ];
        for dir in &o.case_dirs {
            args.extend(["--cases".into(), dir.display().to_string()]);
        }
        let defaults = switchboard_config::Limits::default();
        if o.memory_mb != defaults.memory_mb {
            args.extend(["--memory-mb".into(), o.memory_mb.to_string()]);
        }
        if o.time_budget_ms != defaults.time_budget_ms {
            args.extend(["--time-budget-ms".into(), o.time_budget_ms.to_string()]);
        }
        args.extend(["--case".into(), format!("{suite}/{name}")]);
        args.iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `arg` as a POSIX shell word: unchanged when it has only safe characters, else in
/// single quotes (a `'` inside becomes `'\''`).
fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=+@%,".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

impl Kit {
    /// Whether `--case` selects the check `suite/name` (all, without a filter).
    pub(crate) fn selected(&self, suite: &str, name: &str) -> bool {
        self.options.filter.as_ref().is_none_or(|f| {
            format!("{suite}/{name}")
                .to_lowercase()
                .contains(&f.to_lowercase())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quotes_what_the_shell_would_split_or_expand() {
        assert_eq!(shell_quote("target/acme.wasm"), "target/acme.wasm");
        assert_eq!(
            shell_quote("normalize/UK mobile (GB)"),
            "'normalize/UK mobile (GB)'"
        );
        assert_eq!(shell_quote("it's $HOME"), "'it'\\''s $HOME'");
        assert_eq!(shell_quote(""), "''");
    }
}
