//! # hubspot
//!
//! Switchboard connector for HubSpot CRM: logs calls as call engagements
//! associated to the caller's contact, and creates contacts, deduplicated
//! by E.164 phone (then e-mail). See `README.md` for the record fields.
//!
//! The CRM logic lives in plain modules so [`normalize_record`],
//! [`map_record`] and [`classify`] can be called natively (benchmarks,
//! tests); the component exports exist only on `wasm32`.

mod api;
mod classify;
mod describe;
mod feedback;
mod fields;
mod host;
mod mapping;
mod normalize;
mod push;
mod resolve;
mod upsert;

#[cfg(test)]
mod tests;

use switchboard_sdk::prelude::*;

pub use classify::classify;
pub use normalize::normalize_record_with;

/// Normalizes a record, with the deployment's `default-region` (default
/// `US`) for phone numbers without a country code. Natively, where there
/// is no host config, the region is always `US`.
pub fn normalize_record(rec: Record) -> Result<Record, Vec<FieldError>> {
    normalize_record_with(rec, &config_region())
}

/// Maps a normalized record to its HubSpot create payload (`calls` or
/// `contacts`).
pub fn map_record(rec: Record) -> Result<Payload, Vec<FieldError>> {
    mapping::map(&rec)
}

#[cfg(target_arch = "wasm32")]
fn config_region() -> String {
    host::region_from(config::get("default-region"))
}

#[cfg(not(target_arch = "wasm32"))]
fn config_region() -> String {
    host::region_from(None)
}

/// The HubSpot connector.
pub struct HubSpot;

impl Connector for HubSpot {
    fn describe() -> Descriptor {
        describe::descriptor()
    }
    fn normalize(rec: Record) -> Result<Record, Vec<FieldError>> {
        normalize_record(rec)
    }
    fn map_fields(rec: Record) -> Result<Payload, Vec<FieldError>> {
        map_record(rec)
    }
    fn push(ctx: PushContext, rec: Record, payload: Payload) -> Result<PushOutcome, PushError> {
        push::push(&mut host::SdkHost::from_config(), &ctx, &rec, &payload)
    }
    fn classify_error(resp: CrmResponse) -> ErrorClass {
        classify(&resp)
    }
}

#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_connector!(HubSpot);
