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
///
/// A fault fires either a number of times or for a span of time:
/// - `for_ms: None` (the default): it applies to the next `times` matching
///   requests and is then dropped; `times == 0` never fires.
/// - `for_ms: Some(ms)` (a "storm"): it applies to **every** matching request
///   from when it is installed (`inject` or `POST /__sim/faults`) until
///   `ms` milliseconds later, and `times` is ignored. `Some(0)` never fires.
///
/// Faults are checked in FIFO order and the first one that matches fires, so
/// an active storm shadows faults queued after it for the requests it matches.
///
/// ```
/// use std::time::Duration;
/// use switchboard_hubspot_sim::{Fault, FaultAction};
/// // The next two POSTs to calls answer 503.
/// let twice = Fault::new(FaultAction::Respond { status: 503, headers: vec![], body: String::new() })
///     .with_method("POST")
///     .with_path_prefix("/crm/v3/objects/calls")
///     .with_times(2);
/// assert_eq!(twice.times, 2);
/// // Every request answers 429 TEN_SECONDLY_ROLLING with Retry-After: 1 for 2 s.
/// let storm = Fault::rate_limit_storm("", 2_000, 1);
/// assert_eq!(storm.for_ms, Some(2_000));
/// // Every request to calls answers after 2 s, for 3 s.
/// let slow = Fault::slow_storm("/crm/v3/objects/calls", 3_000, Duration::from_secs(2));
/// assert_eq!(slow.action, FaultAction::Delay(Duration::from_secs(2)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Only requests with this method (case-insensitive); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests whose path starts with this; `None` matches any.
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// How many matching requests the fault applies to (JSON default 1).
    /// Ignored when `for_ms` is set.
    #[serde(default = "one")]
    pub times: u32,
    /// Makes the fault time-boxed: active for this many milliseconds from
    /// when it is installed, applying to every matching request meanwhile
    /// (`times` is then ignored). JSON: optional, absent means `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_ms: Option<u64>,
    /// What to do instead of (or before) answering.
    pub action: FaultAction,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// A fault with `action` for the next matching request: any method, any
    /// path, `times: 1`, no span. Narrow it with the `with_*` methods.
    pub fn new(action: FaultAction) -> Self {
        Self {
            method: None,
            path_prefix: None,
            times: 1,
            for_ms: None,
            action,
        }
    }

    /// Only requests with this method (case-insensitive).
    #[must_use]
    pub fn with_method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    /// Only requests whose path starts with `prefix`; `""` matches any path.
    #[must_use]
    pub fn with_path_prefix(mut self, prefix: &str) -> Self {
        self.path_prefix = prefix_filter(prefix);
        self
    }

    /// Applies to the next `times` matching requests (without a span).
    #[must_use]
    pub fn with_times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Makes the fault a storm: every matching request during `span` from
    /// installation (whole milliseconds, rounded down) gets it.
    #[must_use]
    pub fn lasting(mut self, span: Duration) -> Self {
        self.for_ms = Some(u64::try_from(span.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// For `for_ms` milliseconds, every request whose path starts with
    /// `path_prefix` (`""` for all) answers HubSpot's real
    /// `TEN_SECONDLY_ROLLING` 429, with `Retry-After: retry_after_secs`.
    ///
    /// The response is the one the simulator's own limiter gives (see
    /// [`FaultAction::RateLimited`]): the captured body
    /// `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"<per request>","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:private-app-api-calls-ten-secondly:<portal_id>"}`
    /// and the `x-hubspot-ratelimit-*` headers from the simulator's
    /// configuration, with `-remaining: 0`.
    pub fn rate_limit_storm(path_prefix: &str, for_ms: u64, retry_after_secs: u64) -> Self {
        Self::storm(
            path_prefix,
            for_ms,
            FaultAction::RateLimited {
                policy: RateLimitPolicy::TenSecondlyRolling,
                retry_after_secs: Some(retry_after_secs),
            },
        )
    }

    /// For `for_ms` milliseconds, every request whose path starts with
    /// `path_prefix` (`""` for all) answers 503 with [`UNAVAILABLE_BODY`]
    /// and no `Retry-After`.
    pub fn unavailable_storm(path_prefix: &str, for_ms: u64) -> Self {
        Self::storm(
            path_prefix,
            for_ms,
            FaultAction::Respond {
                status: 503,
                headers: Vec::new(),
                body: UNAVAILABLE_BODY.to_owned(),
            },
        )
    }

    /// For `for_ms` milliseconds, every request whose path starts with
    /// `path_prefix` (`""` for all) waits `delay` and is then handled
    /// normally: a slow CRM. A request arriving just before the span ends is
    /// still delayed in full.
    pub fn slow_storm(path_prefix: &str, for_ms: u64, delay: Duration) -> Self {
        Self::storm(path_prefix, for_ms, FaultAction::Delay(delay))
    }

    fn storm(path_prefix: &str, for_ms: u64, action: FaultAction) -> Self {
        Self {
            method: None,
            path_prefix: prefix_filter(path_prefix),
            times: 0,
            for_ms: Some(for_ms),
            action,
        }
    }
}

/// `None` for the empty prefix (which matches every path anyway).
fn prefix_filter(prefix: &str) -> Option<String> {
    (!prefix.is_empty()).then(|| prefix.to_owned())
}

/// Body of [`Fault::unavailable_storm`]'s 503. \[UNVERIFIED\]: the facts have
/// no capture of a HubSpot 503; this reuses the error shape of §1.3 without a
/// `correlationId` (the `x-hubspot-correlation-id` header is still sent).
pub const UNAVAILABLE_BODY: &str =
    r#"{"status":"error","message":"Service Unavailable","category":"SERVICE_UNAVAILABLE"}"#;

/// The limit a 429 reports, as HubSpot's `policyName`.
///
/// JSON: `"TEN_SECONDLY_ROLLING"`, `"SECONDLY"`, `"DAILY"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RateLimitPolicy {
    /// The per-token rolling burst window (190 per 10 s by default).
    TenSecondlyRolling,
    /// The per-token search limit (4 per second by default). \[UNVERIFIED\]:
    /// no capture of its body exists; it reuses the RATE_LIMIT shape.
    Secondly,
    /// The portal's daily limit.
    Daily,
}

impl RateLimitPolicy {
    /// HubSpot's `policyName` for the policy.
    pub fn name(self) -> &'static str {
        match self {
            Self::TenSecondlyRolling => "TEN_SECONDLY_ROLLING",
            Self::Secondly => "SECONDLY",
            Self::Daily => "DAILY",
        }
    }
}

/// What an injected fault does.
///
/// JSON forms: `{"respond":{"status":503,"headers":[["retry-after","2"]],"body":"..."}}`
/// (`headers` and `body` optional), `{"rate_limited":{"policy":"TEN_SECONDLY_ROLLING","retry_after_secs":1}}`
/// (`retry_after_secs` optional), `{"delay_ms":1500}`, `"reset"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FaultActionRepr", into = "FaultActionRepr")]
pub enum FaultAction {
    /// Answer with exactly this status, extra headers (for example
    /// `("retry-after", "2")`) and body. The body is sent verbatim; the
    /// correlation, request-id and content-type headers are added unless
    /// `headers` sets them.
    Respond {
        /// HTTP status code.
        status: u16,
        /// Extra headers (override the defaults of the same name).
        headers: Vec<(String, String)>,
        /// Raw body.
        body: String,
    },
    /// Answer 429 exactly as the simulator's limiter would for `policy`:
    /// HubSpot's body with a per-request `correlationId` (and `requestId` for
    /// DAILY), `Retry-After: retry_after_secs` when set, and, except for
    /// `SECONDLY` (search responses carry none), the `x-hubspot-ratelimit-*`
    /// headers from the configuration (`-remaining: 0` for
    /// TEN_SECONDLY_ROLLING, `-daily-remaining: 0` for DAILY). The request is
    /// not charged to any limit.
    RateLimited {
        /// Which limit the 429 reports.
        policy: RateLimitPolicy,
        /// `Retry-After` seconds; `None` sends no `Retry-After`.
        retry_after_secs: Option<u64>,
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
    RateLimited {
        policy: RateLimitPolicy,
        #[serde(default)]
        retry_after_secs: Option<u64>,
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
            FaultActionRepr::RateLimited {
                policy,
                retry_after_secs,
            } => Self::RateLimited {
                policy,
                retry_after_secs,
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
            FaultAction::RateLimited {
                policy,
                retry_after_secs,
            } => Self::RateLimited {
                policy,
                retry_after_secs,
            },
            FaultAction::Delay(d) => {
                Self::DelayMs(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            }
            FaultAction::Reset => Self::Reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storm_json_round_trips_and_for_ms_is_optional() {
        let fault: Fault = serde_json::from_str(
            r#"{"path_prefix":"/crm/v3/objects/calls","for_ms":3000,
                "action":{"rate_limited":{"policy":"TEN_SECONDLY_ROLLING","retry_after_secs":1}}}"#,
        )
        .expect("parses");
        assert_eq!(
            fault,
            Fault::rate_limit_storm("/crm/v3/objects/calls", 3000, 1).with_times(1)
        );
        let text = serde_json::to_string(&fault).expect("serialises");
        assert_eq!(serde_json::from_str::<Fault>(&text).expect("parses"), fault);

        let counted: Fault = serde_json::from_str(r#"{"action":{"delay_ms":5}}"#).expect("parses");
        assert_eq!(
            counted,
            Fault::new(FaultAction::Delay(Duration::from_millis(5)))
        );
        let text = serde_json::to_string(&counted).expect("serialises");
        assert!(!text.contains("for_ms"), "{text}");

        let daily: FaultAction =
            serde_json::from_str(r#"{"rate_limited":{"policy":"DAILY"}}"#).expect("parses");
        assert_eq!(
            daily,
            FaultAction::RateLimited {
                policy: RateLimitPolicy::Daily,
                retry_after_secs: None
            }
        );
    }

    #[test]
    fn storm_constructors_build_time_boxed_faults() {
        let unavailable = Fault::unavailable_storm("", 2_000);
        assert_eq!(unavailable.path_prefix, None);
        assert_eq!(unavailable.for_ms, Some(2_000));
        let FaultAction::Respond {
            status,
            headers,
            body,
        } = &unavailable.action
        else {
            panic!("a Respond action");
        };
        assert_eq!((*status, headers.len()), (503, 0));
        let body: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(body["status"], "error");
        assert_eq!(body["category"], "SERVICE_UNAVAILABLE");

        let storm = Fault::rate_limit_storm("/crm/v3/objects/calls", 500, 2);
        assert_eq!(storm.path_prefix.as_deref(), Some("/crm/v3/objects/calls"));
        assert_eq!(
            storm.action,
            FaultAction::RateLimited {
                policy: RateLimitPolicy::TenSecondlyRolling,
                retry_after_secs: Some(2)
            }
        );
        assert_eq!(
            RateLimitPolicy::TenSecondlyRolling.name(),
            "TEN_SECONDLY_ROLLING"
        );
        assert_eq!(
            serde_json::to_value(RateLimitPolicy::Secondly).expect("serialises"),
            "SECONDLY"
        );
        let slow = Fault::new(FaultAction::Reset)
            .with_method("POST")
            .lasting(Duration::from_millis(1500));
        assert_eq!(
            (slow.method.as_deref(), slow.for_ms),
            (Some("POST"), Some(1500))
        );
    }
}
