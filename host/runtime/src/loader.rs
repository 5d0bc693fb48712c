//! Loading a `.wasm` file as a connector: kind check, world check,
//! pre-initialization, compile-once caching, `InstancePre`, `describe`.

use std::path::Path;
use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::bindings::ConnectorPre;
use crate::contract::{ContractVersion, Pre};
use crate::engine::EpochTicker;
use crate::error::LoadError;
use crate::host_state::{HostState, WorkUnit};
use crate::instance::ConnectorInstance;
use crate::limits::GuestLimits;
use crate::runtime::RuntimeInner;
use crate::types::Descriptor;

/// The current contract package (older ones: [`ContractVersion::SUPPORTED`]).
pub const CONTRACT_PACKAGE: &str = "switchboard:connector@0.3.0";
/// The export every connector of the current contract has.
pub const GUEST_EXPORT: &str = "switchboard:connector/guest@0.3.0";
/// What every contract import and export name starts with.
const CONTRACT_PREFIX: &str = "switchboard:connector/";
/// The pre-initialization export.
pub const PREPARE_EXPORT: &str = "prepare";

/// A connector component that passed every load check, compiled,
/// pre-initialized and ready to instantiate.
#[derive(Clone)]
pub struct LoadedConnector {
    pub(crate) pre: Pre,
    pub(crate) contract: ContractVersion,
    pub(crate) descriptor: Descriptor,
    pub(crate) content_hash: String,
    pub(crate) imports: Vec<String>,
    pub(crate) exports: Vec<String>,
    pub(crate) from_cache: bool,
    /// Keeps the epoch timer running while this connector can be instantiated.
    pub(crate) _ticker: Arc<EpochTicker>,
}

impl LoadedConnector {
    /// What the connector's `describe` returned.
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }
    /// The contract version the component was built against.
    pub fn contract(&self) -> ContractVersion {
        self.contract
    }
    /// SHA-256 of the `.wasm` file, hex.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }
    /// The component's import names.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }
    /// The component's export names.
    pub fn exports(&self) -> &[String] {
        &self.exports
    }
    /// True when compiled code came from the on-disk cache (no compilation).
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }
}

/// Limits used while preparing and describing, before a manifest applies.
pub(crate) const LOAD_LIMITS: GuestLimits = GuestLimits {
    memory_bytes: 256 << 20,
    time_budget: std::time::Duration::from_secs(10),
    wall_timeout: std::time::Duration::from_secs(30),
    // `describe` returns a descriptor: a few kilobytes in practice.
    max_transfer_bytes: 4 << 20,
};

/// Loads and checks the connector at `path`.
pub(crate) async fn load(rt: &RuntimeInner, path: &Path) -> Result<LoadedConnector, LoadError> {
    let err_path = || path.to_path_buf();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: err_path(),
        source,
    })?;
    check_kind(path, &bytes)?;
    let content_hash = crate::cache::content_hash(&bytes);

    let (component, from_cache) = match rt.cache.load(&rt.engine, &bytes) {
        Some(component) => (component, true),
        None => {
            let original = Component::new(&rt.engine, &bytes).map_err(|e| LoadError::Invalid {
                path: err_path(),
                reason: format!("{e:#}"),
            })?;
            check_world(&rt.engine, path, &original)?;
            let prepared = crate::prepare::preinitialize(rt, &bytes)
                .await
                .map_err(|reason| LoadError::Prepare {
                    path: err_path(),
                    reason,
                })?;
            let component =
                Component::new(&rt.engine, &prepared).map_err(|e| LoadError::Prepare {
                    path: err_path(),
                    reason: format!("compiling the pre-initialized component: {e:#}"),
                })?;
            if let Err(e) = rt.cache.store(&bytes, &component) {
                tracing::warn!(error = %e, "could not cache compiled component");
            }
            (component, false)
        }
    };
    let contract = check_world(&rt.engine, path, &component)?;
    let pre = instance_pre(rt, &component, contract).map_err(|e| LoadError::WorldMismatch {
        path: err_path(),
        reason: format!("{e:#}"),
    })?;
    if contract.is_deprecated() {
        tracing::warn!(
            path = %path.display(),
            "connector built against the deprecated {}; rebuild it against {CONTRACT_PACKAGE}",
            contract.package()
        );
    }

    let state = HostState::new(
        LOAD_LIMITS.memory_bytes,
        LOAD_LIMITS.time_budget,
        None,
        WorkUnit::default(),
    );
    let describe_err = |reason: String| LoadError::Describe {
        path: err_path(),
        reason,
    };
    let mut instance = ConnectorInstance::new(&pre, state, LOAD_LIMITS)
        .await
        .map_err(|e| describe_err(e.to_string()))?;
    let descriptor = instance
        .describe()
        .await
        .map_err(|e| describe_err(e.to_string()))?;
    validate_descriptor(&descriptor).map_err(describe_err)?;

    let ty = component.component_type();
    Ok(LoadedConnector {
        pre,
        contract,
        descriptor,
        content_hash,
        imports: ty.imports(&rt.engine).map(|(n, _)| n.to_string()).collect(),
        exports: ty.exports(&rt.engine).map(|(n, _)| n.to_string()).collect(),
        from_cache,
        _ticker: rt.ticker.clone(),
    })
}

/// Links the component against the bindings of its contract version.
fn instance_pre(
    rt: &RuntimeInner,
    component: &Component,
    contract: ContractVersion,
) -> wasmtime::Result<Pre> {
    let instance_pre = rt.linker.instantiate_pre(component)?;
    Ok(match contract {
        ContractVersion::V0_3 => Pre::V0_3(ConnectorPre::new(instance_pre)?),
        ContractVersion::V0_2 => Pre::V0_2(crate::v0_2::ConnectorPre::new(instance_pre)?),
    })
}

/// Refuses anything that is not a component, with the reason.
fn check_kind(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    // Preamble: magic `\0asm`, a 2-byte version, then a 2-byte layer:
    // 0 for core modules, 1 for components.
    match bytes {
        [0x00, 0x61, 0x73, 0x6d, _, _, 0x01, 0x00, ..] => Ok(()),
        [0x00, 0x61, 0x73, 0x6d, _, _, 0x00, 0x00, ..] => Err(LoadError::NotComponent {
            path: path.to_path_buf(),
        }),
        _ => Err(LoadError::NotWasm {
            path: path.to_path_buf(),
        }),
    }
}

/// Checks exports and contract versions by name, so the error says exactly
/// what is wrong before any type-level matching; returns the component's version.
///
/// Every contract name must carry one version the host loads. A component
/// with no contract name at all is judged against the current version.
fn check_world(
    engine: &Engine,
    path: &Path,
    component: &Component,
) -> Result<ContractVersion, LoadError> {
    let ty = component.component_type();
    let names: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();

    let wrong_version = |found: &str| {
        let version = found.rsplit_once('@').map_or("no version", |(_, v)| v);
        LoadError::WrongVersion {
            path: path.to_path_buf(),
            found: format!("switchboard:connector@{version} ({found})"),
            supported: supported_packages(),
        }
    };
    let mut contract = None;
    for name in names.iter().chain(imports.iter()) {
        let Some(rest) = name.strip_prefix(CONTRACT_PREFIX) else {
            continue;
        };
        let number = rest.rsplit_once('@').map(|(_, v)| v);
        let Some(version) = number.and_then(ContractVersion::from_number) else {
            return Err(wrong_version(name));
        };
        match contract {
            None => contract = Some(version),
            Some(first) if first != version => {
                return Err(LoadError::WrongVersion {
                    path: path.to_path_buf(),
                    found: format!(
                        "both {} and {} ({name}): one component must use one version",
                        first.package(),
                        version.package()
                    ),
                    supported: supported_packages(),
                });
            }
            Some(_) => {}
        }
    }
    let contract = contract.unwrap_or(ContractVersion::V0_3);
    for required in [contract.guest_export(), PREPARE_EXPORT] {
        if !names.iter().any(|n| n == required) {
            return Err(LoadError::MissingExport {
                path: path.to_path_buf(),
                missing: required.to_string(),
                found: names,
            });
        }
    }
    Ok(contract)
}

/// The packages the host loads, for error messages: `a or b`.
fn supported_packages() -> String {
    let all: Vec<&str> = ContractVersion::SUPPORTED
        .iter()
        .map(|v| v.package())
        .collect();
    all.join(" or ")
}

/// Rejects descriptors no deployment could use.
fn validate_descriptor(d: &Descriptor) -> Result<(), String> {
    if d.name.trim().is_empty() {
        return Err("descriptor name is empty".into());
    }
    if d.record_kinds.is_empty() {
        return Err(format!("connector {:?} declares no record kinds", d.name));
    }
    let mut names = std::collections::BTreeSet::new();
    for limit in &d.rate_limits {
        if !switchboard_config::is_valid_name(&limit.name) {
            return Err(format!(
                "rate limit name {:?} must match [a-z0-9][a-z0-9_-]{{0,63}} (a deployment overrides it as [rate_limits.budgets.<name>])",
                limit.name
            ));
        }
        if !names.insert(limit.name.as_str()) {
            return Err(format!("rate limit {:?} is declared twice", limit.name));
        }
        if limit.tokens == 0 || limit.window_ms == 0 {
            return Err(format!(
                "rate limit {:?} has zero tokens or a zero window",
                limit.name
            ));
        }
        if let Some(c) = limit.costs.iter().find(|c| c.cost > limit.tokens) {
            return Err(format!(
                "rate limit {:?}: a {} {} request costs {}, more than the whole budget of {}",
                limit.name, c.method, c.path_prefix, c.cost, limit.tokens
            ));
        }
        if limit.default_cost > limit.tokens {
            return Err(format!(
                "rate limit {:?}: default cost {} is more than the whole budget of {}",
                limit.name, limit.default_cost, limit.tokens
            ));
        }
    }
    Ok(())
}
