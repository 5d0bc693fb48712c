//! The sections of a deployment manifest, each with its defaults and ranges.
//!
//! Every section and every key is optional; a missing key takes the default documented on
//! its field. Ranges are inclusive and checked at parse time.

use std::time::Duration;

use semver::VersionReq;
use serde::Deserialize;
use serde::de::{Deserializer, Error};

use crate::bounded::bounded;
use crate::hosts::allowed_hosts;

/// `[connector]`: what the deployment expects the loaded connector to report from
/// `describe()`. Checked by the runtime, not here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct ConnectorExpectations {
    /// Expected connector name. Default: none (any name).
    #[serde(deserialize_with = "non_empty_name")]
    pub name: Option<String>,
    /// Semver requirement the connector's version must match, e.g. `"^0.1"`.
    /// Default: none (any version).
    #[serde(deserialize_with = "version_req")]
    pub version: Option<VersionReq>,
}

fn non_empty_name<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(de)?;
    if name.trim().is_empty() {
        return Err(D::Error::custom("must not be empty"));
    }
    Ok(Some(name))
}

fn version_req<'de, D: Deserializer<'de>>(de: D) -> Result<Option<VersionReq>, D::Error> {
    let text = String::deserialize(de)?;
    match VersionReq::parse(&text) {
        Ok(req) => Ok(Some(req)),
        Err(e) => Err(D::Error::custom(format!(
            "{text:?} is not a semver requirement: {e}"
        ))),
    }
}

/// `[limits]`: resources one connector instance may use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct Limits {
    /// Linear memory cap per instance, in MiB. Range 1..=4096, default 64.
    #[serde(deserialize_with = "bounded::<_, 1, 4096>")]
    pub memory_mb: u64,
    /// Guest execution time per unit of work, in ms (enforced with epochs).
    /// Range 1..=600000, default 1000.
    #[serde(deserialize_with = "bounded::<_, 1, 600_000>")]
    pub time_budget_ms: u64,
    /// Wall-clock time for a whole unit of work including host I/O, in ms.
    /// Range 1..=3600000, default 30000; must be >= `time_budget_ms`.
    #[serde(deserialize_with = "bounded::<_, 1, 3_600_000>")]
    pub wall_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_mb: 64,
            time_budget_ms: 1000,
            wall_timeout_ms: 30_000,
        }
    }
}

impl Limits {
    /// `memory_mb` in bytes.
    pub fn memory_bytes(&self) -> u64 {
        self.memory_mb * 1024 * 1024
    }

    /// `time_budget_ms` as a duration.
    pub fn time_budget(&self) -> Duration {
        Duration::from_millis(self.time_budget_ms)
    }

    /// `wall_timeout_ms` as a duration.
    pub fn wall_timeout(&self) -> Duration {
        Duration::from_millis(self.wall_timeout_ms)
    }
}

/// `[http]`: the outbound HTTP policy of the deployment. Deny by default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct HttpPolicy {
    /// Hosts the connector may call, as `[scheme://]host[:port]` strings (see the README).
    /// Default: empty, which denies every request.
    #[serde(deserialize_with = "allowed_hosts")]
    pub allowed_hosts: Vec<String>,
    /// Whether loopback, private and link-local addresses may be reached. Default false.
    pub allow_private_addresses: bool,
    /// Whether secrets may be sent over plain `http` (a test CRM on loopback). Default
    /// false: a secret header on an `http://` URL is refused.
    pub allow_secrets_over_http: bool,
    /// TCP connect timeout in ms. Range 1..=300000, default 5000.
    #[serde(deserialize_with = "bounded::<_, 1, 300_000>")]
    pub connect_timeout_ms: u64,
    /// TLS handshake timeout in ms. Range 1..=300000, default 5000.
    #[serde(deserialize_with = "bounded::<_, 1, 300_000>")]
    pub tls_timeout_ms: u64,
    /// Timeout for one whole request and response, in ms. Range 1..=3600000, default 30000.
    #[serde(deserialize_with = "bounded::<_, 1, 3_600_000>")]
    pub request_timeout_ms: u64,
    /// Largest response body accepted, in bytes. Range 1..=268435456, default 4194304.
    #[serde(deserialize_with = "bounded::<_, 1, 268_435_456>")]
    pub max_response_bytes: u64,
    /// Largest request body sent, in bytes. Range 1..=268435456, default 4194304.
    #[serde(deserialize_with = "bounded::<_, 1, 268_435_456>")]
    pub max_request_bytes: u64,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            allowed_hosts: Vec::new(),
            allow_private_addresses: false,
            allow_secrets_over_http: false,
            connect_timeout_ms: 5000,
            tls_timeout_ms: 5000,
            request_timeout_ms: 30_000,
            max_response_bytes: 4 * 1024 * 1024,
            max_request_bytes: 4 * 1024 * 1024,
        }
    }
}

impl HttpPolicy {
    /// `connect_timeout_ms` as a duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    /// `tls_timeout_ms` as a duration.
    pub fn tls_timeout(&self) -> Duration {
        Duration::from_millis(self.tls_timeout_ms)
    }

    /// `request_timeout_ms` as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

/// `[state]`: how much durable key-value state the connector may keep.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct StateLimits {
    /// Largest value, in bytes. Range 1..=16777216, default 16384.
    #[serde(deserialize_with = "bounded::<_, 1, 16_777_216>")]
    pub max_value_bytes: u64,
    /// Most keys the connector may hold. Range 1..=10000000, default 10000.
    #[serde(deserialize_with = "bounded::<_, 1, 10_000_000>")]
    pub max_keys: u64,
}

impl Default for StateLimits {
    fn default() -> Self {
        Self {
            max_value_bytes: 16_384,
            max_keys: 10_000,
        }
    }
}

/// `[owned_fields]`: CRM fields this deployment is the system of record for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct OwnedFields {
    /// Field names, each non-empty, at most 256 bytes, no duplicates. Default: empty.
    #[serde(deserialize_with = "field_names")]
    pub fields: Vec<String>,
}

/// Longest owned field name, in bytes.
const MAX_FIELD_LEN: usize = 256;

fn field_names<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    let fields = Vec::<String>::deserialize(de)?;
    let mut seen = std::collections::BTreeSet::new();
    for field in &fields {
        if field.trim().is_empty() || field.len() > MAX_FIELD_LEN {
            return Err(D::Error::custom(format!(
                "field name {field:?} must be 1 to {MAX_FIELD_LEN} bytes and not blank"
            )));
        }
        if !seen.insert(field) {
            return Err(D::Error::custom(format!("field {field:?} is listed twice")));
        }
    }
    Ok(fields)
}
