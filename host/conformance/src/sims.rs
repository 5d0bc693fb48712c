//! The CRM simulators the kit can run a connector against, behind one small trait,
//! so a case file speaks of objects, seeds and faults, never of one simulator's API.

use std::collections::BTreeMap;
use std::time::Duration;

use switchboard_hubspot_sim::{Fault, FaultAction, SimConfig, SimHandle, Simulator as HubSpotSim};

use crate::cases::FaultSpec;

/// CRMs with a simulator, as `--crm` and case files name them.
pub const KNOWN: [&str; 1] = ["hubspot"];

/// The object types a simulator can seed and count, as case files name them.
#[derive(Debug, Clone, Copy)]
pub struct Objects {
    /// Types a `seed` may store.
    pub seeds: &'static [&'static str],
    /// Types `expect.created` may count.
    pub counts: &'static [&'static str],
}

const HUBSPOT_OBJECTS: Objects = Objects {
    seeds: &["contacts"],
    counts: &["contacts", "calls"],
};

/// The objects of simulator `name`, if it is one of [`KNOWN`].
pub fn objects(name: &str) -> Option<Objects> {
    match name {
        "hubspot" => Some(HUBSPOT_OBJECTS),
        _ => None,
    }
}

/// How long the HubSpot simulator hides a written object from search.
pub const SEARCH_LAG: Duration = Duration::from_secs(30);

/// A running CRM simulator on loopback.
pub trait Simulator: Send + Sync {
    /// `http://127.0.0.1:PORT`: the kit points the connector's `base-url` here.
    fn base_url(&self) -> String;
    /// Back to an empty CRM with fresh limits and no faults.
    fn reset(&self);
    /// Stores an object as a person would have typed it; returns its id.
    fn seed(&self, object: &str, properties: &BTreeMap<String, String>) -> Result<String, String>;
    /// Live (not deleted) objects of `object` type.
    fn live(&self, object: &str) -> Result<u64, String>;
    /// Applies `fault` to matching requests; a `timeout` answers after `timeout`.
    fn inject(&self, fault: &FaultSpec, timeout: Duration);
}

/// The simulator name for a `describe` CRM such as `HubSpot`, if there is one.
pub fn for_crm(crm: &str) -> Option<&'static str> {
    let key: String = crm
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    KNOWN.into_iter().find(|k| *k == key)
}

/// Starts the simulator `name`, accepting `token` as its only credential.
pub async fn start(name: &str, token: &str) -> Result<Box<dyn Simulator>, String> {
    match name {
        "hubspot" => {
            let cfg = SimConfig {
                tokens: vec![token.to_string()],
                // HubSpot's search index lags writes by up to about 30 s: a connector
                // that dedupes by search-then-create must fail the idempotency cases
                // here as it would double records in production. Seeded objects are
                // searchable at once (a person typed them long ago).
                search_lag: SEARCH_LAG,
                ..SimConfig::default()
            };
            let handle = HubSpotSim::start(cfg)
                .await
                .map_err(|e| format!("starting the HubSpot simulator: {e}"))?;
            Ok(Box::new(HubSpot(handle)))
        }
        other => Err(format!(
            "no simulator for CRM {other:?}; the kit has: {}",
            KNOWN.join(", ")
        )),
    }
}

/// The HubSpot simulator (`tests/hubspot-sim`).
struct HubSpot(SimHandle);

impl Simulator for HubSpot {
    fn base_url(&self) -> String {
        self.0.base_url()
    }

    fn reset(&self) {
        self.0.reset();
    }

    fn seed(&self, object: &str, properties: &BTreeMap<String, String>) -> Result<String, String> {
        if !HUBSPOT_OBJECTS.seeds.contains(&object) {
            return Err(format!(
                "the HubSpot simulator seeds {:?}, not {object:?}",
                HUBSPOT_OBJECTS.seeds
            ));
        }
        let props = properties
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        Ok(self.0.seed_contact(props))
    }

    fn live(&self, object: &str) -> Result<u64, String> {
        let snap = self.0.snapshot();
        let objects = match object {
            "contacts" => &snap.contacts,
            "calls" => &snap.calls,
            other => {
                return Err(format!(
                    "the HubSpot simulator counts {:?}, not {other:?}",
                    HUBSPOT_OBJECTS.counts
                ));
            }
        };
        Ok(objects.iter().filter(|o| !o.archived).count() as u64)
    }

    fn inject(&self, spec: &FaultSpec, timeout: Duration) {
        let action = match spec.action.as_str() {
            "timeout" => FaultAction::Delay(timeout + Duration::from_secs(1)),
            _ => FaultAction::Respond {
                status: spec.status.unwrap_or(500),
                headers: spec
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                body: spec.body.clone(),
            },
        };
        let mut fault = Fault::new(action);
        if let Some(m) = &spec.method {
            fault = fault.with_method(m);
        }
        if let Some(p) = &spec.path {
            fault = fault.with_path_prefix(p);
        }
        fault = if spec.times == 0 {
            fault.lasting(Duration::from_secs(3600))
        } else {
            fault.with_times(spec.times)
        };
        self.0.inject(fault);
    }
}

#[cfg(test)]
mod tests {
    use super::for_crm;

    #[test]
    fn finds_the_simulator_by_the_crm_name() {
        assert_eq!(for_crm("HubSpot"), Some("hubspot"));
        assert_eq!(for_crm("hubspot"), Some("hubspot"));
        assert_eq!(for_crm("Zoho CRM"), None);
    }
}
