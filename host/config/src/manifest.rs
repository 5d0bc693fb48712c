//! The deployment manifest as a whole: loading, parsing and cross-key checks.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::config_values::config_map;
use crate::error::ManifestError;
use crate::names::named_map;
use crate::rate_limits::{Breaker, RateLimits};
use crate::secret_grant::SecretGrant;
use crate::secrets::SecretError;
use crate::sections::{ConnectorExpectations, HttpPolicy, Limits, OwnedFields, StateLimits};
use crate::toml_de;

/// A validated per-connector deployment manifest. Every section is optional; an empty
/// file gives [`DeploymentManifest::default`]. Build it with [`DeploymentManifest::load`] or
/// [`DeploymentManifest::parse`]: deserializing it directly skips the cross-key checks and
/// leaves relative secret paths unresolved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "a deployment manifest table"
)]
pub struct DeploymentManifest {
    /// `[connector]`: expectations about the connector, checked by the runtime.
    pub connector: ConnectorExpectations,
    /// `[limits]`: memory and time limits.
    pub limits: Limits,
    /// `[http]`: outbound HTTP policy.
    pub http: HttpPolicy,
    /// `[config]`: non-secret settings passed to the connector, name to string value
    /// (integers and booleans are stringified). Default: empty.
    #[serde(deserialize_with = "config_map")]
    pub config: BTreeMap<String, String>,
    /// `[secrets]`: secret name to where its value is read from and the hosts it may be
    /// sent to. Default: empty.
    #[serde(deserialize_with = "named_map")]
    pub secrets: BTreeMap<String, SecretGrant>,
    /// `[state]`: durable state limits.
    pub state: StateLimits,
    /// `[owned_fields]`: fields this deployment is the system of record for.
    pub owned_fields: OwnedFields,
    /// `[rate_limits]`: overrides of the connector's rate-limit budgets.
    pub rate_limits: RateLimits,
    /// `[breaker]`: the circuit breaker.
    pub breaker: Breaker,
}

impl DeploymentManifest {
    /// Reads and parses the manifest at `path`. Errors name `path` as the file; relative
    /// secret files are resolved against `path`'s directory.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ManifestError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ManifestError::at_file(&file, format!("cannot read file: {e}")))?;
        Self::parse(&text, &file)
    }

    /// Parses manifest `text`. `origin` names the file in errors and is treated as the
    /// manifest's path: relative secret files are resolved against its directory (the
    /// current directory when it has none).
    pub fn parse(text: &str, origin: &str) -> Result<Self, ManifestError> {
        let mut manifest: Self = toml_de::deserialize(text, origin)?;
        manifest.check(text, origin)?;
        let dir = Path::new(origin).parent().unwrap_or(Path::new(""));
        manifest.secrets = std::mem::take(&mut manifest.secrets)
            .into_iter()
            .map(|(name, grant)| {
                let source = grant.source.relative_to(dir);
                (name, SecretGrant { source, ..grant })
            })
            .collect();
        Ok(manifest)
    }

    /// Reads the value of the secret `name` declared in `[secrets]`.
    pub fn resolve_secret(&self, name: &str) -> Result<String, SecretError> {
        match self.secrets.get(name) {
            Some(grant) => grant.source.resolve(name),
            None => Err(SecretError::Undeclared {
                secret: name.to_owned(),
            }),
        }
    }

    /// The `[http].allowed_hosts` entries secret `name` may be sent to: its `hosts`, or
    /// the allowlist's only entry. Empty for an undeclared secret.
    pub fn secret_hosts(&self, name: &str) -> Vec<String> {
        match self.secrets.get(name) {
            Some(SecretGrant {
                hosts: Some(hosts), ..
            }) => hosts.clone(),
            Some(_) => self.http.allowed_hosts.clone(),
            None => Vec::new(),
        }
    }

    /// Checks each secret's `hosts` against `[http].allowed_hosts`.
    fn check_secret_hosts(&self, text: &str, origin: &str) -> Result<(), ManifestError> {
        let allowed = &self.http.allowed_hosts;
        for (name, grant) in &self.secrets {
            let location = toml_de::key_location(text, &["secrets", name]);
            match &grant.hosts {
                Some(hosts) => {
                    if let Some(h) = hosts.iter().find(|h| !allowed.contains(h)) {
                        return Err(ManifestError::at_key(
                            origin,
                            format!("secrets.{name}.hosts"),
                            format!(
                                "{h:?} is not one of [http].allowed_hosts {allowed:?}; a secret may only be sent to an allowed host, written exactly as there"
                            ),
                        )
                        .with_location(location));
                    }
                }
                None if allowed.len() > 1 => {
                    return Err(ManifestError::at_key(
                        origin,
                        format!("secrets.{name}"),
                        format!(
                            "say which hosts this secret may be sent to, e.g. hosts = [{:?}]: [http].allowed_hosts has {} entries, and a secret goes only where the operator binds it",
                            allowed[0],
                            allowed.len()
                        ),
                    )
                    .with_location(location));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Checks that involve more than one key.
    fn check(&self, text: &str, origin: &str) -> Result<(), ManifestError> {
        self.check_secret_hosts(text, origin)?;
        let limits = &self.limits;
        if limits.wall_timeout_ms < limits.time_budget_ms {
            return Err(ManifestError::at_key(
                origin,
                "limits.wall_timeout_ms",
                format!(
                    "must be at least limits.time_budget_ms ({}), got {}",
                    limits.time_budget_ms, limits.wall_timeout_ms
                ),
            )
            .with_location(toml_de::key_location(text, &["limits", "wall_timeout_ms"])));
        }
        let breaker = &self.breaker;
        if breaker.max_cooldown_ms < breaker.cooldown_ms {
            return Err(ManifestError::at_key(
                origin,
                "breaker.max_cooldown_ms",
                format!(
                    "must be at least breaker.cooldown_ms ({}), got {}",
                    breaker.cooldown_ms, breaker.max_cooldown_ms
                ),
            )
            .with_location(toml_de::key_location(text, &["breaker", "max_cooldown_ms"])));
        }
        Ok(())
    }
}
