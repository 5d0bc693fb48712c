//! Simulator configuration.

use std::time::Duration;

/// Behaviour knobs of one simulated HubSpot portal.
///
/// `Default` uses the real numbers for a private app on a Professional portal
/// (see `crm-api-facts.md` §1.2): 190 requests per rolling 10 s per token,
/// 650,000 requests per day, 4 search requests per second per token.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Valid private-app tokens (`Authorization: Bearer <token>`).
    pub tokens: Vec<String>,
    /// Tokens answered with 401 `EXPIRED_AUTHENTICATION`.
    pub expired_tokens: Vec<String>,
    /// Tokens that authenticate but have no scopes: 403 `MISSING_SCOPES`.
    pub scopeless_tokens: Vec<String>,
    /// Requests allowed per token in one rolling `burst_window`.
    pub burst_limit: u32,
    /// Length of the rolling burst window (compress it to speed up tests).
    pub burst_window: Duration,
    /// Requests allowed per portal per UTC day (all tokens together).
    pub daily_limit: u64,
    /// Search requests allowed per token per rolling second. Search endpoints
    /// are exempt from the burst window but have this limit instead.
    pub search_per_second: u32,
    /// How long a newly created object stays invisible to search. Real HubSpot
    /// lags by up to ~30 s; the default is zero so tests stay deterministic.
    pub search_lag: Duration,
    /// `Retry-After` seconds on the limiter's TEN_SECONDLY_ROLLING and
    /// SECONDLY (search) 429s (the header is \[3RD\]-sourced). `None`: the time
    /// until the oldest request in the token's window leaves it, rounded up
    /// to whole seconds (at least 1), i.e. when a retry is first allowed.
    /// DAILY 429s always carry the seconds until the next UTC midnight.
    /// Default `Some(1)`.
    pub retry_after_secs: Option<u64>,
    /// Send no `Retry-After` on the limiter's 429s at all (to test clients
    /// that must cope without it). Default `false`.
    pub omit_retry_after: bool,
    /// Portal (hub) id used in `groupName` of 429 bodies.
    pub portal_id: u64,
    /// Whether rejected (429) requests still use up window and daily quota.
    /// \[UNVERIFIED\]: HubSpot does not say; default `false` (they do not).
    pub count_rejected: bool,
    /// Whether `POST /crm/v3/objects/calls` rejects a body without an
    /// `associations` key. \[UNVERIFIED\]: the spec lists it as required; an empty
    /// array is always accepted. Default `true`.
    pub require_call_associations: bool,
    /// Custom properties defined with `hasUniqueValue: true` when the portal
    /// starts (and again after `reset`), as `(object type, property name)`.
    /// Default: `("calls", "switchboard_idempotency_key")` and
    /// `("contacts", "switchboard_phone_e164")`, the properties the HubSpot
    /// connector upserts by. Empty it to simulate a portal nobody set up.
    /// Entries naming another object type are ignored.
    pub unique_properties: Vec<(String, String)>,
}

/// The unique-value properties the HubSpot connector needs, as
/// `(object type, property name)`.
pub const CONNECTOR_UNIQUE_PROPERTIES: [(&str, &str); 2] = [
    ("calls", "switchboard_idempotency_key"),
    ("contacts", "switchboard_phone_e164"),
];

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            tokens: vec!["sim-token".to_owned()],
            expired_tokens: Vec::new(),
            scopeless_tokens: Vec::new(),
            burst_limit: 190,
            burst_window: Duration::from_secs(10),
            daily_limit: 650_000,
            search_per_second: 4,
            search_lag: Duration::ZERO,
            retry_after_secs: Some(1),
            omit_retry_after: false,
            portal_id: 4_200_042,
            count_rejected: false,
            require_call_associations: true,
            unique_properties: CONNECTOR_UNIQUE_PROPERTIES
                .iter()
                .map(|(o, n)| ((*o).to_owned(), (*n).to_owned()))
                .collect(),
        }
    }
}
