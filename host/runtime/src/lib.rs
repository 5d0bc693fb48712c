//! The Switchboard connector runtime.
//!
//! Loads connector components built against `wit/` (`switchboard:connector@0.3.0`, and
//! the deprecated 0.2.0 through [`ContractVersion`]'s adapter),
//! checks them at load, pre-initializes and compiles them once (cached on
//! disk by content hash), and runs each unit of work in a fresh pooled
//! instance with a memory cap and a guest time budget. Host capabilities
//! (`http`, `log`, `config`, `state`, `queue`, `audit`, `limits`) are implemented in
//! [`caps`](self) on top of the capability crates.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use switchboard_runtime::{Runtime, RuntimeOptions, Deployment, RetryPolicy, deliver, record_from_json_str};
//! let storage = switchboard_storage::Storage::open("data".as_ref())?;
//! let rt = Runtime::new(RuntimeOptions::with_cache_dir("data/cache"), storage)?;
//! let loaded = rt.load("hubspot.wasm".as_ref()).await?;
//! let manifest = switchboard_config::DeploymentManifest::load("deploy.toml")?;
//! let dep = Deployment::new(&rt, "acme", "hubspot", loaded, &manifest, "deploy.toml")?;
//! let rec = record_from_json_str(r#"{"id":"c1","kind":"call","fields":{"phone":"07911 123456"}}"#)?;
//! let report = deliver(&dep, &rec, &RetryPolicy::default()).await;
//! println!("{:?}", report.outcome());
//! # Ok(()) }
//! ```

mod backoff;
mod bindings;
mod budgets;
mod cache;
mod caps;
mod contract;
mod cpu;
mod deliver;
mod deployment;
mod engine;
mod error;
mod guest_output;
mod host_state;
mod idempotency;
mod instance;
mod journal;
mod limits;
mod loader;
mod observed;
mod prepare;
mod record_json;
mod runtime;
mod sanitize;
mod transport;
pub mod types;
mod v0_2;

pub use backoff::RetryPolicy;
pub use contract::ContractVersion;
pub use cpu::cpu_slots_per_tenant;
pub use deliver::{
    Attempt, AttemptOutput, AttemptResult, DeliveryReport, ResponseExcerpt, Stage, attempt,
    deliver, delivered, is_delivered,
};
pub use deployment::Deployment;
pub use engine::{EPOCH_TICK, EngineConfig};
pub use error::{DeployError, GuestFault, LoadError};
pub use guest_output::MAX_STREAM_BYTES;
pub use host_state::WorkUnit;
pub use idempotency::idempotency_key;
pub use instance::ConnectorInstance;
pub use journal::{HttpExchange, Journal, TRANSPORT_FAILURES, Throttle, escape_control, truncate};
pub use limits::GuestLimits;
pub use loader::{CONTRACT_PACKAGE, GUEST_EXPORT, LoadedConnector};
pub use observed::{GuestLog, Observed};
pub use record_json::{
    MAX_FIELDS, MAX_ID_BYTES, RecordJsonError, record_from_json, record_from_json_str,
    record_problems, record_to_json,
};
pub use runtime::{Runtime, RuntimeOptions};
