//! One `[secrets]` entry of a deployment manifest: where the value is read from, and the
//! allowlist entries it may be sent to.
//!
//! A secret is only injected into a request whose URL matches one of its hosts (and the
//! allowlist), so a connector cannot hand the CRM's credential to another allowlisted
//! host. The binding is checked against `[http].allowed_hosts` by the manifest.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, Error, MapAccess};

use crate::hosts::check_allowed_host;
use crate::secrets::{FromTable, RawSecretSource, SecretSource, TableOnly};

/// A secret granted to a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretGrant {
    /// Where the value is read from.
    pub source: SecretSource,
    /// `hosts`: the `[http].allowed_hosts` entries the secret may be sent to, written
    /// exactly as there. `None` when not given: allowed only if the allowlist has a single
    /// entry, which is then the binding (see [`crate::DeploymentManifest::secret_hosts`]).
    pub hosts: Option<Vec<String>>,
}

/// The TOML shape of a grant: a secret source plus `hosts`.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table with exactly one of `env` or `file`, and optionally `hosts`"
)]
struct RawGrant {
    env: Option<String>,
    file: Option<std::path::PathBuf>,
    hosts: Option<Vec<String>>,
}

impl<'de> Deserialize<'de> for SecretGrant {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(TableOnly::<SecretGrant>(PhantomData))
    }
}

impl FromTable for SecretGrant {
    const EXPECTING: &'static str =
        "a table with exactly one of `env` or `file`, and optionally `hosts`";

    fn from_table<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let raw = RawGrant::deserialize(MapAccessDeserializer::new(map))?;
        let source = SecretSource::try_from(RawSecretSource {
            env: raw.env,
            file: raw.file,
        })
        .map_err(A::Error::custom)?;
        if let Some(hosts) = &raw.hosts {
            if hosts.is_empty() {
                return Err(A::Error::custom(
                    "hosts must name at least one [http].allowed_hosts entry",
                ));
            }
            for host in hosts {
                check_allowed_host(host)
                    .map_err(|e| A::Error::custom(format!("hosts entry {host:?}: {e}")))?;
            }
        }
        Ok(SecretGrant {
            source,
            hosts: raw.hosts,
        })
    }
}
