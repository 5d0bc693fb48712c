//! A faithful HubSpot CRM API simulator on loopback, for Switchboard's tests
//! and demos.
//!
//! It serves the contacts and calls object endpoints (`/crm/v3/objects/...`
//! and `/crm/objects/2026-03/...`, including `batch/upsert` by a unique-value
//! property), property definitions (`/crm/v3/properties/...`) and default
//! associations (`/crm/v4/objects/...`) with HubSpot's status codes, error bodies,
//! rate-limit headers and 429s, a configurable search-index lag, and
//! injectable faults. Everything is also controllable over HTTP under
//! `/__sim/` (see the crate README). Behaviour follows `crm-api-facts.md`
//! §1; choices where the facts are `[UNVERIFIED]` are marked in the code.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use switchboard_hubspot_sim::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default()).await?;
//! println!("{}", sim.base_url());
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod api;
mod associations;
mod config;
mod control;
mod counts;
mod crm;
mod errors;
mod input;
mod objects;
mod properties;
mod property_api;
mod query;
mod ratelimit;
mod render;
mod reply;
mod routes;
mod search;
mod server;
mod state;
mod stats;
mod store;
mod time;
mod types;
mod unique;
mod upsert;

pub use config::{CONNECTOR_UNIQUE_PROPERTIES, SimConfig};
pub use counts::ValueCount;
pub use server::{SimHandle, Simulator};
pub use stats::{MAX_RECORDED_TIMES, RateStats, TokenStats};
pub use types::{
    Fault, FaultAction, LoggedRequest, RateLimitPolicy, SimObject, Snapshot, UNAVAILABLE_BODY,
};
