//! The process-wide sections of `switchboard.toml`: `[storage]`, `[server]`, `[workers]`,
//! `[dlq]` and `[audit]`. Ranges are inclusive and checked while deserializing.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::listen::socket_addr;
use super::paths::non_empty_path;
use super::webhook::webhook_url;
use crate::bounded::bounded;

/// `[storage]` (required): where the durable state lives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct StorageConfig {
    /// Directory of the sled database and the compile cache. Required, not blank; a
    /// relative path is resolved against the config file's directory at load.
    #[serde(deserialize_with = "non_empty_path")]
    pub dir: PathBuf,
    /// Free bytes the filesystem of `dir` must keep: below it the store counts as failing
    /// (ingest answers 503) so that recovery and delivery still have room to write.
    /// Range 0..=2^50, default 64 MiB; 0 turns the check off.
    #[serde(
        default = "default_min_free_bytes",
        deserialize_with = "bounded::<_, 0, 1_125_899_906_842_624>"
    )]
    pub min_free_bytes: u64,
}

fn default_min_free_bytes() -> u64 {
    64 << 20
}

/// `[server]` (required): the ingest HTTP server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub struct ServerConfig {
    /// Address to listen on, `IP:port`. Required. Port 0 picks a free port.
    #[serde(deserialize_with = "socket_addr")]
    pub listen: SocketAddr,
    /// Most records in one ingest request; more is refused with 413.
    /// Range 1..=100000, default 1000.
    #[serde(
        default = "default_max_batch_records",
        deserialize_with = "bounded::<_, 1, 100_000>"
    )]
    pub max_batch_records: u64,
    /// Largest ingest request body, in bytes; larger is refused with 413.
    /// Range 1..=268435456, default 8388608 (8 MiB).
    #[serde(
        default = "default_max_body_bytes",
        deserialize_with = "bounded::<_, 1, 268_435_456>"
    )]
    pub max_body_bytes: u64,
    /// On SIGTERM, how long in-flight work may finish, in ms. Range 0..=600000, default 10000.
    #[serde(
        default = "default_shutdown_grace_ms",
        deserialize_with = "bounded::<_, 0, 600_000>"
    )]
    pub shutdown_grace_ms: u64,
    /// Most client connections open at once; never more than the descriptor limit allows
    /// (see `docs/config.md`). Range 1..=1000000, default 4096.
    #[serde(
        default = "default_max_connections",
        deserialize_with = "bounded::<_, 1, 1_000_000>"
    )]
    pub max_connections: u64,
    /// How long a client may take to send a request's head, in ms; also how long an idle
    /// connection is kept open. Range 100..=600000, default 10000.
    #[serde(
        default = "default_header_timeout_ms",
        deserialize_with = "bounded::<_, 100, 600_000>"
    )]
    pub header_timeout_ms: u64,
    /// How long a client may take to send a request's body, in ms (408 after).
    /// Range 100..=3600000, default 30000.
    #[serde(
        default = "default_body_timeout_ms",
        deserialize_with = "bounded::<_, 100, 3_600_000>"
    )]
    pub body_timeout_ms: u64,
    /// Where the admin token is read from (`{ env = "..." }` or `{ file = "..." }`): the
    /// bearer token of the operator endpoints (`/v1/dlq`, `/v1/audit`, `/v1/status`) and of
    /// the `switchboard dlq` and `switchboard audit` commands. Optional; without it those
    /// endpoints answer 403.
    #[serde(default)]
    pub admin_token: Option<crate::secrets::SecretSource>,
}

fn default_max_batch_records() -> u64 {
    1000
}

fn default_max_body_bytes() -> u64 {
    8 * 1024 * 1024
}

fn default_shutdown_grace_ms() -> u64 {
    10_000
}

fn default_max_connections() -> u64 {
    4096
}

fn default_header_timeout_ms() -> u64 {
    10_000
}

fn default_body_timeout_ms() -> u64 {
    30_000
}

impl ServerConfig {
    /// Reads the admin token, if one is configured. Errors name `server.admin_token` and
    /// the variable or file, never the value.
    pub fn resolve_admin_token(&self) -> Result<Option<String>, crate::secrets::SecretError> {
        self.admin_token
            .as_ref()
            .map(|s| s.resolve("server.admin_token"))
            .transpose()
    }

    /// `shutdown_grace_ms` as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    /// `header_timeout_ms` as a duration.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_millis(self.header_timeout_ms)
    }

    /// `body_timeout_ms` as a duration.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms)
    }
}

/// `[workers]`: how records are taken from the queue and processed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct WorkersConfig {
    /// Records processed at once by this process. Range 1..=1024, default 16.
    #[serde(deserialize_with = "bounded::<_, 1, 1024>")]
    pub concurrency: u64,
    /// A leased record returns to the queue if not acknowledged within this many ms.
    /// Range 1000..=3600000, default 30000.
    #[serde(deserialize_with = "bounded::<_, 1000, 3_600_000>")]
    pub lease_ms: u64,
    /// How often an idle worker looks for due records, in ms. Range 1..=60000, default 50.
    #[serde(deserialize_with = "bounded::<_, 1, 60_000>")]
    pub poll_interval_ms: u64,
}

impl Default for WorkersConfig {
    fn default() -> Self {
        Self {
            concurrency: 16,
            lease_ms: 30_000,
            poll_interval_ms: 50,
        }
    }
}

impl WorkersConfig {
    /// `lease_ms` as a duration.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms)
    }

    /// `poll_interval_ms` as a duration.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

/// `[dlq]`: the dead-letter queue's alerting.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct DlqConfig {
    /// URL a JSON alert is posted to when a record is dead-lettered: `http` or `https`, with
    /// a host, without user info. Default: none (no alerts).
    #[serde(deserialize_with = "webhook_url")]
    pub webhook_url: Option<String>,
    /// Timeout of one webhook request, in ms. Range 1..=600000, default 5000.
    #[serde(deserialize_with = "bounded::<_, 1, 600_000>")]
    pub webhook_timeout_ms: u64,
}

impl Default for DlqConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            webhook_timeout_ms: 5000,
        }
    }
}

impl DlqConfig {
    /// `webhook_timeout_ms` as a duration.
    pub fn webhook_timeout(&self) -> Duration {
        Duration::from_millis(self.webhook_timeout_ms)
    }
}

/// `[audit]`: the audit log of delivery attempts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct AuditConfig {
    /// Days audit entries are kept. Range 1..=3650, default 30.
    #[serde(deserialize_with = "bounded::<_, 1, 3650>")]
    pub retention_days: u64,
    /// Bytes of the CRM response body kept per attempt. Range 0..=65536, default 1024.
    #[serde(deserialize_with = "bounded::<_, 0, 65_536>")]
    pub excerpt_bytes: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention_days: 30,
            excerpt_bytes: 1024,
        }
    }
}

impl AuditConfig {
    /// `retention_days` as a duration (days of 86400 seconds).
    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_days * 86_400)
    }
}
