//! Public data types: what landed in the simulator, and injectable faults.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One CRM object (contact or call) as stored by the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimObject {
    /// Numeric object id, as a string (HubSpot style).
    pub id: String,
    /// Properties set by clients or seeding (system properties such as
    /// `hs_object_id` and `createdate` are added only when rendering).
    pub properties: BTreeMap<String, String>,
    /// Associations from this object: `(to object id, association type id)`.
    pub associations: Vec<(String, u32)>,
    /// Whether the object was archived (deleted).
    pub archived: bool,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: u64,
    /// Last modification time, milliseconds since the Unix epoch.
    pub updated_at: u64,
    /// First instant (ms since the epoch) at which search can see the object.
    pub searchable_at: u64,
}

/// One API request as seen by the simulator (control requests are not logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Status answered; 0 when the connection was reset instead.
    pub status: u16,
}

/// Typed view of everything that reached the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// All contacts, archived included, in id order.
    pub contacts: Vec<SimObject>,
    /// All calls, archived included, in id order.
    pub calls: Vec<SimObject>,
    /// API requests received (control requests under `/__sim/` excluded).
    pub requests: u64,
    /// Requests answered with 429.
    pub rate_limited: u64,
    /// Requests counted against today's daily limit.
    pub daily_used: u64,
    /// Faults still queued.
    pub faults_pending: usize,
    /// Properties removed with `remove_property`, as `(object, name)`.
    pub removed_properties: Vec<(String, String)>,
    /// Custom properties defined with `hasUniqueValue: true` (and not
    /// removed), as `(object, name)`.
    #[serde(default)]
    pub unique_properties: Vec<(String, String)>,
    /// The most recent API requests (at most 10,000), oldest first.
    pub log: Vec<LoggedRequest>,
}

/// A fault applied to matching API requests before normal handling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Only requests with this method (case-insensitive); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests whose path starts with this; `None` matches any.
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// How many matching requests the fault applies to (JSON default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// What to do instead of (or before) answering.
    pub action: FaultAction,
}

fn one() -> u32 {
    1
}

/// What an injected fault does.
///
/// JSON forms: `{"respond":{"status":503,"headers":[["retry-after","2"]],"body":"..."}}`,
/// `{"delay_ms":1500}`, `"reset"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FaultActionRepr", into = "FaultActionRepr")]
pub enum FaultAction {
    /// Answer with exactly this status, extra headers and body.
    Respond {
        /// HTTP status code.
        status: u16,
        /// Extra headers (override the defaults of the same name).
        headers: Vec<(String, String)>,
        /// Raw body.
        body: String,
    },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Drop the connection without a response (TCP RST via `SO_LINGER` 0).
    Reset,
}

/// Wire form of [`FaultAction`] (a `Duration` is given in milliseconds).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FaultActionRepr {
    Respond {
        status: u16,
        #[serde(default)]
        headers: Vec<(String, String)>,
        #[serde(default)]
        body: String,
    },
    DelayMs(u64),
    Reset,
}

impl From<FaultActionRepr> for FaultAction {
    fn from(repr: FaultActionRepr) -> Self {
        match repr {
            FaultActionRepr::Respond {
                status,
                headers,
                body,
            } => Self::Respond {
                status,
                headers,
                body,
            },
            FaultActionRepr::DelayMs(ms) => Self::Delay(Duration::from_millis(ms)),
            FaultActionRepr::Reset => Self::Reset,
        }
    }
}

impl From<FaultAction> for FaultActionRepr {
    fn from(action: FaultAction) -> Self {
        match action {
            FaultAction::Respond {
                status,
                headers,
                body,
            } => Self::Respond {
                status,
                headers,
                body,
            },
            FaultAction::Delay(d) => {
                Self::DelayMs(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            }
            FaultAction::Reset => Self::Reset,
        }
    }
}
